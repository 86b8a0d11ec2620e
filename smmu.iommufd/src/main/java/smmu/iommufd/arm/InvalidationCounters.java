package smmu.iommufd.arm;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a domain's invalidations sent, per physical SMMU: TLBI commands, ATC_INV commands and CMD_SYNCs,
 * for the last invalidation (one unmap) and in total. Read by benchmarks and reports.
 */
public final class InvalidationCounters {

	/** Commands one SMMU received. */
	public record PerSmmu(long tlbi, long atcInv, long syncs) {
		PerSmmu plus(PerSmmu o) {
			return new PerSmmu(tlbi + o.tlbi, atcInv + o.atcInv, syncs + o.syncs);
		}
	}

	private Map<String, PerSmmu> last = Map.of();
	private final Map<String, PerSmmu> total = new LinkedHashMap<>();
	private long invalidations;

	synchronized void record(Map<String, PerSmmu> one) {
		last = Collections.unmodifiableMap(new LinkedHashMap<>(one));
		for (Map.Entry<String, PerSmmu> e : one.entrySet()) {
			total.merge(e.getKey(), e.getValue(), PerSmmu::plus);
		}
		invalidations++;
	}

	/** Per SMMU id, what the last invalidation sent (empty if it reached no SMMU). */
	public synchronized Map<String, PerSmmu> last() {
		return last;
	}

	/** Per SMMU id, everything sent since the domain was created. */
	public synchronized Map<String, PerSmmu> total() {
		return Map.copyOf(total);
	}

	/** Invalidations (unmaps that unmapped something) so far. */
	public synchronized long invalidations() {
		return invalidations;
	}
}
