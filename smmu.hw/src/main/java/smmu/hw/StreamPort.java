package smmu.hw;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One stream's translation port for one thread: {@link Smmu#translateCached} with the StreamID and
 * SubstreamID fixed and a micro-TLB of the port's own in front of the stream's TLB, as a TBU keeps its
 * master's recent translations. A device model's DMA loop takes the port once and then pays per
 * transaction neither a lookup of its thread's state nor a stream key: {@code StreamPort p =
 * smmu.port(sid, ssid); long pa = p.translateCached(iova, write); if (pa == Smmu.NOT_CACHED) ..}.
 * <p>
 * Answers and counts are {@code translateCached}'s: the output address when the SMMU's caches translate
 * the transaction now, counted as a TLB hit of the stream; otherwise {@link Smmu#NOT_CACHED} with nothing
 * counted, walked or recorded, and the caller calls {@link Smmu#translate}. A hit allocates nothing. The
 * port belongs to the thread that took it; a call from another thread takes {@code translateCached}'s
 * path, with the same answers, counted in that thread's share, so a port handed between threads stays
 * correct and only loses its speed there.
 *
 * @since 1.5
 */
@ProviderType
@FunctionalInterface
public interface StreamPort {

	/** The output address of {@code iova} when the caches translate it now, else {@link Smmu#NOT_CACHED}. */
	long translateCached(long iova, boolean write);
}
