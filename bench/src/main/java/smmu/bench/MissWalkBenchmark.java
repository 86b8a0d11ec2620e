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
 * is a 4-level stage 1 over a 4-level stage 2) beside its calibration in the same run: 24 dependent loads
 * from a small {@code long[]} (no memory model at all). The goal is the walk at most 6x the calibration.
 * <p>
 * Two calibrations: {@link #dependentLoads24} starts each call's chain from the call counter, so the loads
 * of one call depend on each other but consecutive calls do not, and the CPU overlaps calls (closer to
 * throughput); {@link #dependentLoads24Chained} starts each call where the previous one ended, so every
 * load waits for the one before it across calls too (latency, as one walk's reads do).
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
	private long cursor;
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

	/** As {@link #dependentLoads24}, but the chain continues from the previous call's last value. */
	@Benchmark
	public long dependentLoads24Chained() {
		long x = cursor;
		for (int i = 0; i < 24; i++) {
			x = chain[(int) x];
		}
		cursor = x;
		return x;
	}
}
