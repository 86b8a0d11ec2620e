package smmu.accel.workload;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What a workload does on each of its devices.
 *
 * @param pattern   the access pattern
 * @param devices   the VM's device ids to run on (one thread each); empty: every device behind a vSMMU
 * @param bufferBytes STREAM and RANDOM: the buffer the guest maps once per device (the working set)
 * @param ioBytes   bytes per DMA (one transaction), 1..1 MiB
 * @param rate      I/Os per second per device; 0: as fast as the model goes
 * @param duration  how long to run; zero: until {@code ios} are done or it is stopped
 * @param ios       I/Os per device; 0: until the duration is over or it is stopped
 * @param dmasPerMap CHURN_*: DMAs into one mapping before it is unmapped (1: per-I/O map/unmap)
 * @param batch     CHURN_LAZY: unmaps queued before a flush (Linux's IOVA flush queue holds 256); a
 *                  flush also happens 10 ms after the first queued unmap (IOVA_FQ_TIMEOUT) and at the end
 * @param seed      RANDOM: the offsets' seed
 */
public record WorkloadSpec(Pattern pattern, List<String> devices, long bufferBytes, int ioBytes, double rate, Duration duration, long ios,
		int dmasPerMap, int batch, long seed) {

	/** How a device touches memory. */
	public enum Pattern {
		/** Sequential DMA through one mapped buffer, wrapping around (a receive ring). */
		STREAM,
		/** DMA at random ioBytes-aligned offsets of one mapped buffer (a working set). */
		RANDOM,
		/** Map, DMA, unmap with the TLB invalidated at each unmap ({@code iommu.strict=1}). */
		CHURN_STRICT,
		/** Map, DMA, unmap with invalidation deferred to a flush queue ({@code iommu.strict=0}). */
		CHURN_LAZY;

		/** stream, random, churn-strict, churn-lazy. */
		public String label() {
			return name().toLowerCase(Locale.ROOT).replace('_', '-');
		}

		/** The pattern of a label (or an enum name). */
		public static Pattern of(String s) {
			for (Pattern p : values()) {
				if (p.label().equalsIgnoreCase(s) || p.name().equalsIgnoreCase(s)) {
					return p;
				}
			}
			throw new IllegalArgumentException("no workload pattern '" + s + "' (have: stream, random, churn-strict, churn-lazy)");
		}
	}

	public WorkloadSpec {
		devices = List.copyOf(devices);
		if (pattern == null) {
			throw new IllegalArgumentException("a workload needs a pattern");
		}
		if (ioBytes <= 0 || ioBytes > (1 << 20)) {
			throw new IllegalArgumentException("I/O size must be 1 byte..1 MiB, not " + ioBytes);
		}
		if ((pattern == Pattern.STREAM || pattern == Pattern.RANDOM) && bufferBytes < ioBytes) {
			throw new IllegalArgumentException("the buffer (" + bufferBytes + " bytes) must hold one I/O (" + ioBytes + " bytes)");
		}
		if (rate < 0 || Double.isNaN(rate) || ios < 0 || dmasPerMap < 1 || batch < 1) {
			throw new IllegalArgumentException("rate, I/Os, DMAs per map and batch must be positive");
		}
		if (duration == null || duration.isNegative()) {
			throw new IllegalArgumentException("a workload needs a duration of zero or more");
		}
		if (duration.isZero() && ios == 0) {
			throw new IllegalArgumentException("a workload needs a duration or a number of I/Os");
		}
	}

	/** A pattern on every device: 1 MiB buffer, 4 KiB I/Os, unthrottled, for {@code ios} I/Os per device. */
	public static WorkloadSpec of(Pattern pattern, long ios) {
		return new WorkloadSpec(pattern, List.of(), 1L << 20, 4096, 0, Duration.ZERO, ios, 1, 256, 1);
	}

	/** A pattern on every device: 1 MiB buffer, 4 KiB I/Os, unthrottled, for a duration. */
	public static WorkloadSpec of(Pattern pattern, Duration duration) {
		return new WorkloadSpec(pattern, List.of(), 1L << 20, 4096, 0, duration, 0, 1, 256, 1);
	}

	public WorkloadSpec withDevices(List<String> d) {
		return new WorkloadSpec(pattern, d, bufferBytes, ioBytes, rate, duration, ios, dmasPerMap, batch, seed);
	}

	public WorkloadSpec withBuffer(long bytes) {
		return new WorkloadSpec(pattern, devices, bytes, ioBytes, rate, duration, ios, dmasPerMap, batch, seed);
	}

	public WorkloadSpec withIo(int bytes) {
		return new WorkloadSpec(pattern, devices, bufferBytes, bytes, rate, duration, ios, dmasPerMap, batch, seed);
	}

	public WorkloadSpec withRate(double perSecond) {
		return new WorkloadSpec(pattern, devices, bufferBytes, ioBytes, perSecond, duration, ios, dmasPerMap, batch, seed);
	}

	public WorkloadSpec withDuration(Duration d) {
		return new WorkloadSpec(pattern, devices, bufferBytes, ioBytes, rate, d, ios, dmasPerMap, batch, seed);
	}

	public WorkloadSpec withIos(long n) {
		return new WorkloadSpec(pattern, devices, bufferBytes, ioBytes, rate, duration, n, dmasPerMap, batch, seed);
	}

	public WorkloadSpec withDmasPerMap(int n) {
		return new WorkloadSpec(pattern, devices, bufferBytes, ioBytes, rate, duration, ios, n, batch, seed);
	}

	public WorkloadSpec withBatch(int n) {
		return new WorkloadSpec(pattern, devices, bufferBytes, ioBytes, rate, duration, ios, dmasPerMap, n, seed);
	}
}
