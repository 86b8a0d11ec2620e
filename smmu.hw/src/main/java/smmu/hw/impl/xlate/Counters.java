package smmu.hw.impl.xlate;

import smmu.hw.impl.cache.ConfigCache;
import smmu.hw.impl.cache.Tlb;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import smmu.hw.EventType;
import smmu.hw.impl.config.FetchListener;

/**
 * One thread's counters of an engine. Only the owning thread writes them, with opaque stores: a plain add
 * with no lock prefix and no cache line shared with another thread, where a LongAdder would CAS and an
 * AtomicLong would bounce its line between cores. {@code stats()} sums every thread's block with opaque
 * reads (a value may lag by the increments in flight). A translation served by both caches costs one
 * increment ({@link #FAST_HITS}, counted as a translation, a config hit and a TLB hit). The block is also
 * the listener that counts configuration fetches and table descriptor reads (the reads the walker
 * really makes: none for a descriptor a nested walk's own stage-2 walk cache supplied).
 */
final class Counters implements FetchListener {
	/** A translation served by a configuration cache hit and a main-TLB hit: counts for all three. */
	static final int FAST_HITS = 0;
	/** A translation served by the micro-TLB: counts as a translation, a config hit and a TLB hit. */
	static final int MICRO_HITS = 9;
	static final int TLB_HITS = 1, TLB_MISSES = 2, CFG_HITS = 3, CFG_MISSES = 4, STE = 5, STE_L1 = 6, CD = 7, CD_L1 = 8,
			READS = 10, TRANSLATIONS = READS + 8, FAULTS = TRANSLATIONS + 1, ABORTS = FAULTS + EventType.values().length,
			SIZE = ABORTS + 1;

	private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
	private static final EventType[] TYPES = EventType.values();
	// padding keeps two threads' blocks off one cache line
	private static final int PAD = 8;

	final Thread owner = Thread.currentThread();

	/*
	 * The micro-TLB: a main-TLB hit of this thread (or null), the configuration slot it used and its
	 * (StreamID, SubstreamID); valid while neither node is dead. The slot and key change together, and
	 * then the entry is cleared. lastPage: the 4K page of the last main-TLB hit or walk.
	 */
	long lastKey, lastPage = -1;
	Tlb.Entry last;
	ConfigCache.Slot lastSlot;
	private final long[] c = new long[PAD + SIZE + PAD];

	void add(int i) {
		int k = PAD + i;
		LONGS.setOpaque(c, k, (long) LONGS.getOpaque(c, k) + 1);
	}

	long get(int i) {
		return (long) LONGS.getOpaque(c, PAD + i);
	}

	void fault(EventType type) {
		add(type == null ? ABORTS : FAULTS + type.ordinal());
	}

	static EventType faultType(int i) {
		return TYPES[i - FAULTS];
	}

	@Override
	public void fetched(Kind kind, long address, long value) {
		add(switch (kind) {
			case L1STD -> STE_L1;
			case STE -> STE;
			case L1CD -> CD_L1;
			case CD -> CD;
		});
	}

	@Override
	public void descriptorRead(int stage, int level, long address, long descriptor) {
		add(READS + ((stage - 1) & 1) * 4 + (level & 3));
	}
}
