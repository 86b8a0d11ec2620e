package smmu.hw.impl.xlate;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

import smmu.hw.CacheStats;
import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.PhysicalMemory;
import smmu.hw.SmmuSpec;
import smmu.hw.SmmuStats;
import smmu.hw.StreamPort;
import smmu.hw.StreamStats;
import smmu.hw.TableEntry;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Path;
import smmu.hw.TranslationResult.Translated;
import smmu.hw.Walk;
import smmu.hw.arch.Regs;
import smmu.hw.impl.cache.ConfigCache;
import smmu.hw.impl.cache.Tlb;
import smmu.hw.impl.config.ConfigDecoder;
import smmu.hw.impl.config.Decoded;
import smmu.hw.impl.config.FetchListener;
import smmu.hw.impl.config.StreamConfig;
import smmu.hw.impl.walk.PageTableWalker;
import smmu.hw.impl.walk.S2Regime;
import smmu.hw.impl.walk.WalkResult;

/**
 * The translation half of an SMMUv3: configuration cache, {@link ConfigDecoder}, TLB and
 * {@link PageTableWalker}, with the counters of {@link #stats()}.
 * <p>
 * Caches: the configuration cache holds one decoded configuration per (StreamID, SubstreamID), STE and CD
 * together, so CFGI_CD also refetches the STE of that key. TLBs hold leaf translations tagged (VMID,
 * ASID, kind), one TLB per TBU as in an MMU-600/700, where each TBU (the translation port of a group of
 * devices) has its own TLB and the TCU has the configuration cache and walks: here {@value #TBUS} TBUs, a
 * stream's being its StreamID's low four bits, each TLB of the spec's TLB capacity. So transactions of
 * different devices fill and evict in different tables (on different cache lines when threads carry
 * them), and a stream's entries serve every thread that carries it. Every TLBI reaches every TBU's TLB,
 * as the TCU forwards invalidations to all TBUs. Both caches replace FIFO when full and are disabled by a
 * capacity of 0. A TLB hit that lacks the
 * permission the access needs is not used: the access walks, and the walk reports the fault exactly.
 * Faults and configuration errors are never cached (a valid STE with Config = abort or S1DSS = terminate
 * is: its transactions abort from the cache). The configuration cache is not keyed by the stream table:
 * after changing STRTAB_BASE or STRTAB_BASE_CFG the register file invalidates it (CFGI_ALL).
 * <p>
 * Counters: one block per translating thread and StreamID ({@link Counters}), reset by taking a baseline.
 * {@link #stats()} sums them all, {@link #streamStats} those of one StreamID; a thread looks its block up
 * only when its StreamID changes from one transaction to the next, so a stream's hits cost what they cost
 * without attribution plus one compare. StreamIDs at or beyond 2^SIDSIZE (all C_BAD_STREAMID) share one
 * block that only the totals read, so a guest spraying StreamIDs cannot grow the blocks past the table.
 * <p>
 * Concurrency: translations run lock-free on the hit path; a fill locks one stripe of its cache and an
 * invalidation one stripe at a time (see {@code LinearTable}). An invalidation logs its predicate before
 * removing, and a fill is refused if an invalidation logged since its miss path began matches it, so a walk
 * that raced with an invalidation never inserts what that invalidation was meant to remove, and an
 * invalidation that cannot match a fill does not refuse it; a TLB fill is also refused when the cached
 * configuration it walked with has died (a CFGI returned meanwhile). The hit path reads no invalidation
 * sequence; {@link #translateCached} is the hit path alone and allocates nothing.
 * <p>
 * Micro-TLB: each thread keeps {@value Counters#MICRO_ENTRIES} main-TLB hits, each with the
 * configuration slot it used (as a TBU keeps entries in front of the TLB), direct-mapped by 4K input page
 * and stream ({@link Counters#microIndex}); every main-TLB hit fills its entry (a walk does not: the next
 * access to the page hits the main TLB and fills). An entry serves a transaction of the same (StreamID,
 * SubstreamID) in the same block while neither node is dead, i.e. has left its cache; an invalidation
 * that removes other entries leaves it alone and no invalidation touches another thread's array. Counted
 * apart: "utlb" hits are micro-TLB hits; "tlb" hits are hits at either level; the "utlb" row's entries
 * are the live pairs of all threads and ports, its capacity {@value Counters#MICRO_ENTRIES} per translating
 * thread and per port.
 * <p>
 * Ports ({@link #port}): a thread's {@link StreamPort} of one stream has a micro-TLB of its own, all of
 * whose entries were found with one configuration, and counts into the thread's block of the stream, so
 * its hit is the micro-TLB check without the thread's block lookup, the stream's hash and its key compare
 * (see {@link ThreadPort}).
 */
