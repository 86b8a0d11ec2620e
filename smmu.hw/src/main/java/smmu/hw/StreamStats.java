package smmu.hw;

import java.util.Map;

/**
 * Counters of one StreamID of one SMMU instance ({@link Smmu#streamStats}): what that stream's
 * transactions cost. Commands, invalidations, cache occupancy and event-queue overflow are not per stream
 * (see {@link SmmuStats}); a stream's share of {@link SmmuStats} is these counters.
 *
 * @param sid the StreamID
 * @param translations transactions of the stream
 * @param microTlbHits served by the micro-TLB
 * @param mainTlbHits served by the main TLB (not the micro-TLB)
 * @param tlbMisses main-TLB lookups that missed (each then walked)
 * @param walks translation table walks (TLB misses, and every translation with the TLB disabled)
 * @param configHits configuration cache hits (a TLB hit used the cached configuration, so counts)
 * @param configMisses configuration cache misses (each read the STE, and the CD when stage 1 translates)
 * @param steFetches STEs read from memory
 * @param steL1Fetches level-1 stream table descriptors read
 * @param cdFetches CDs read
 * @param cdL1Fetches level-1 CD descriptors read
 * @param tableReads translation table descriptor reads, index [stage - 1][level]
 * @param faults transactions terminated, by event type (aborts without event count as "ABORT")
 * @param events event records the stream's faults sent to the event queue (whether it had room is per SMMU:
 *        {@link SmmuStats#eventsLost()})
 */
public record StreamStats(int sid, long translations, long microTlbHits, long mainTlbHits, long tlbMisses, long walks, long configHits,
		long configMisses, long steFetches, long steL1Fetches, long cdFetches, long cdL1Fetches, long[][] tableReads, Map<String, Long> faults,
		long events) {

	/** Hits at either TLB level. */
	public long tlbHits() {
		return microTlbHits + mainTlbHits;
	}

	public long tableReads(int stage) {
		long n = 0;
		for (long r : tableReads[stage - 1]) {
			n += r;
		}
		return n;
	}

	/** Terminated transactions of every type. */
	public long faultCount() {
		long n = 0;
		for (long f : faults.values()) {
			n += f;
		}
		return n;
	}
}
