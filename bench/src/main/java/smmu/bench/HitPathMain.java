package smmu.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

import smmu.hw.Event;
import smmu.hw.Smmu;
import smmu.hw.StreamPort;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;

/**
 * The TLB hit path on a loaded machine: {@link WorkingSetBenchmark}'s W = 256 random sequence through
 * {@code translate}, {@code translateCached}, a {@code StreamPort} and the open-addressing probe, in
 * interleaved rounds of 2^20 operations each, timed by the thread's CPU time (not wall time, which a shared
 * machine's other work inflates by whatever share of the cores it takes). Prints the median ns/op of each and the ratios to the
 * probe. Run: {@code java -cp bench/target/benchmarks.jar smmu.bench.HitPathMain [rounds] [pages]}.
 */
public final class HitPathMain {
	private static final int OPS = 1 << 20;

	public static void main(String[] args) {
		int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
		int pages = args.length > 1 ? Integer.parseInt(args[1]) : 256;
		NestedRig rig = new NestedRig(pages, 1, 1024);
		int length = NestedRig.length(pages);
		TranslationRequest[] requests = rig.requests(0, true, length, 42);
		long[] iovas = new long[length];
		for (int i = 0; i < length; i++) {
			iovas[i] = requests[i].iova();
		}
		int sid = requests[0].sid();
		// the probe's table: WorkingSetBenchmark's
		int slots = Integer.highestOneBit(Math.max(pages, 1) * 4 - 1);
		long[] table = new long[2 * slots];
		long tableMask = slots - 1;
		for (int p = 0; p < pages; p++) {
			long k = (NestedRig.IOVA >>> 12) + p;
			int i = (int) (((k * 0x9e3779b97f4a7c15L) >>> 32) & tableMask);
			while (table[2 * i] != 0) {
				i = (int) ((i + 1) & tableMask);
			}
			table[2 * i] = k;
			table[2 * i + 1] = k * 31;
		}
		ThreadMXBean mx = ManagementFactory.getThreadMXBean();
		String[] names = { "translate", "translateCached", "port", "probe" };
		double[][] ns = new double[names.length][rounds];
		long sink = 0;
		int mask = length - 1;
		for (int r = -5; r < rounds; r++) { // five warm-up rounds
			for (int m = 0; m < names.length; m++) {
				long t0 = mx.getCurrentThreadCpuTime();
				int start = r * 7919;
				sink += m == 0 ? translate(rig, requests, start, mask) : m == 1 ? cached(rig, requests, iovas, sid, start, mask)
						: m == 2 ? ported(rig, requests, iovas, sid, start, mask) : probe(table, tableMask, iovas, start, mask);
				if (r >= 0) {
					ns[m][r] = (mx.getCurrentThreadCpuTime() - t0) / (double) OPS;
				}
			}
		}
		double probe = median(ns[3]);
		for (int m = 0; m < names.length; m++) {
			double med = median(ns[m]);
			System.out.printf("%-16s W=%d median %.2f ns/op (CPU time, %d rounds of %d), %.1fx the probe%n", names[m], pages, med, rounds, OPS,
					med / probe);
		}
		System.out.println(rig.hitRates("W=" + pages + " random") + " sink=" + (sink & 1));
	}

	// each loop in its own method, so that each is compiled (and its callees inlined) on its own rather
	// than as one large on-stack-replaced main

	private static long translate(NestedRig rig, TranslationRequest[] requests, int start, int mask) {
		long sink = 0;
		for (int n = 0; n < OPS; n++) {
			TranslationResult x = rig.smmu.translate(requests[(start + n) & mask]);
			sink += x instanceof TranslationResult.Translated t ? t.pa() : 1;
		}
		return sink;
	}

	private static long ported(NestedRig rig, TranslationRequest[] requests, long[] iovas, int sid, int start, int mask) {
		StreamPort port = rig.smmu.port(sid, Event.NO_SSID);
		long sink = 0;
		for (int n = 0; n < OPS; n++) {
			int i = (start + n) & mask;
			long pa = port.translateCached(iovas[i], false);
			if (pa == Smmu.NOT_CACHED) {
				pa = ((TranslationResult.Translated) rig.smmu.translate(requests[i])).pa();
			}
			sink += pa;
		}
		return sink;
	}

	private static long cached(NestedRig rig, TranslationRequest[] requests, long[] iovas, int sid, int start, int mask) {
		long sink = 0;
		for (int n = 0; n < OPS; n++) {
			int i = (start + n) & mask;
			long pa = rig.smmu.translateCached(sid, Event.NO_SSID, iovas[i], false);
			if (pa == Smmu.NOT_CACHED) {
				pa = ((TranslationResult.Translated) rig.smmu.translate(requests[i])).pa();
			}
			sink += pa;
		}
		return sink;
	}

	private static long probe(long[] table, long tableMask, long[] iovas, int start, int mask) {
		long sink = 0;
		for (int n = 0; n < OPS; n++) {
			long k = iovas[(start + n) & mask] >>> 12;
			for (int j = (int) (((k * 0x9e3779b97f4a7c15L) >>> 32) & tableMask);; j = (int) ((j + 1) & tableMask)) {
				long x = table[2 * j];
				if (x == k) {
					sink += table[2 * j + 1];
					break;
				}
				if (x == 0) {
					break;
				}
			}
		}
		return sink;
	}

	private static double median(double[] a) {
		double[] b = a.clone();
		Arrays.sort(b);
		return b[b.length / 2];
	}
}
