package smmu.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.AuxCounters;
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

import smmu.hw.Event;
import smmu.hw.Smmu;
import smmu.hw.StreamPort;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;

/**
 * One thread's transactions over a working set of W pages of a nested stream (default 1024-entry TLB),
 * in sequential or random order, beside {@link #probe}: a plain open-addressing long -> long lookup over
 * the same page numbers in the same order (the floor for a TLB hit), {@link #translateCached}: the
 * allocation-free API over the same sequence, and {@link #port}: the same through a {@link StreamPort}.
 * The aux counters {@code hit} and {@code walk} give the hit rate beside the time; tear-down prints which
 * cache served the hits (micro-TLB or main TLB).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WorkingSetBenchmark {
	@Param({ "16", "256", "2048", "65536" })
	public int pages;

	@Param({ "random", "sequential" })
	public String order;

	private NestedRig rig;
	private TranslationRequest[] requests;
	private long[] keys, iovas, table;
	private int sid;
	private StreamPort port;
	private int mask, next;
	private long tableMask;

	/** Per-iteration counts of where translations ended (JMH aux counters, in the JSON as secondary metrics). */
	@State(Scope.Thread)
	@AuxCounters(AuxCounters.Type.EVENTS)
	public static class Paths {
		public long hit, walk;

		@Setup(Level.Iteration)
		public void clear() {
			hit = walk = 0;
		}
	}

	@Setup
	public void setup() {
		rig = new NestedRig(pages, 1, 1024);
		int length = NestedRig.length(pages);
		requests = rig.requests(0, order.equals("random"), length, 42);
		mask = length - 1;
		// the baseline: the same page numbers in an open-addressing table (load <= 1/2), values = output pages
		keys = new long[length];
		iovas = new long[length];
		for (int i = 0; i < length; i++) {
			iovas[i] = requests[i].iova();
			keys[i] = requests[i].iova() >>> 12;
		}
		sid = requests[0].sid();
		port = rig.smmu.port(sid, Event.NO_SSID); // JMH runs a thread-scoped state's set-up on the benchmark's thread
		int slots = Integer.highestOneBit(Math.max(pages, 1) * 4 - 1);
		table = new long[2 * slots];
		tableMask = slots - 1;
		for (int p = 0; p < pages; p++) {
			long k = (NestedRig.IOVA >>> 12) + p;
			int i = slot(k);
			while (table[2 * i] != 0) {
				i = (int) ((i + 1) & tableMask);
			}
			table[2 * i] = k;
			table[2 * i + 1] = k * 31;
		}
	}

	private int slot(long k) {
		return (int) (((k * 0x9e3779b97f4a7c15L) >>> 32) & tableMask);
	}

	@Setup(Level.Iteration)
	public void resetStats() {
		rig.smmu.resetStats();
	}

	@TearDown(Level.Iteration)
	public void printHitRates() {
		System.out.println(rig.hitRates("W=" + pages + " " + order));
	}

	@Benchmark
	public TranslationResult translate(Paths paths) {
		TranslationResult r = rig.smmu.translate(requests[next++ & mask]);
		if (r instanceof TranslationResult.Translated t && t.path() == TranslationResult.Path.TLB_HIT) {
			paths.hit++;
		} else {
			paths.walk++;
		}
		return r;
	}

	/**
	 * The allocation-free API over the same sequence: {@link Smmu#translateCached} (an address in, an address
	 * out, as a device model's DMA engine calls it), and {@code translate} only on a miss.
	 */
	@Benchmark
	public long translateCached(Paths paths) {
		long iova = iovas[next++ & mask];
		long pa = rig.smmu.translateCached(sid, Event.NO_SSID, iova, false);
		if (pa != Smmu.NOT_CACHED) {
			paths.hit++;
			return pa;
		}
		return miss(iova, paths);
	}

	/**
	 * The same through the thread's {@link StreamPort} of the stream, taken once: what a device model's DMA
	 * loop calls, with no lookup of the thread's state and no stream key per transaction.
	 */
	@Benchmark
	public long port(Paths paths) {
		long iova = iovas[next++ & mask];
		long pa = port.translateCached(iova, false);
		if (pa != Smmu.NOT_CACHED) {
			paths.hit++;
			return pa;
		}
		return miss(iova, paths);
	}

	private long miss(long iova, Paths paths) {
		TranslationResult r = rig.smmu.translate(new TranslationRequest(sid, Event.NO_SSID, iova, false));
		if (r instanceof TranslationResult.Translated t && t.path() == TranslationResult.Path.TLB_HIT) {
			paths.hit++;
		} else {
			paths.walk++;
		}
		return r instanceof TranslationResult.Translated t ? t.pa() : -1;
	}

	/**
	 * The floor: one open-addressing probe (key array, linear probing) for the same key sequence, counting its
	 * hits in the same aux counters as the translating benchmarks (the same harness work per call).
	 */
	@Benchmark
	public long probe(Paths paths) {
		long k = keys[next++ & mask];
		for (int i = slot(k);; i = (int) ((i + 1) & tableMask)) {
			long x = table[2 * i];
			if (x == k) {
				paths.hit++;
				return table[2 * i + 1];
			}
			if (x == 0) {
				paths.walk++;
				return -1;
			}
		}
	}
}