public final class SmmuTranslationEngine implements TranslationEngine {

	private static final Aborted CONFIG_ABORT = new Aborted(null, "STE.Config = abort");
	/** The stream key of every StreamID beyond SIDSIZE. */
	private static final int BEYOND_SIDSIZE = -1;
	/** TBUs: a transaction's is the one of its StreamID's low four bits, so neighbouring devices have their own. */
	static final int TBUS = 16;
	private static final VarHandle TBU = MethodHandles.arrayElementVarHandle(Tlb[].class);

	private final EventSink sink;
	private final PageTableWalker walker;
	private final ConfigDecoder decoder;
	/**
	 * The TBUs' TLBs, {@value #TBUS} of them, each made on its first use (under its own monitor, which
	 * invalidations hold while they reach every TLB made so far; see {@link #tbu}).
	 */
	private final Tlb[] tbus = new Tlb[TBUS];
	private final int tlbCapacity;
	private final ConfigCache<StreamConfig> configs;
	private final boolean tlbOn, configsOn;
	/** SMMUEN: while false the cached hit paths answer NOT_CACHED ({@link #setSmmuEnabled}). */
	volatile boolean smmuEnabled = true;
	private final int sidBits;
	private final List<Counters> blocks = new ArrayList<>();
	// guarded by blocks: every thread's stream ports, for the micro-TLB's occupancy
	private final List<ThreadPort> ports = new ArrayList<>();
	private final ThreadLocal<Counters> counters = ThreadLocal.withInitial(this::newCounters);
	// the first translating thread's counters, reachable without the ThreadLocal lookup
	private Counters first;
	// guarded by blocks
	private long[] baseline = new long[Counters.SIZE];
	private long tlbInsertBase, tlbInvalBase, cfgInsertBase, cfgInvalBase;
	// guarded by blocks: every thread's block of each stream key, and each stream key's sums at its last reset
	private final Map<Integer, List<long[]>> streams = new HashMap<>();
	private final Map<Integer, long[]> streamBase = new HashMap<>();

	public SmmuTranslationEngine(SmmuSpec spec, PhysicalMemory memory, EventSink sink) {
		this.sink = sink;
		this.walker = new PageTableWalker(memory);
		this.decoder = new ConfigDecoder(spec, memory, walker);
		this.tlbCapacity = Tlb.capacityFor(spec.tlbCapacity());
		this.configs = new ConfigCache<>(spec.configCacheCapacity());
		this.tlbOn = tlbCapacity > 0;
		this.configsOn = configs.enabled();
		this.sidBits = (int) Regs.IDR1_SIDSIZE.get(spec.idr(1));
	}

	private Counters newCounters() {
		Counters c = new Counters();
		synchronized (blocks) {
			blocks.add(c);
		}
		select(c, 0);
		return c;
	}

	/**
	 * The TLB of {@code sid}'s TBU. Made under the array's monitor, which invalidations hold while they reach
	 * every TLB made so far: an invalidation either reaches a new TLB, or returned before it was made, and then
	 * every walk that may fill it reads the page tables after the change the invalidation was issued for.
	 */
	private Tlb tbu(int sid) {
		int k = sid & (TBUS - 1);
		Tlb t = (Tlb) TBU.getAcquire(tbus, k);
		if (t != null) {
			return t;
		}
		synchronized (tbus) {
			t = tbus[k];
			if (t == null) {
				t = new Tlb(tlbCapacity);
				TBU.setRelease(tbus, k, t);
			}
			return t;
		}
	}

	/** Runs a TLB invalidation on every TBU's TLB. */
	private void invalidateTlbs(Consumer<Tlb> invalidation) {
		synchronized (tbus) {
			for (Tlb t : tbus) {
				if (t != null) {
					invalidation.accept(t);
				}
			}
		}
	}

