package smmu.hw.impl.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Predicate;

/**
 * The SMMU TLB: leaf translations tagged with VMID, ASID and kind (the translation regime: NS-EL1 stage 1
 * only, stage 2 only, NS-EL1 nested, EL2, EL2-E2H), keyed by (VMID, ASID, kind, input >> size, size). A
 * global entry (stage-1 leaf with nG = 0) is tagged {@link #GLOBAL} instead of its filling ASID and matches
 * every ASID of its VMID and kind; invalidation by VA removes it whatever the ASID, invalidation by ASID
 * keeps it (Arm ARM D8.14, IHI 0070 4.4). A lookup probes only the entry sizes the caller's stream can
 * produce (at most three) that its stripe holds, the ASID's and then the global ones, and allocates nothing. See {@link LinearTable} for the
 * concurrency protocol and the FIFO replacement policy.
 */
public final class Tlb extends LinearTable<Tlb.Entry> {

	/**
	 * Entry kinds, each a translation regime's tagging: NS-EL1 stage 1 (VMID + ASID), stage 2 (VMID),
	 * NS-EL1 nested (VMID + ASID), EL2 (neither: every entry global), EL2-E2H (ASID, no VMID). The TLB
	 * stores the EL2 kinds with VMID 0, whatever the caller passes; lookups of them pass 0 (as the
	 * configuration decoder does), so the hit path does not normalise.
	 */
	public static final int STAGE1 = 1, STAGE2 = 2, NESTED = 3, EL2 = 4, EL2_E2H = 5;
	/** Kind masks: the NS-EL1 regimes; those with a stage 1; the EL2 regimes. */
	private static final int NS_EL1 = 1 << STAGE1 | 1 << STAGE2 | 1 << NESTED, NS_EL1_STAGE1 = 1 << STAGE1 | 1 << NESTED,
			EL2_ANY = 1 << EL2 | 1 << EL2_E2H;
	/** The ASID tag of a global entry (stage-1 leaf with nG = 0; every EL2 and stage-2 entry). */
	public static final int GLOBAL = -2;

	private static final long VA_MASK = (1L << 56) - 1;
	/** {@link #kindsSeen}: an entry's input block had VA[63:56] set (a TLBI by VA ignores them: see below). */
	private static final int TAGGED_INPUT = 1 << 31;
	private static final VarHandle SHIFTS_SEEN, KINDS_SEEN, VMIDS_SEEN;

	static {
		try {
			MethodHandles.Lookup l = MethodHandles.lookup();
			SHIFTS_SEEN = l.findVarHandle(Tlb.class, "shiftsSeen", long.class);
			KINDS_SEEN = l.findVarHandle(Tlb.class, "kindsSeen", int.class);
			VMIDS_SEEN = l.findVarHandle(Tlb.class, "vmidsSeen", long.class);
		} catch (ReflectiveOperationException e) {
			throw new ExceptionInInitializerError(e);
		}
	}

	/**
	 * What the TLB has ever held, for the invalidations that probe only the keys a matching entry can have
	 * ({@link LinearTable.Candidates}) and skip a TLB that never held the VMID they name: bit s of
	 * {@code shiftsSeen} once an entry of 1 << s bytes was filled, bit k of {@code kindsSeen} once one of kind
	 * k was, and {@link #TAGGED_INPUT}; bit (VMID mod 64) of {@code vmidsSeen}. Sticky (bits are never
	 * cleared), and set by a fill before it reads the invalidation sequence: an invalidation reads them after
	 * publishing, so a fill it cannot foresee reads the new sequence and tests its predicate.
	 */
	private volatile long shiftsSeen;
	private volatile int kindsSeen;
	private volatile long vmidsSeen;
	private final boolean targeted;

	/** One cached translation of a naturally aligned input block of {@code 1 << shift} bytes. */
	public static final class Entry extends LinearTable.Node {
		final long page;
		final int vmid, asid, kind, shift;
		final long outBase, ipaBase;
		final boolean s1Writable, s2Readable, s2Writable;

		Entry(int hash, long page, int vmid, int asid, int kind, int shift, long outBase, long ipaBase, boolean s1Writable,
				boolean s2Readable, boolean s2Writable) {
			super(hash);
			this.page = page;
			this.vmid = vmid;
			this.asid = asid;
			this.kind = kind;
			this.shift = shift;
			this.outBase = outBase;
			this.ipaBase = ipaBase;
			this.s1Writable = s1Writable;
			this.s2Readable = s2Readable;
			this.s2Writable = s2Writable;
		}

		/** The output address of {@code iova}. */
		public long output(long iova) {
			return outBase | (iova & ((1L << shift) - 1));
		}

		/** Whether the entry grants the access (stage-1 reads are always allowed: every access is privileged). */
		public boolean permits(boolean write) {
			return write ? s1Writable && s2Writable : s2Readable;
		}

