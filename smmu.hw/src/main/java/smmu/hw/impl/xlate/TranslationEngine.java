package smmu.hw.impl.xlate;

import smmu.hw.SmmuStats;
import smmu.hw.StreamPort;
import smmu.hw.TableEntry;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.Walk;

/**
 * The translation half of an SMMU: stream table and CD lookup and decode, configuration cache, TLB
 * and table walks. The register file and command queue drive it: they handle SMMUEN/GBPA before
 * calling {@link #translate}, and turn each CFGI and TLBI command into one of the invalidation calls,
 * whose reach is exactly the command's. Safe for concurrent translations and invalidations; once an
 * invalidation call has returned, no translation that starts afterwards uses what it removed.
 */
public interface TranslationEngine {

	/** An ASID value meaning "every ASID" (TLBI_NH_VAA). */
	int ANY_ASID = -1;

	/** {@link smmu.hw.Smmu#translateCached}'s answer on a miss. */
	long NOT_CACHED = -1;

	TranslationResult translate(StreamTable table, TranslationRequest request);

	/**
	 * The output address when the caches translate the transaction now (counted as {@link #translate} counts
	 * a hit), else {@link #NOT_CACHED} with nothing counted; no walk, no event, no allocation.
	 */
	default long translateCached(int sid, int ssid, long iova, boolean write) {
		return NOT_CACHED;
	}

	/**
	 * SMMUEN as the caches see it (the register file sets it with every change): while false,
	 * {@link #translateCached} and every port answer {@link #NOT_CACHED}. True for an engine of its own.
	 */
	void setSmmuEnabled(boolean enabled);

	/** The calling thread's port of stream ({@code sid}, {@code ssid}): {@link #translateCached} with the stream fixed. */
	StreamPort port(int sid, int ssid);

	/** The traced, uncached, side-effect-free variant of {@link #translate}. */
	Walk walk(StreamTable table, TranslationRequest request);

	TableEntry readSte(StreamTable table, int sid);

	TableEntry readCd(StreamTable table, int sid, int ssid);

	/** CFGI_STE: the configuration of every SubstreamID of {@code sid}. */
	void invalidateSte(int sid);

	/** CFGI_STE_RANGE: SIDs sid & ~mask .. sid | mask with mask = 2^(range+1) - 1 (range 31: all, CFGI_ALL). */
	void invalidateSteRange(int sid, int range);

	/** CFGI_CD: the CD of ({@code sid}, {@code ssid}). */
	void invalidateCd(int sid, int ssid);

	/** CFGI_CD_ALL: every CD of {@code sid}. */
	void invalidateCdAll(int sid);

	/** TLBI_NSNH_ALL: every entry of the Non-secure non-hypervisor regimes; EL2 and EL2-E2H entries stay. */
	void invalidateAll();

	/** TLBI_EL2_ALL: every EL2 and EL2-E2H entry. */
	void invalidateEl2All();

	/** TLBI_EL2_ASID: non-global EL2-E2H entries tagged {@code asid}. */
	void invalidateEl2Asid(int asid);

	/**
	 * TLBI_EL2_VA (asid given) and TLBI_EL2_VAA ({@link #ANY_ASID}): EL2 entries and EL2-E2H entries tagged
	 * {@code asid} or global whose input range intersects [addr, addr + length).
	 */
	void invalidateEl2Va(int asid, long addr, long length, boolean leaf);

	/** TLBI_S12_VMALL: stage-1, stage-2 and combined entries tagged {@code vmid}. */
	void invalidateVmid(int vmid);

	/** TLBI_NH_ALL: stage-1 and combined (nested) entries tagged {@code vmid}; stage-2-only entries stay. */
	void invalidateStage1(int vmid);

	/** TLBI_NH_ASID: non-global stage-1 and combined entries tagged ({@code vmid}, {@code asid}). */
	void invalidateAsid(int vmid, int asid);

	/**
	 * TLBI_NH_VA (asid given) and TLBI_NH_VAA ({@link #ANY_ASID}): stage-1 and combined entries of
	 * {@code vmid} tagged {@code asid} or global whose input range intersects [addr, addr + length). With {@code leaf}, entries of
	 * walk caches (if any) may stay.
	 */
	void invalidateVa(int vmid, int asid, long addr, long length, boolean leaf);

	/** TLBI_S2_IPA: stage-2-only entries of {@code vmid} intersecting [ipa, ipa + length); combined entries stay. */
	void invalidateIpa(int vmid, long ipa, long length, boolean leaf);

	/** Counters of the engine: caches, fetches, table reads, translations and faults (commands and events empty). */
	SmmuStats stats();

	/** Zeroes every counter, the streams' too. */
	void resetStats();

	/** The counters of each StreamID, as {@code Smmu.streamStats}. */
	java.util.List<smmu.hw.StreamStats> streamStats(int... sids);

	/** Zeroes the counters of the StreamIDs only, as {@code Smmu.resetStreamStats}. */
	void resetStreamStats(int... sids);
}
