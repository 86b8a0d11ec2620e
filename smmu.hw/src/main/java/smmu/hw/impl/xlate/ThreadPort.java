package smmu.hw.impl.xlate;

import java.util.Arrays;

import smmu.hw.StreamPort;
import smmu.hw.impl.cache.ConfigCache;
import smmu.hw.impl.cache.Tlb;
import smmu.hw.impl.config.StreamConfig;

/**
 * One thread's {@link StreamPort} of an engine: a micro-TLB of {@value Counters#MICRO_ENTRIES} entries
 * direct-mapped by 4K input page, all found with one configuration ({@link #slot}), and the thread's counter
 * block of the stream. Only the owner reads or writes the micro-TLB and the slot (a call from another thread
 * goes to {@link SmmuTranslationEngine#translateCached}), so no entry of one configuration can be paired
 * with another: when the cache's configuration of the stream changes, the port empties its micro-TLB before
 * it fills again. An entry serves while neither it nor the configuration has left its cache (each removal
 * marks the node dead before the invalidation returns), as in the thread's own micro-TLB.
 */
final class ThreadPort implements StreamPort {
	private static final long NOT_CACHED = TranslationEngine.NOT_CACHED;

	private final SmmuTranslationEngine engine;
	private final Thread owner = Thread.currentThread();
	private final int sid, ssid;
	/** The owner's counter block of the stream's key. */
	private final long[] block;
	private final Tlb.Entry[] micro = new Tlb.Entry[Counters.MICRO_ENTRIES];
	/** The configuration every entry of {@link #micro} was found with (owner only; racy for {@link #microLive}). */
	private ConfigCache.Slot slot;

	ThreadPort(SmmuTranslationEngine engine, int sid, int ssid, long[] block) {
		this.engine = engine;
		this.sid = sid;
		this.ssid = ssid;
		this.block = block;
	}

	private static int index(long iova) {
		return (int) (iova >>> 12) & (Counters.MICRO_ENTRIES - 1);
	}

	@Override
	public long translateCached(long iova, boolean write) {
		if (Thread.currentThread() != owner) {
			return engine.translateCached(sid, ssid, iova, write);
		}
		if (!engine.smmuEnabled) {
			return NOT_CACHED;
		}
		ConfigCache.Slot s = slot;
		if (s != null && !s.dead()) {
			Tlb.Entry u = micro[index(iova)];
			if (u != null && u.covers(iova) && u.permits(write) && !u.dead()) {
				Counters.add(block, Counters.MICRO_HITS);
				return u.output(iova);
			}
		}
		return mainHit(iova, write);
	}

	/** The cached configuration and one main-TLB lookup, as the engine's hit path; a hit fills the micro-TLB. */
	private long mainHit(long iova, boolean write) {
		ConfigCache.Slot s = engine.configSlot(sid, ssid);
		if (s == null) {
			return NOT_CACHED;
		}
		if (s != slot) {
			Arrays.fill(micro, null);
			slot = s;
		}
		Tlb.Entry e = engine.tlbLookup(sid, (StreamConfig) s.value(), iova);
		if (e == null || !e.permits(write)) {
			return NOT_CACHED;
		}
		Counters.add(block, Counters.FAST_HITS);
		micro[index(iova)] = e;
		return e.output(iova);
	}

	/** Entries of the micro-TLB that would serve now (racy from another thread). */
	int microLive() {
		ConfigCache.Slot s = slot;
		if (s == null || s.dead()) {
			return 0;
		}
		int n = 0;
		for (Tlb.Entry e : micro) {
			if (e != null && !e.dead()) {
				n++;
			}
		}
		return n;
	}
}