		public long inputBase() {
			return page << shift;
		}

		/** Whether the entry's input range holds {@code iova}. */
		public boolean covers(long iova) {
			return (iova >>> shift) == page;
		}

		public long size() {
			return 1L << shift;
		}

		public long ipaBase() {
			return ipaBase;
		}

		public int vmid() {
			return vmid;
		}

		public int asid() {
			return asid;
		}

		public int kind() {
			return kind;
		}
	}

	public Tlb(int capacity) {
		this(capacity, true);
	}

	/**
	 * With {@code targeted} false, every invalidation visits every entry (the reference the tests compare
	 * with); else a TLBI_NH_VA, TLBI_EL2_VA or TLBI_S2_IPA of a few pages probes only the keys a matching
	 * entry can have, and one naming a VMID (modulo 64) or kinds the TLB never held only publishes.
	 */
	Tlb(int capacity, boolean targeted) {
		super(capacity);
		this.targeted = targeted;
	}

	/** The capacity of a TLB asked for {@code requested} entries (clamped to [0, {@value #MAX_CAPACITY}]). */
	public static int capacityFor(int requested) {
		return clamp(requested);
	}

	private static int hash(int vmid, int asid, int kind, long page, int shift) {
		return mix(page + ((long) vmid << 40) + ((long) asid << 20) + ((long) (shift << 3 | kind) << 56));
	}

	@Override
	boolean sameKey(Entry a, Entry b) {
		return a.page == b.page && a.shift == b.shift && a.vmid == b.vmid && a.asid == b.asid && a.kind == b.kind;
	}

	@Override
	int presenceKey(Entry e) {
		return e.asid == GLOBAL ? 64 + e.shift : e.shift;
	}

	/**
	 * The entry translating {@code iova}: one tagged {@code asid}, or else a global one of the same VMID and
	 * kind, probing only the sizes in {@code shifts} that some entry of the probed stripe has. With
	 * {@code asid} = {@link #GLOBAL} (the EL2 regime, stage 2) only global entries are probed. Call
	 * {@link #generation()} before the walk whose result may be {@link #insert}ed.
	 */
	public Entry lookup(int vmid, int asid, int kind, int[] shifts, long iova) {
		int first = asid == GLOBAL ? 64 : 0;
		for (int shift : shifts) {
			long page = iova >>> shift;
			Entry e = probe(vmid, asid, kind, page, shift, first + shift);
			if (e != null) {
				return e;
			}
		}
		if (asid != GLOBAL) {
			for (int shift : shifts) {
				Entry e = probe(vmid, GLOBAL, kind, iova >>> shift, shift, 64 + shift);
				if (e != null) {
					return e;
				}
			}
		}
		return null;
	}

	private Entry probe(int vmid, int asid, int kind, long page, int shift, int presence) {
		int h = hash(vmid, asid, kind, page, shift);
		if (!mayHold(stripe(h), presence)) {
			return null;
		}
		int i = home(h);
		for (int n = stripeLength(); n > 0; n--, i = next(i)) {
			Node x = slot(i);
			if (x == null) {
				return null;
			}
			Entry e = (Entry) x;
			if (e.page == page && e.shift == shift && e.vmid == vmid && e.asid == asid && e.kind == kind) {
				return e;
			}
		}
		return null;
	}

	/** {@link #insert(int, int, int, int[], long, long, long, long, boolean, boolean, boolean, boolean, long)} of a non-global entry. */
	public boolean insert(int vmid, int asid, int kind, int[] shifts, long iova, long pa, long ipa, long mappingSize,
			boolean s1Writable, boolean s2Readable, boolean s2Writable, long readGeneration) {
		return insert(vmid, asid, kind, shifts, iova, pa, ipa, mappingSize, s1Writable, s2Readable, s2Writable, false, readGeneration);
	}

	/**
	 * Caches a walk result. The entry covers the largest size in {@code shifts} (ascending) that fits in
	 * {@code mappingSize}: a smaller naturally aligned block of a mapping maps contiguously too.
	 *
	 * @param global the stage-1 leaf had nG = 0: the entry is tagged {@link #GLOBAL} instead of {@code asid}
	 * @param readGeneration {@link #generation()} as read before the lookup that missed
	 * @return whether it was inserted
	 */
	public boolean insert(int vmid, int asid, int kind, int[] shifts, long iova, long pa, long ipa, long mappingSize,
			boolean s1Writable, boolean s2Readable, boolean s2Writable, boolean global, long readGeneration) {
		return insert(vmid, asid, kind, shifts, iova, pa, ipa, mappingSize, s1Writable, s2Readable, s2Writable, global, readGeneration, null);
	}

