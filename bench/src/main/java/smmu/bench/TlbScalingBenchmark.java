package smmu.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;

/**
 * Total throughput of the TLB miss path with threads (run with {@code -t 1,2,4,8,16}: one JMH run per
 * count): random pages over a working set of {@code pages} (default 2048) with the default 1024-entry TLB,
 * so about half the transactions miss, walk (24 descriptor reads) and fill. {@code stream = same}: every
 * thread translates on one StreamID (one set of TLB entries, shared); {@code own}: each thread its own
 * StreamID and ASID (threads x pages entries competing for the TLB). {@code tlb = 0}: no TLB, every
 * transaction walks (the walk's own scaling). Tear-down prints where the transactions were served.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TlbScalingBenchmark {
	static final int MAX_THREADS = 64;

	@Param({ "2048" })
	public int pages;

	@Param({ "same", "own" })
	public String stream;

	@Param({ "1024" })
	public int tlb;

	NestedRig rig;
	int threads;

	@Setup
	public void setup(org.openjdk.jmh.infra.BenchmarkParams params) {
		threads = params.getThreads();
		rig = new NestedRig(pages, stream.equals("own") ? Math.min(threads, MAX_THREADS) : 1, tlb);
	}

	@Setup(Level.Iteration)
	public void resetStats() {
		rig.smmu.resetStats();
	}

	@TearDown(Level.Iteration)
	public void printHitRates() {
		System.out.println(rig.hitRates("W=" + pages + " stream=" + stream + " tlb=" + tlb + " threads=" + threads));
	}

	/** One thread's request sequence. */
	@State(Scope.Thread)
	public static class Cursor {
		TranslationRequest[] requests;
		int mask, next;

		@Setup
		public void setup(TlbScalingBenchmark b, ThreadParams t) {
			int length = NestedRig.length(b.pages);
			int s = b.stream.equals("own") ? t.getThreadIndex() % MAX_THREADS : 0;
			requests = b.rig.requests(s, true, length, 1000 + t.getThreadIndex());
			mask = length - 1;
		}
	}

	@Benchmark
	public TranslationResult translate(Cursor c) {
		return rig.smmu.translate(c.requests[c.next++ & c.mask]);
	}
}
