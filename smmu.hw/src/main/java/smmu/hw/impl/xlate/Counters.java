package smmu.hw.impl.xlate;

import smmu.hw.impl.cache.ConfigCache;
import smmu.hw.impl.cache.Tlb;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import smmu.hw.EventType;
import smmu.hw.impl.config.FetchListener;

/**
 * One thread's counters of an engine, one block per StreamID the thread translated for. Only the owning
 * thread writes them, with opaque stores: a plain add with no lock prefix and no cache line shared with
 * another thread, where a LongAdder would CAS and an AtomicLong would bounce its line between cores.
 * {@code stats()} sums every block of every thread with opaque reads (a value may lag by the increments in
 * flight); {@code streamStats(sid)} sums the blocks of one StreamID. {@link #add} counts into the block of
 * the current StreamID ({@link #sid}), which the engine changes ({@link #select}) only when a transaction
 * of another StreamID than the thread's last comes: the hit path pays one compare for the attribution, and
 * still one increment. A translation served by both caches costs one increment ({@link #FAST_HITS},
 * counted as a translation, a config hit and a TLB hit). This is also the listener that counts
 * configuration fetches and table descriptor reads (the reads the walker really makes: none for a
 * descriptor a nested walk's own stage-2 walk cache supplied).
 */
final class Counters implements FetchListener {
	/** A translation served by a configuration cache hit and a main-TLB hit: counts for all three. */
	static final int FAST_HITS = 0;
	/** A translation served by the micro-TLB: counts as a translation, a config hit and a TLB hit. */
	static final int MICRO_HITS = 9;
	static final int TLB_HITS = 1, TLB_MISSES = 2, CFG_HITS = 3, CFG_MISSES = 4, STE = 5, STE_L1 = 6, CD = 7, CD_L1 = 8,
			READS = 10, TRANSLATIONS = READS + 8, FAULTS = TRANSLATIONS + 1, ABORTS = FAULTS + EventType.values().length,
			WALKS = ABORTS + 1, EVENTS = WALKS + 1, SIZE = EVENTS + 1;

	private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
	private static final EventType[] TYPES = EventType.values();
	// padding keeps two threads' blocks off one cache line
	private static final int PAD = 8;

	final Thread owner = Thread.currentThread();

	/**
	 * Micro-TLB entries per thread (a power of two): 512 pairs of references, 4 KiB with compressed
	 * references (8 KiB without) per translating thread and engine, beside the entries and configurations
	 * they keep reachable until overwritten (at most 512 of each, dead ones included).
	 */
	static final int MICRO_ENTRIES = 512;
	/**
	 * The micro-TLB, direct-mapped by {@link #microIndex}: in {@code microEntry[i]} a main-TLB entry this
	 * thread hit, in {@code microSlot[i]} the configuration slot (which names its StreamID and SubstreamID)
	 * that lookup used; both or neither (the owner writes both; only {@link #microLive} reads them from
	 * another thread). One array per node type, so a hit makes no type check. An entry is valid while
	 * neither node is dead: each removal from its cache marks the node dead before it returns.
	 */
	final Tlb.Entry[] microEntry = new Tlb.Entry[MICRO_ENTRIES];
	final ConfigCache.Slot[] microSlot = new ConfigCache.Slot[MICRO_ENTRIES];
	/** The StreamID whose block {@link #add} counts into. */
	int sid;
	private long[] c;
	/** This thread's blocks by stream key (owner only; the engine also lists them for its readers). */
	final java.util.Map<Integer, long[]> streams = new java.util.HashMap<>();
	/** The blocks of this thread's recent StreamIDs, direct-mapped by the low bits (owner only). */
	static final int RECENT = 16;
	final long[][] recent = new long[RECENT][];
	final int[] recentSid = new int[RECENT];
	/** This thread's stream ports by stream (StreamID << 32 | SubstreamID; owner only). */
	final java.util.Map<Long, ThreadPort> ports = new java.util.HashMap<>();

	/**
	 * The micro-TLB index of a transaction: its 4K input page plus a hash of its stream, so a run of
	 * consecutive pages of one stream fills consecutive entries (up to {@link #MICRO_ENTRIES} pages never
	 * collide) and two streams' same pages land apart.
	 */
	static int microIndex(int sid, int ssid, long iova) {
		return ((int) (iova >>> 12) + ((sid * 0x9e3779b9 + ssid) * 0x85ebca6b >>> 16)) & (MICRO_ENTRIES - 1);
	}

	/** Entries of the micro-TLB whose main-TLB entry and configuration are both live (racy from another thread). */
	int microLive() {
		int n = 0;
		for (int i = 0; i < MICRO_ENTRIES; i++) {
			Tlb.Entry e = microEntry[i];
			ConfigCache.Slot s = microSlot[i];
			if (e != null && s != null && !e.dead() && !s.dead()) {
				n++;
			}
		}
		return n;
	}

	/** A new block, padded so that two threads' blocks share no cache line. */
	static long[] block() {
		return new long[PAD + SIZE + PAD];
	}

	/** Counts into {@code block} (this thread's block of {@code sid}'s stream key) from now on. */
	void select(int sid, long[] block) {
		this.sid = sid;
		this.c = block;
	}

	void add(int i) {
		add(c, i);
	}

	/** Counts into {@code block}, which only the calling thread writes. */
	static void add(long[] block, int i) {
		int k = PAD + i;
		LONGS.setOpaque(block, k, (long) LONGS.getOpaque(block, k) + 1);
	}

	static long get(long[] block, int i) {
		return (long) LONGS.getOpaque(block, PAD + i);
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