	/**
	 * {@link #insert(int, int, int, int[], long, long, long, long, boolean, boolean, boolean, boolean, long)},
	 * also refused when {@code config} (the cached configuration the walk used, or null for one decoded after
	 * reading the sequence) has left the configuration cache: a CFGI and its TLBI that both completed between
	 * the configuration lookup and the reading of {@code readGeneration} are in no log the fill consults.
	 */
	public boolean insert(int vmid, int asid, int kind, int[] shifts, long iova, long pa, long ipa, long mappingSize,
			boolean s1Writable, boolean s2Readable, boolean s2Writable, boolean global, long readGeneration,
			ConfigCache.Slot config) {
		int shift = -1;
		for (int s : shifts) {
			if (s < 63 && (1L << s) <= mappingSize) {
				shift = s;
			}
		}
		if (shift < 0) {
			return false;
		}
		long low = (1L << shift) - 1;
		long page = iova >>> shift;
		int tag = global || kind == STAGE2 || kind == EL2 ? GLOBAL : asid;
		vmid = kind >= EL2 ? 0 : vmid;
		seen(kind, vmid, shift, page << shift);
		return insert(new Entry(hash(vmid, tag, kind, page, shift), page, vmid, tag, kind, shift, pa & ~low, ipa & ~low,
				s1Writable, s2Readable, s2Writable), readGeneration, config);
	}

	/** Records a fill's size, kind and VMID (before the fill reads the sequence); writes only what is new. */
	private void seen(int kind, int vmid, int shift, long inputBase) {
		long s = 1L << shift;
		if ((shiftsSeen & s) == 0) {
			SHIFTS_SEEN.getAndBitwiseOr(this, s);
		}
		int k = 1 << kind | ((inputBase & ~VA_MASK) != 0 ? TAGGED_INPUT : 0);
		if ((kindsSeen & k) != k) {
			KINDS_SEEN.getAndBitwiseOr(this, k);
		}
		long v = 1L << vmid; // bit VMID mod 64
		if ((vmidsSeen & v) == 0) {
			VMIDS_SEEN.getAndBitwiseOr(this, v);
		}
	}

	/** Whether an entry of {@code vmid} and of a kind in {@code kinds} may be held (read after publishing). */
	private boolean heldVmid(int vmid, int kinds) {
		return (vmidsSeen & 1L << vmid) != 0 && (kindsSeen & kinds) != 0;
	}

	/** Removes the entries matching {@code p}: where {@code where} says when {@link #targeted}, else by scanning. */
	private int invalidate(Predicate<Entry> p, Candidates where) {
		return removeIf(p, targeted ? where : null);
	}

	/** A TLBI of NS-EL1 {@code kinds} by VMID: visits every entry, or none when no entry can match. */
	private int invalidateTagged(Predicate<Entry> p, int vmid, int kinds) {
		return invalidate(p, out -> heldVmid(vmid, kinds) ? -1 : 0);
	}

	/** A TLBI of {@code kinds}: visits every entry, or none when the TLB never held one of those kinds. */
	private int invalidateKinds(Predicate<Entry> p, int kinds) {
		return invalidate(p, out -> (kindsSeen & kinds) != 0 ? -1 : 0);
	}

	/**
	 * The hashes of every key an entry of {@code vmid}, tagged {@code asid} or global, of a kind in
	 * {@code kinds}, could have while its input block intersects [first, last] (VA[63:56] of both zero):
	 * one per tag, kind seen, size seen and block of that size in the range; -1 when more than fit, or when
	 * the TLB ever held an input with VA[63:56] set (a TLBI by VA ignores them, so such an entry's key is not
	 * the command's page; a TLBI by IPA then scans too, which is only slower).
	 */
	private int keys(int[] out, int vmid, int asid, int kinds, long first, long last) {
		if (!heldVmid(vmid, kinds)) {
			return 0;
		}
		if ((kindsSeen & TAGGED_INPUT) != 0) {
			return -1;
		}
		int seenKinds = kindsSeen & kinds;
		long shifts = shiftsSeen;
		int n = 0;
		for (int kind = STAGE1; kind <= EL2_E2H; kind++) {
			if ((seenKinds & 1 << kind) == 0) {
				continue;
			}
			for (long rest = shifts; rest != 0; rest &= rest - 1) {
				int shift = Long.numberOfTrailingZeros(rest);
				long from = first >>> shift, to = last >>> shift;
				if (to - from >= out.length) {
					return -1;
				}
				for (long page = from; page <= to; page++) {
					if (n + 2 > out.length) {
						return -1;
					}
					out[n++] = hash(vmid, GLOBAL, kind, page, shift);
					if (asid != GLOBAL) {
						out[n++] = hash(vmid, asid, kind, page, shift);
					}
				}
			}
		}
		return n;
	}

