package smmu.hw;

/**
 * Counters of one cache (gem5's set).
 *
 * @param name "tlb" or "config"
 * @param entries entries held now
 * @param capacity maximum entries
 */
public record CacheStats(String name, long lookups, long hits, long misses, long insertions, long invalidations, long entries, long capacity) {

	public double hitRate() {
		return lookups == 0 ? 0.0 : (double) hits / lookups;
	}
}
