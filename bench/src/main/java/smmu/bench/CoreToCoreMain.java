package smmu.bench;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The calibration for the multi-thread benchmarks: how long one cache line takes to go from one core to
 * another and back, with two threads taking turns writing one {@code AtomicLong} (each waits for the
 * other's value, then writes the next). Prints the round trip in ns per window of 250 ms and their median.
 * Two threads sharing TLB fills pay a few such transfers per fill, so the same-stream scaling of
 * {@link TlbScalingBenchmark} follows this number: on a 2-vCPU VM whose host moved the vCPUs between cores
 * it read about 70 ns in some minutes and about 310 ns in others (docs/hw.md). Run it beside those
 * benchmarks: {@code java -cp bench/target/benchmarks.jar smmu.bench.CoreToCoreMain [seconds]}.
 */
public final class CoreToCoreMain {
	private static final long WINDOW_NS = 250_000_000L;

	public static void main(String[] args) throws InterruptedException {
		double seconds = 2;
		try {
			seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2;
		} catch (NumberFormatException e) {
			System.err.println("usage: CoreToCoreMain [seconds]: not a number: " + args[0]);
			System.exit(2);
		}
		AtomicLong line = new AtomicLong();
		Thread echo = new Thread(() -> {
			// answers each odd value v with v + 1; ends on a negative value
			for (long expect = 1;; expect += 2) {
				long v;
				while ((v = line.get()) != expect) {
					if (v < 0) {
						return;
					}
					Thread.onSpinWait();
				}
				line.set(v + 1);
			}
		}, "core-to-core-echo");
		echo.setDaemon(true);
		echo.start();
		int windows = Math.max(1, (int) (seconds * 1e9 / WINDOW_NS));
		double[] roundTrip = new double[windows];
		long v = 0;
		for (int w = 0; w < windows; w++) {
			long t0 = System.nanoTime(), n = 0, t;
			do {
				for (int k = 0; k < 1000; k++) {
					line.set(++v);
					v++;
					while (line.get() != v) {
						Thread.onSpinWait();
					}
				}
				n += 1000;
			} while ((t = System.nanoTime() - t0) < WINDOW_NS);
			roundTrip[w] = t / (double) n;
		}
		line.set(-1);
		echo.join();
		StringBuilder each = new StringBuilder();
		for (double r : roundTrip) {
			each.append(Math.round(r)).append(' ');
		}
		double[] sorted = roundTrip.clone();
		Arrays.sort(sorted);
		System.out.printf("core-to-core round trip: median %.0f ns over %d windows of 250 ms (each: %s)%n", sorted[windows / 2], windows,
				each.toString().trim());
	}
}
