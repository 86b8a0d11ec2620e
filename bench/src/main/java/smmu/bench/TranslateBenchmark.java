package smmu.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import smmu.hw.FrameAllocator;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.arch.Ste;
import smmu.hw.driver.CdBuilder;
import smmu.hw.driver.IoPageTable;
import smmu.hw.driver.Prot;
import smmu.hw.driver.SmmuDriver;
import smmu.hw.driver.SteBuilder;
import smmu.hw.impl.SmmuDevice;

/**
 * One device transaction through a nested stream: a 4-level stage 1 (48-bit VA, 4K) over a 4-level
 * stage 2 (48-bit IPA, 4K pages), set up through the driver library. {@code tlbHit}: the TLB holds the
 * page. {@code nestedMissWalk}: the TLB is disabled, so every call walks 4 S1 levels, each table read
 * translated by a 4-level S2 walk, and the final IPA by another: 24 descriptor reads (the CD stays in the
 * configuration cache).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TranslateBenchmark {
	@Param({ "true", "false" })
	public boolean tlb;

	private SmmuDevice smmu;
	private TranslationRequest request;

	@Setup
	public void setup() {
		SparseMemory memory = new SparseMemory(48);
		FrameAllocator host = new FrameAllocator(memory, 0x8000_0000L, 0x9000_0000L);
		SmmuSpec spec = SmmuSpec.mmu700("bench", 0x2b40_0000L).withCaches(tlb ? 1024 : 0, 256);
		smmu = SmmuDevice.create(spec, memory);
		SmmuDriver driver = SmmuDriver.probe(smmu, memory, host);
		driver.init();
		// guest RAM: IPA = PA over [0xa0000000, +16 MiB), mapped by stage 2 with 4K pages only
		long ram = 0xa000_0000L, ramSize = 16L << 20;
		IoPageTable s2 = IoPageTable.allocate(IoPageTable.Config.s2(4096, 48, 48), host);
		for (long off = 0; off < ramSize; off += 4096) {
			s2.map(ram + off, ram + off, 4096, Prot.READ | Prot.WRITE | Prot.CACHE);
		}
		FrameAllocator guest = new FrameAllocator(memory, ram, ram + ramSize);
		IoPageTable s1 = IoPageTable.allocate(IoPageTable.Config.s1(4096, 48, 48), guest);
		long buffer = guest.allocate(4096, 4096);
		long iova = 0x7f12_3456_7000L;
		s1.map(iova, buffer, 4096, Prot.READ | Prot.WRITE | Prot.CACHE);
		long cdTable = guest.allocate(64, 64);
		long[] cd = CdBuilder.s1(s1, 1, false);
		for (int i = 0; i < cd.length; i++) {
			memory.write64(cdTable + 8L * i, cd[i]);
		}
		long[] guestSte = SteBuilder.cdTable(cdTable, Ste.S1FMT_LINEAR, 0, Ste.S1DSS_SSID0, false, false, false, false);
		driver.ensureL2(0x10);
		driver.writeSte(0x10, SteBuilder.nested(driver.features(), guestSte, s2, 1, false, false));
		request = TranslationRequest.read(0x10, iova + 0x88);
		TranslationResult r = smmu.translate(request);
		if (!(r instanceof TranslationResult.Translated t) || t.pa() != buffer + 0x88) {
			throw new IllegalStateException("benchmark setup does not translate: " + r);
		}
	}

	@Benchmark
	public TranslationResult translate() {
		return smmu.translate(request);
	}
}
