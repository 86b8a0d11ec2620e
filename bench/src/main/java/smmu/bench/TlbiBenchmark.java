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

import smmu.hw.TranslationRequest;
import smmu.hw.driver.Commands;

/**
 * What a TLBI costs as the TBUs in use grow: a TLBI + CMD_SYNC through the command queue, on an SMMU whose
 * {@code streams} streams (StreamIDs 0x10.., one TBU each, VMID 1) have each filled their TBU's TLB with
 * {@code pages} entries. Every TLBI reaches every TBU's TLB in use. {@code command}: {@code nhVa}, TLBI_NH_VA
 * of VMID 1, each call another of {@code pages} pages no stream has cached (an unmapping guest's pages);
 * {@code nhAll}, TLBI_NH_ALL of VMID 2 (another VM's devices, behind other SMMUs).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TlbiBenchmark {
	@Param({ "1", "4", "16" })
	public int streams;

	@Param({ "256" })
	public int pages;

	@Param({ "nhVa", "nhAll" })
	public String command;

	NestedRig rig;
	long[][] tlbis;
	int next;

	@Setup
	public void setup() {
		rig = new NestedRig(pages + 1, streams, 1024);
		for (int s = 0; s < streams; s++) {
			for (int p = 0; p < pages; p++) {
				rig.smmu.translate(TranslationRequest.read(NestedRig.FIRST_SID + s, NestedRig.IOVA + p * 4096L));
			}
		}
		// the pages after the cached ones, never translated
		tlbis = new long[pages][];
		for (int p = 0; p < pages; p++) {
			tlbis[p] = command.equals("nhAll") ? Commands.tlbiNhAll(2) : Commands.tlbiNhVa(1, 1, NestedRig.IOVA + (pages + p) * 4096L, true);
		}
	}

	@Benchmark
	public void tlbiAndSync() {
		long[] tlbi = tlbis[next];
		next = next + 1 == pages ? 0 : next + 1;
		rig.driver.submitAndSync(tlbi);
	}
}
