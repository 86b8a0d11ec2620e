package smmu.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import smmu.hw.FrameAllocator;
import smmu.hw.SparseMemory;
import smmu.hw.driver.IoPageTable;
import smmu.hw.driver.Prot;
import smmu.hw.impl.walk.PageTableWalker;
import smmu.hw.impl.walk.S1Regime;
import smmu.hw.impl.walk.S2Regime;
import smmu.hw.impl.walk.TableRegime;
import smmu.hw.impl.walk.WalkResult;

/**
 * The page-table walker alone, without the SMMU around it: the same nested 4-level S1 over 4-level S2
 * tables as {@link MissWalkBenchmark}, no listener. Separates the walk's cost from the configuration
 * cache, counters and result of a transaction. {@link #walk} is {@link PageTableWalker#translate} (12
 * dependent descriptor reads: the stage-1 tables and the output share one 2 MiB IPA range, so the
 * per-walk stage-2 cache leaves one stage-2 read for each IPA after the first); {@link #walkUncached} is
 * the architecture's 24.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WalkerOnlyBenchmark {
	private PageTableWalker walker;
	private S1Regime s1;
	private S2Regime s2;
	private long iova;

	@Setup
	public void setup() {
		SparseMemory memory = new SparseMemory(48);
		FrameAllocator host = new FrameAllocator(memory, 0x8000_0000L, 0x9000_0000L);
		long ram = 0xa000_0000L, ramSize = 16L << 20;
		IoPageTable p2 = IoPageTable.allocate(IoPageTable.Config.s2(4096, 48, 48), host);
		for (long off = 0; off < ramSize; off += 4096) {
			p2.map(ram + off, ram + off, 4096, Prot.READ | Prot.WRITE | Prot.CACHE);
		}
		FrameAllocator guest = new FrameAllocator(memory, ram, ram + ramSize);
		IoPageTable p1 = IoPageTable.allocate(IoPageTable.Config.s1(4096, 48, 48), guest);
		long buffer = guest.allocate(4096, 4096);
		iova = 0x7f12_3456_7088L;
		p1.map(iova & ~0xfffL, buffer, 4096, Prot.READ | Prot.WRITE | Prot.CACHE);
		walker = new PageTableWalker(memory);
		// 48-bit IPA, 4K granule: S2T0SZ 16, SL0 2 (start level 0)
		s2 = new S2Regime(1, 12, 16, 2, 48, p2.vttbr(), false, true);
		s1 = new S1Regime(1, new TableRegime(true, p1.ttbr(), 16, 12, false), new TableRegime(false, 0, 16, 12, false), 48, false, false,
				false, true);
		WalkResult r = walker.translate(s1, s2, iova, false, null);
		if (!r.ok() || r.pa() != buffer + 0x88) {
			throw new IllegalStateException("benchmark setup does not translate: " + r);
		}
	}

	@Benchmark
	public WalkResult walk() {
		return walker.translate(s1, s2, iova, false, null);
	}

	@Benchmark
	public WalkResult walkUncached() {
		return walker.translateUncached(s1, s2, iova, false, null);
	}
}