	/** A sum over the TBUs' TLBs made so far. */
	private long tlbSum(ToLongFunction<Tlb> of) {
		long n = 0;
		for (int k = 0; k < TBUS; k++) {
			Tlb t = (Tlb) TBU.getAcquire(tbus, k);
			if (t != null) {
				n += of.applyAsLong(t);
			}
		}
		return n;
	}

	private int streamKey(int sid) {
		return (sid & 0xffffffffL) >>> sidBits != 0 ? BEYOND_SIDSIZE : sid;
	}

	/**
	 * Makes {@code c} count into its thread's block of {@code sid}: from the thread's few recent streams
	 * (direct-mapped by the StreamID's low bits, so devices taking turns switch without a map lookup), else
	 * from its map, else made on the stream's first transaction in this thread.
	 */
	private void select(Counters c, int sid) {
		c.select(sid, block(c, sid));
	}

	/** {@code c}'s block of {@code sid} ({@link #select}'s lookup). */
	private long[] block(Counters c, int sid) {
		int h = sid & (Counters.RECENT - 1);
		long[] b = c.recent[h];
		if (b == null || c.recentSid[h] != sid) {
			int key = streamKey(sid);
			b = c.streams.get(key);
			if (b == null) {
				b = Counters.block();
				c.streams.put(key, b);
				long[] made = b;
				synchronized (blocks) {
					streams.computeIfAbsent(key, k -> new ArrayList<>()).add(made);
				}
			}
			c.recent[h] = b;
			c.recentSid[h] = sid;
		}
		return b;
	}

	private Counters counters() {
		Counters c = first;
		if (c != null && c.owner == Thread.currentThread()) {
			return c;
		}
		c = counters.get();
		if (first == null) {
			first = c;
		}
		return c;
	}

	@Override
	public TranslationResult translate(StreamTable table, TranslationRequest request) {
		Counters c = counters();
		long pa = hit(c, request.sid(), request.ssid(), request.iova(), request.write());
		if (pa >= 0) {
			return new Translated(pa, Path.TLB_HIT);
		}
		return translateSlow(table, request, pa == PROBED, c);
	}

	@Override
	public void setSmmuEnabled(boolean enabled) {
		smmuEnabled = enabled;
	}

	@Override
	public long translateCached(int sid, int ssid, long iova, boolean write) {
		if (!smmuEnabled) {
			return NOT_CACHED;
		}
		long pa = hit(counters(), sid, ssid, iova, write);
		return pa >= 0 ? pa : NOT_CACHED;
	}

	/**
	 * The calling thread's port of the stream, made on the first call (its micro-TLB and the thread's block
	 * of the stream); see {@link ThreadPort}.
	 */
	@Override
	public StreamPort port(int sid, int ssid) {
		Counters c = counters();
		long key = (long) sid << 32 | (ssid & 0xffff_ffffL);
		ThreadPort p = c.ports.get(key);
		if (p == null) {
			p = new ThreadPort(this, sid, ssid, block(c, sid));
			c.ports.put(key, p);
			synchronized (blocks) {
				ports.add(p);
			}
		}
		return p;
	}

	/** The cached configuration slot of the stream when the hit path may use it (both caches on), else null. */
	ConfigCache.Slot configSlot(int sid, int ssid) {
		return tlbOn && configsOn ? configs.slot(sid, ssid) : null;
	}

	/** The main-TLB entry of {@code iova} under configuration {@code cfg}, or null (also for a configuration without TLB entries). */
	Tlb.Entry tlbLookup(int sid, StreamConfig cfg, long iova) {
		// an input beyond the IAS never reaches the TLB, so no entry can match it
		return cfg.tlbKind() == 0 ? null : tbu(sid).lookup(cfg.vmid(), cfg.asid(), cfg.tlbKind(), cfg.shifts(iova), iova);
	}

	/** {@link #hit}: no cached configuration or no TLB to probe. */
	private static final long NOT_PROBED = -1;
	/** {@link #hit}: the main TLB was probed and had no entry that permits the access. */
	private static final long PROBED = -2;

