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

import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;

/**
 * The full nested miss walk over random pages (2048-page working set, TLB disabled, so every transaction
 * makes 24 dependent descriptor reads) beside its calibration in the same run: 24 dependent loads from a
 * small {@code long[]} (no memory model at all). The goal is the walk at most 6x the calibration.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MissWalkBenchmark {
	private NestedRig rig;
	private TranslationRequest[] requests;
	private int mask, next;
	private final long[] chain = new long[512];

	@Setup
	public void setup() {
		rig = new NestedRig(2048, 1, 0);
		int length = NestedRig.length(2048);
		requests = rig.requests(0, true, length, 7);
		mask = length - 1;
		for (int i = 0; i < chain.length; i++) {
			chain[i] = (i * 37 + 11) & (chain.length - 1);
		}
	}

	@Benchmark
	public TranslationResult nestedMissWalk() {
		return rig.smmu.translate(requests[next++ & mask]);
	}

	@Benchmark
	public long dependentLoads24() {
		long x = next++ & 511;
		for (int i = 0; i < 24; i++) {
			x = chain[(int) x];
		}
		return x;
	}
}
