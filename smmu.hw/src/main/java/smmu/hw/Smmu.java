package smmu.hw;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One SMMUv3 instance. Software changes it only through its registers ({@link SmmuRegisters}) and the
 * structures it writes to {@link #memory()}; devices send it transactions through
 * {@link #translate(TranslationRequest)}. Guest garbage never throws: it ends as event records and
 * GERROR bits, as the architecture says. Safe for concurrent translations and register accesses.
 */
@ProviderType
public interface Smmu extends SmmuRegisters {

	SmmuSpec spec();

	default String id() {
		return spec().id();
	}

	/** The memory its table walks, queue accesses and structure fetches go to. */
	PhysicalMemory memory();

	/** {@link #translateCached}'s answer when the caches do not translate the transaction. */
	long NOT_CACHED = -1;

	/** Translates one transaction: config cache, TLB, walks; records events for faults. */
	TranslationResult translate(TranslationRequest request);

	/**
	 * The hit path of {@link #translate}, without a request or a result object: the output address when the
	 * SMMU's caches (micro-TLB, configuration cache and TLB) translate the transaction now, counted as
	 * {@code translate} counts a TLB hit; otherwise {@link #NOT_CACHED}, with nothing counted, nothing walked
	 * and no event recorded, and the caller calls {@code translate} for the result. A hit allocates nothing.
	 * Device models use it per transaction: {@code long pa = smmu.translateCached(..); if (pa == NOT_CACHED) ..}.
	 *
	 * @since 1.4
	 */
	default long translateCached(int sid, int ssid, long iova, boolean write) {
		return NOT_CACHED;
	}

	/**
	 * The calling thread's {@link StreamPort} for stream ({@code sid}, {@code ssid}): {@link #translateCached}
	 * without finding the thread's state or hashing the stream per transaction. Take it once per DMA (or
	 * keep it per DMA thread); a thread's ports of one stream share one micro-TLB.
	 *
	 * @since 1.5
	 */
	default StreamPort port(int sid, int ssid) {
		return (iova, write) -> translateCached(sid, ssid, iova, write);
	}

	/**
	 * Translates one transaction while tracing every memory read, without using or filling the caches
	 * (not even the stage-2 walk cache that one nested walk of {@link #translate} keeps for itself, so the
	 * trace holds every descriptor read of the architecture's walk) and without recording events or
	 * counting statistics.
	 */
	Walk walk(TranslationRequest request);

	/** The STE the SMMU finds for {@code sid} now (through the stream table registers), uncached. */
	TableEntry readSte(int sid);

	/** The CD the SMMU finds for {@code sid}/{@code ssid} now (through stage 2 when nested), uncached. */
	TableEntry readCd(int sid, int ssid);

	/** The instance's counters since the last {@link #resetStats()}. */
	SmmuStats stats();

	/** Zeroes every counter: the instance's and every StreamID's. */
	void resetStats();

	/**
	 * The counters of each StreamID in {@code sids}, in that order, since the last {@link #resetStats()} or
	 * {@link #resetStreamStats} that covered it (zeros for a stream that sent nothing).
	 *
	 * @throws IllegalArgumentException for a StreamID at or beyond 2^IDR1.SIDSIZE (its transactions, all
	 *         C_BAD_STREAMID, count only in {@link #stats()})
	 */
	List<StreamStats> streamStats(int... sids);

	/**
	 * Zeroes the counters of the StreamIDs {@code sids} only; {@link #stats()} (the instance's totals) and
	 * other streams keep theirs.
	 *
	 * @throws IllegalArgumentException as {@link #streamStats}
	 */
	void resetStreamStats(int... sids);

	/** Connects the wired interrupt lines; null disconnects. */
	void connect(InterruptSink sink);
}