	/**
	 * The hit path: the micro-TLB, then the cached configuration and one main-TLB lookup. Returns the output
	 * address (counted as a hit), or {@link #NOT_PROBED} / {@link #PROBED} (nothing counted). It reads the
	 * slots and presence words of the caches, their immutable nodes and this thread's counter block; no
	 * invalidation sequence (the miss path reads those), no lock, and it allocates nothing.
	 */
	private long hit(Counters c, int sid, int ssid, long iova, boolean write) {
		if (sid != c.sid) {
			select(c, sid);
		}
		// the micro-TLB: this thread's entry for the page, valid while neither the TLB entry nor the
		// configuration it was found with has left its cache (each removal marks the node dead before the
		// invalidation returns)
		int i = Counters.microIndex(sid, ssid, iova);
		ConfigCache.Slot held = c.microSlot[i];
		if (held != null && held.key() == ((long) sid << 32 | (ssid & 0xffff_ffffL)) && !held.dead()) {
			Tlb.Entry u = c.microEntry[i];
			if (u.covers(iova) && u.permits(write) && !u.dead()) {
				c.add(Counters.MICRO_HITS);
				return u.output(iova);
			}
		} else {
			held = null;
		}
		return mainHit(c, sid, ssid, iova, write, i, held);
	}

	/**
	 * {@link #hit} past the micro-TLB (kept apart so that the micro-TLB's path stays small enough to
	 * inline): the configuration ({@code held}, the live slot of this stream in the micro-TLB entry
	 * {@code i}, or the cache's) and one main-TLB lookup, whose hit fills micro-TLB entry {@code i}.
	 */
	private long mainHit(Counters c, int sid, int ssid, long iova, boolean write, int i, ConfigCache.Slot held) {
		if (!tlbOn) {
			return NOT_PROBED;
		}
		ConfigCache.Slot slot = held != null ? held : configsOn ? configs.slot(sid, ssid) : null;
		if (slot == null) {
			return NOT_PROBED;
		}
		StreamConfig cfg = (StreamConfig) slot.value();
		if (cfg.tlbKind() == 0) {
			return NOT_PROBED;
		}
		Tlb.Entry e = tlbLookup(sid, cfg, iova);
		if (e == null || !e.permits(write)) {
			return PROBED;
		}
		c.add(Counters.FAST_HITS);
		// the micro-TLB takes every main-TLB hit (the entry first: the slot marks the pair present)
		// (each reference store costs a GC write barrier, with a fence when the array and the node lie in
		// different heap regions: the slot, mostly unchanged, is stored only when it changes)
		c.microEntry[i] = e;
		if (c.microSlot[i] != slot) {
			c.microSlot[i] = slot;
		}
		return e.output(iova);
	}

	/**
	 * The miss path. It reads the invalidation sequences before the configuration it uses and before the
	 * walk, and a TLB fill is refused if the cached configuration it walked with has died since (a CFGI, and
	 * the TLBI software issues with it, that completed before the sequence was read are in no log the fill
	 * consults; the configuration's dead mark covers them).
	 */
	private TranslationResult translateSlow(StreamTable table, TranslationRequest request, boolean tlbProbed, Counters c) {
		int sid = request.sid(), ssid = request.ssid();
		Tlb tlb = tlbOn ? tbu(sid) : null;
		long tlbGeneration = tlbOn ? tlb.generation() : 0;
		long cfgGeneration = configs.generation();
		c.add(Counters.TRANSLATIONS);
		long iova = request.iova();
		boolean write = request.write();
		ConfigCache.Slot slot = configsOn ? configs.slot(sid, ssid) : null;
		StreamConfig cfg;
		if (slot != null) {
			cfg = (StreamConfig) slot.value();
			c.add(Counters.CFG_HITS);
		} else {
			if (configsOn) {
				c.add(Counters.CFG_MISSES);
			}
			Decoded d = decoder.decode(table, sid, ssid, iova, write, c);
			if (!d.ok()) {
				return configFault(d, c);
			}
			cfg = d.config();
			if (configsOn) {
				configs.put(sid, ssid, cfg, cfgGeneration);
			}
		}
		if (cfg.kind() != StreamConfig.TRANSLATE) {
			return untranslated(cfg, request, c);
		}
		if (cfg.s1() == null && (iova >>> cfg.inputBits()) != 0) {
			return inputTooLarge(cfg.s2(), request, c);
		}
		if (tlbOn) {
			Tlb.Entry e = tlbProbed ? null : tlb.lookup(cfg.vmid(), cfg.asid(), cfg.tlbKind(), cfg.shifts(iova), iova);
			if (e != null && e.permits(write)) {
				c.add(Counters.TLB_HITS);
				return new Translated(e.output(iova), Path.TLB_HIT);
			}
			c.add(Counters.TLB_MISSES);
		}
		c.add(Counters.WALKS);
		WalkResult w = walker.translate(cfg.s1(), cfg.s2(), iova, write, c);
		if (!w.ok()) {
			Event ev = walkEvent(w, request);
			if (w.record()) {
				sink.record(ev);
				c.add(Counters.EVENTS);
			}
			c.fault(ev.type());
			return new Aborted(ev, reason(w));
		}
		if (tlbOn) {
			tlb.insert(cfg.vmid(), cfg.asid(), cfg.tlbKind(), cfg.shifts(iova), iova, w.pa(), w.ipa(), w.mappingSize(),
					w.s1Writable(), w.s2Readable(), w.s2Writable(), w.global(), tlbGeneration, slot);
		}
		return new Translated(w.pa(), Path.WALK);
	}

