package smmu.hw;

import java.util.List;
import java.util.Map;

/**
 * Counters of one SMMU instance, read the same way by shell, tests and benchmarks.
 *
 * @param caches per cache lookups, hits, misses, insertions, invalidations
 * @param steFetches STEs read from memory
 * @param steL1Fetches level-1 stream table descriptors read
 * @param cdFetches CDs read
 * @param cdL1Fetches level-1 CD descriptors read
 * @param tableReads translation table descriptor reads, index [stage - 1][level]: the reads really made, so
 *        a nested walk counts fewer stage-2 reads than the architecture's walk where its per-walk stage-2
 *        walk cache served a level (the traced {@link Smmu#walk} shows every read and counts nothing)
 * @param translations transactions handled
 * @param faults transactions terminated, by event type (aborts without event count as "ABORT")
 * @param commands commands consumed, by upstream opcode name
 * @param eventsRecorded event records written to the event queue
 * @param eventsLost events that found the queue full or disabled
 */
public record SmmuStats(List<CacheStats> caches, long steFetches, long steL1Fetches, long cdFetches, long cdL1Fetches,
		long[][] tableReads, long translations, Map<String, Long> faults, Map<String, Long> commands, long eventsRecorded,
		long eventsLost) {

	public CacheStats cache(String name) {
		return caches.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
	}

	public long tableReads(int stage) {
		long n = 0;
		for (long r : tableReads[stage - 1]) {
			n += r;
		}
		return n;
	}
}
