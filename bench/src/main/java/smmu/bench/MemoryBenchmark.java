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

import smmu.hw.SparseMemory;

/** One 64-bit descriptor read from sparse physical memory: the unit cost of every table walk step. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MemoryBenchmark {
	private SparseMemory memory;
	private long pa;

	@Setup
	public void setup() {
		memory = new SparseMemory(48);
		pa = 0x8_1234_5000L;
		memory.write64(pa + 0x28, 0x4000_0000_0003L);
	}

	@Benchmark
	public long read64() {
		return memory.read64(pa + 0x28);
	}
}