	private TranslationResult configFault(Decoded d, Counters c) {
		if (d.record()) {
			sink.record(d.error());
			c.add(Counters.EVENTS);
		}
		c.fault(d.error().type());
		return new Aborted(d.error(), d.reason());
	}

	private TranslationResult untranslated(StreamConfig cfg, TranslationRequest request, Counters c) {
		switch (cfg.kind()) {
			case StreamConfig.BYPASS:
				return new Translated(request.iova(), Path.BYPASS);
			case StreamConfig.DISABLED: {
				Event e = Event.config(EventType.F_STREAM_DISABLED, request.sid(), request.ssid(), 0, 0);
				if (c != null) {
					sink.record(e);
					c.add(Counters.EVENTS);
					c.fault(e.type());
				}
				return new Aborted(e, "S1DSS = terminate: transaction without SubstreamID");
			}
			default:
				if (c != null) {
					c.fault(null);
				}
				return CONFIG_ABORT;
		}
	}

	/** IHI 0070: with stage 1 bypassed, an input beyond the IAS is a stage-1 Address size fault. */
	private TranslationResult inputTooLarge(S2Regime s2, TranslationRequest request, Counters c) {
		Event e = new Event(EventType.F_ADDR_SIZE, request.sid(), request.ssid(), request.iova(), 0, false, Event.CLASS_IN,
				!request.write());
		if (c != null) {
			if (s2.recordFaults()) {
				sink.record(e);
				c.add(Counters.EVENTS);
			}
			c.fault(e.type());
		}
		return new Aborted(e, "input address beyond the IAS");
	}

	private static Event walkEvent(WalkResult w, TranslationRequest request) {
		long address2 = w.fault() == EventType.F_WALK_EABT ? w.fetchAddress() : w.s2() ? w.ipa() : 0;
		return new Event(w.fault(), request.sid(), request.ssid(), request.iova(), address2, w.s2(), w.faultClass(),
				!request.write());
	}

	private static String reason(WalkResult w) {
		return (w.s2() ? "stage 2 " : "stage 1 ") + w.fault().name();
	}

	@Override
	public Walk walk(StreamTable table, TranslationRequest request) {
		Trace t = new Trace();
		Decoded d = decoder.decode(table, request.sid(), request.ssid(), request.iova(), request.write(), t);
		TranslationResult r;
		if (!d.ok()) {
			r = new Aborted(d.error(), d.reason());
		} else {
			StreamConfig cfg = d.config();
			long iova = request.iova();
			if (cfg.kind() != StreamConfig.TRANSLATE) {
				r = untranslated(cfg, request, null);
			} else if (cfg.s1() == null && (iova >>> cfg.inputBits()) != 0) {
				r = inputTooLarge(cfg.s2(), request, null);
			} else {
				WalkResult w = walker.translateUncached(cfg.s1(), cfg.s2(), iova, request.write(), t);
				r = w.ok() ? new Translated(w.pa(), Path.WALK) : new Aborted(walkEvent(w, request), reason(w));
			}
		}
		return new Walk(List.copyOf(t.steps), r);
	}

