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

/**
 * Calibration for the machine the other numbers come from: a chain of 24 dependent loads from a small
 * array (what a nested 4x4 walk's descriptor reads cost at the very least, with no memory model at all).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BaselineBenchmark {
	private final long[] chain = new long[512];

	@Setup
	public void setup() {
		for (int i = 0; i < chain.length; i++) {
			chain[i] = (i * 37 + 11) & (chain.length - 1);
		}
	}

	@Benchmark
	public long dependentLoads24() {
		long x = 0;
		for (int i = 0; i < 24; i++) {
			x = chain[(int) x];
		}
		return x;
	}
}