	/** TLBI_NSNH_ALL: every entry of the Non-secure non-hypervisor regimes (NS-EL1 stage 1, stage 2, nested). */
	public int invalidateAll() {
		return invalidateKinds(e -> e.kind <= NESTED, NS_EL1);
	}

	/** TLBI_S12_VMALL: every NS-EL1 entry (stage 1, stage 2, nested) of {@code vmid}. */
	public int invalidateVmid(int vmid) {
		return invalidateTagged(e -> e.kind <= NESTED && e.vmid == vmid, vmid, NS_EL1);
	}

	/** TLBI_NH_ALL: stage-1 and nested entries of {@code vmid}. */
	public int invalidateStage1(int vmid) {
		return invalidateTagged(e -> (e.kind == STAGE1 || e.kind == NESTED) && e.vmid == vmid, vmid, NS_EL1_STAGE1);
	}

	/** TLBI_NH_ASID: non-global stage-1 and nested entries of ({@code vmid}, {@code asid}). */
	public int invalidateAsid(int vmid, int asid) {
		return invalidateTagged(e -> (e.kind == STAGE1 || e.kind == NESTED) && e.vmid == vmid && e.asid == asid, vmid,
				NS_EL1_STAGE1);
	}

	/**
	 * TLBI_NH_VA / TLBI_NH_VAA ({@code anyAsid}): stage-1 and nested entries of {@code vmid} tagged
	 * {@code asid} or global whose input block intersects [addr, addr + length). VA[63:56] are ignored on
	 * both sides (TBI), which can only widen the reach.
	 */
	public int invalidateVa(int vmid, int asid, boolean anyAsid, long addr, long length) {
		long first = addr & VA_MASK;
		long last = lastOf(first, length, VA_MASK);
		Predicate<Entry> p = e -> (e.kind == STAGE1 || e.kind == NESTED) && e.vmid == vmid
				&& (anyAsid || e.asid == asid || e.asid == GLOBAL) && intersects(e, first, last, VA_MASK);
		if (anyAsid) { // a TLBI_NH_VAA matches every ASID: no key to probe
			return invalidateTagged(p, vmid, NS_EL1_STAGE1);
		}
		return invalidate(p, out -> keys(out, vmid, asid, NS_EL1_STAGE1, first, last));
	}

	/** TLBI_S2_IPA: stage-2-only entries of {@code vmid} whose input (IPA) block intersects [ipa, ipa + length). */
	public int invalidateIpa(int vmid, long ipa, long length) {
		long last = lastOf(ipa, length, -1L);
		Predicate<Entry> p = e -> e.kind == STAGE2 && e.vmid == vmid && intersects(e, ipa, last, -1L);
		return invalidate(p, out -> keys(out, vmid, GLOBAL, 1 << STAGE2, ipa, last));
	}

	/** TLBI_EL2_ALL: every EL2 and EL2-E2H entry. */
	public int invalidateEl2All() {
		return invalidateKinds(e -> e.kind >= EL2, EL2_ANY);
	}

	/** TLBI_EL2_ASID: non-global EL2-E2H entries tagged {@code asid} (EL2 entries have no ASID). */
	public int invalidateEl2Asid(int asid) {
		return invalidateKinds(e -> e.kind == EL2_E2H && e.asid == asid, 1 << EL2_E2H);
	}

	/**
	 * TLBI_EL2_VA / TLBI_EL2_VAA ({@code anyAsid}): EL2 entries (untagged) and EL2-E2H entries tagged
	 * {@code asid} or global whose input block intersects [addr, addr + length).
	 */
	public int invalidateEl2Va(int asid, boolean anyAsid, long addr, long length) {
		long first = addr & VA_MASK;
		long last = lastOf(first, length, VA_MASK);
		Predicate<Entry> p = e -> (e.kind == EL2 || e.kind == EL2_E2H && (anyAsid || e.asid == asid || e.asid == GLOBAL))
				&& intersects(e, first, last, VA_MASK);
		if (anyAsid) { // a TLBI_EL2_VAA matches every ASID of EL2-E2H: no key to probe
			return invalidateKinds(p, EL2_ANY);
		}
		return invalidate(p, out -> keys(out, 0, asid, EL2_ANY, first, last));
	}

	private static long lastOf(long first, long length, long limit) {
		long span = Math.max(length, 1) - 1;
		long last = first + span;
		return Long.compareUnsigned(last, first) < 0 || Long.compareUnsigned(last, limit) > 0 ? limit : last;
	}

	private static boolean intersects(Entry e, long first, long last, long addrMask) {
		long base = (e.page << e.shift) & addrMask;
		long end = base + ((1L << e.shift) - 1);
		return Long.compareUnsigned(base, last) <= 0 && Long.compareUnsigned(first, end) <= 0;
	}
}