	@Override
	public TableEntry readSte(StreamTable table, int sid) {
		return decoder.findSte(table, sid, Event.NO_SSID, FetchListener.NONE);
	}

	@Override
	public TableEntry readCd(StreamTable table, int sid, int ssid) {
		return decoder.findCd(table, sid, ssid);
	}

	// ---- configuration cache invalidation

	@Override
	public void invalidateSte(int sid) {
		long s = sid & 0xffffffffL;
		configs.invalidateSids(s, s);
	}

	@Override
	public void invalidateSteRange(int sid, int range) {
		long mask = range >= 31 ? 0xffffffffL : (1L << (Math.max(range, 0) + 1)) - 1;
		long s = sid & 0xffffffffL;
		configs.invalidateSids(s & ~mask, s | mask);
	}

	@Override
	public void invalidateCd(int sid, int ssid) {
		// CD 0 is also the CD of transactions without a SubstreamID (S1CDMax = 0 or S1DSS = SSID0)
		if (ssid == 0 || ssid == Event.NO_SSID) {
			configs.invalidate(sid, 0, Event.NO_SSID);
		} else {
			configs.invalidate(sid, ssid, ssid);
		}
	}

	@Override
	public void invalidateCdAll(int sid) {
		invalidateSte(sid);
	}

	// ---- TLB invalidation

	@Override
	public void invalidateAll() {
		invalidateTlbs(t -> t.invalidateAll());
	}

	@Override
	public void invalidateEl2All() {
		invalidateTlbs(t -> t.invalidateEl2All());
	}

	@Override
	public void invalidateEl2Asid(int asid) {
		invalidateTlbs(t -> t.invalidateEl2Asid(asid));
	}

	@Override
	public void invalidateEl2Va(int asid, long addr, long length, boolean leaf) {
		invalidateTlbs(t -> t.invalidateEl2Va(asid, asid == ANY_ASID, addr, length));
	}

	@Override
	public void invalidateVmid(int vmid) {
		invalidateTlbs(t -> t.invalidateVmid(vmid));
	}

	@Override
	public void invalidateStage1(int vmid) {
		invalidateTlbs(t -> t.invalidateStage1(vmid));
	}

	@Override
	public void invalidateAsid(int vmid, int asid) {
		invalidateTlbs(t -> t.invalidateAsid(vmid, asid));
	}

	@Override
	public void invalidateVa(int vmid, int asid, long addr, long length, boolean leaf) {
		invalidateTlbs(t -> t.invalidateVa(vmid, asid, asid == ANY_ASID, addr, length));
	}

	@Override
	public void invalidateIpa(int vmid, long ipa, long length, boolean leaf) {
		invalidateTlbs(t -> t.invalidateIpa(vmid, ipa, length));
	}

	// ---- statistics

	private long[] sums() {
		long[] s = new long[Counters.SIZE];
		synchronized (blocks) {
			for (List<long[]> l : streams.values()) {
				add(s, l);
			}
		}
		return s;
	}

	private static void add(long[] s, List<long[]> blocks) {
		for (long[] b : blocks) {
			for (int i = 0; i < s.length; i++) {
				s[i] += Counters.get(b, i);
			}
		}
	}

	// guarded by blocks
	private long[] streamSums(int key) {
		long[] s = new long[Counters.SIZE];
		add(s, streams.getOrDefault(key, List.of()));
		return s;
	}

	private static Map<String, Long> faults(long[] s) {
		Map<String, Long> faults = new LinkedHashMap<>();
		for (int i = Counters.FAULTS; i < Counters.ABORTS; i++) {
			if (s[i] != 0) {
				faults.put(Counters.faultType(i).name(), s[i]);
			}
		}
		if (s[Counters.ABORTS] != 0) {
			faults.put("ABORT", s[Counters.ABORTS]);
		}
		return Collections.unmodifiableMap(faults);
	}

	private static long[][] reads(long[] s) {
		long[][] reads = new long[2][4];
		for (int i = 0; i < 8; i++) {
			reads[i / 4][i % 4] = s[Counters.READS + i];
		}
		return reads;
	}

	private void checkSids(int[] sids) {
		for (int sid : sids) {
			if (streamKey(sid) == BEYOND_SIDSIZE) {
				throw new IllegalArgumentException(String.format("StreamID 0x%x is beyond the SMMU's SIDSIZE (%d bits)", sid & 0xffffffffL, sidBits));
			}
		}
	}

	@Override
	public List<StreamStats> streamStats(int... sids) {
		checkSids(sids);
		List<StreamStats> out = new ArrayList<>(sids.length);
		for (int sid : sids) {
			long[] s;
			synchronized (blocks) {
				s = streamSums(sid);
				long[] base = streamBase.get(sid);
				if (base != null) {
					for (int i = 0; i < s.length; i++) {
						s[i] -= base[i];
					}
				}
			}
			long micro = s[Counters.MICRO_HITS];
			long fast = micro + s[Counters.FAST_HITS];
			out.add(new StreamStats(sid, fast + s[Counters.TRANSLATIONS], micro, s[Counters.FAST_HITS] + s[Counters.TLB_HITS],
					s[Counters.TLB_MISSES], s[Counters.WALKS], fast + s[Counters.CFG_HITS], s[Counters.CFG_MISSES], s[Counters.STE],
					s[Counters.STE_L1], s[Counters.CD], s[Counters.CD_L1], reads(s), faults(s), s[Counters.EVENTS]));
		}
		return out;
	}

	@Override
	public void resetStreamStats(int... sids) {
		checkSids(sids);
		synchronized (blocks) {
			for (int sid : sids) {
				streamBase.put(sid, streamSums(sid));
			}
		}
	}

	@Override
	public SmmuStats stats() {
		long[] s = sums();
		long tlbIns, tlbInv, cfgIns, cfgInv;
		synchronized (blocks) {
			for (int i = 0; i < s.length; i++) {
				s[i] -= baseline[i];
			}
			tlbIns = tlbSum(Tlb::insertions) - tlbInsertBase;
			tlbInv = tlbSum(Tlb::invalidations) - tlbInvalBase;
			cfgIns = configs.insertions() - cfgInsertBase;
			cfgInv = configs.invalidations() - cfgInvalBase;
		}
		long micro = s[Counters.MICRO_HITS];
		long fast = micro + s[Counters.FAST_HITS];
		long tlbHits = fast + s[Counters.TLB_HITS], tlbMisses = s[Counters.TLB_MISSES];
		long cfgHits = fast + s[Counters.CFG_HITS], cfgMisses = s[Counters.CFG_MISSES];
		long all = fast + s[Counters.TRANSLATIONS];
		int microTlbs, live = 0;
		synchronized (blocks) {
			microTlbs = blocks.size() + ports.size();
			for (Counters b : blocks) {
				live += b.microLive();
			}
			for (ThreadPort p : ports) {
				live += p.microLive();
			}
		}
		boolean microOn = tlbOn && configsOn;
		List<CacheStats> caches = List.of(
				new CacheStats("tlb", tlbHits + tlbMisses, tlbHits, tlbMisses, tlbIns, tlbInv, tlbSum(Tlb::size),
						tlbCapacity * Math.max(1, tlbSum(t -> 1))),
				new CacheStats("config", cfgHits + cfgMisses, cfgHits, cfgMisses, cfgIns, cfgInv, configs.size(), configs.capacity()),
				new CacheStats("utlb", microOn ? all : 0, micro, microOn ? all - micro : 0, 0, 0, microOn ? live : 0,
						microOn ? microTlbs * Counters.MICRO_ENTRIES : 0));
		return new SmmuStats(caches, s[Counters.STE], s[Counters.STE_L1], s[Counters.CD], s[Counters.CD_L1], reads(s),
				all, faults(s), Map.of(), 0, 0);
	}

	@Override
	public void resetStats() {
		synchronized (blocks) {
			baseline = sums();
			for (Integer key : streams.keySet()) {
				streamBase.put(key, streamSums(key));
			}
			tlbInsertBase = tlbSum(Tlb::insertions);
			tlbInvalBase = tlbSum(Tlb::invalidations);
			cfgInsertBase = configs.insertions();
			cfgInvalBase = configs.invalidations();
		}
	}
}
