package smmu.hw.impl.cache;

/**
 * The SMMU TLB: leaf translations tagged with VMID, ASID and kind (stage 1 only, stage 2 only, combined
 * nested), keyed by (VMID, ASID, kind, input >> size, size). A lookup probes only the entry sizes the
 * caller's stream can produce (at most three) and allocates nothing. See {@link LinearTable} for the
 * concurrency protocol and the FIFO replacement policy.
 */
public final class Tlb extends LinearTable<Tlb.Entry> {

	public static final int STAGE1 = 1, STAGE2 = 2, NESTED = 3;

	private static final long VA_MASK = (1L << 56) - 1;

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

	private final int[] sizeCounts = new int[64];
	private volatile long presentSizes;

	public Tlb(int capacity) {
		super(capacity);
	}

	private static int hash(int vmid, int asid, int kind, long page, int shift) {
		return mix(page + ((long) vmid << 40) + ((long) asid << 20) + ((long) (shift << 2 | kind) << 56));
	}

	@Override
	boolean sameKey(Entry a, Entry b) {
		return a.page == b.page && a.shift == b.shift && a.vmid == b.vmid && a.asid == b.asid && a.kind == b.kind;
	}

	@Override
	void added(Entry e) {
		if (sizeCounts[e.shift]++ == 0) {
			presentSizes |= 1L << e.shift;
		}
	}

	@Override
	void removed(Entry e) {
		if (--sizeCounts[e.shift] == 0) {
			presentSizes &= ~(1L << e.shift);
		}
	}

	@Override
	void clearedAll() {
		java.util.Arrays.fill(sizeCounts, 0);
		presentSizes = 0;
	}

	/**
	 * The entry translating {@code iova}, probing the sizes in {@code shifts} that some entry has.
	 * Call {@link #generation()} first if a miss may lead to {@link #insert}.
	 */
	public Entry lookup(int vmid, int asid, int kind, int[] shifts, long iova) {
		long present = presentSizes;
		for (int shift : shifts) {
			if ((present & (1L << shift)) == 0) {
				continue;
			}
			long page = iova >>> shift;
			int h = hash(vmid, asid, kind, page, shift);
			for (int i = h & mask, n = 0; n <= mask; i = (i + 1) & mask, n++) {
				Node x = slot(i);
				if (x == null) {
					break;
				}
				Entry e = (Entry) x;
				if (e.page == page && e.shift == shift && e.vmid == vmid && e.asid == asid && e.kind == kind) {
					return e;
				}
			}
		}
		return null;
	}

	/**
	 * Caches a walk result. The entry covers the largest size in {@code shifts} (ascending) that fits in
	 * {@code mappingSize}: a smaller naturally aligned block of a mapping maps contiguously too.
	 *
	 * @param readGeneration {@link #generation()} as read before the lookup that missed
	 * @return whether it was inserted
	 */
	public boolean insert(int vmid, int asid, int kind, int[] shifts, long iova, long pa, long ipa, long mappingSize,
			boolean s1Writable, boolean s2Readable, boolean s2Writable, long readGeneration) {
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
		return insert(new Entry(hash(vmid, asid, kind, page, shift), page, vmid, asid, kind, shift, pa & ~low, ipa & ~low,
				s1Writable, s2Readable, s2Writable), readGeneration);
	}

	/** TLBI_NSNH_ALL. */
	public void invalidateAll() {
		clear();
	}

	/** TLBI_S12_VMALL: every kind of entry of {@code vmid}. */
	public int invalidateVmid(int vmid) {
		return removeIf(e -> e.vmid == vmid);
	}

	/** TLBI_NH_ALL: stage-1 and nested entries of {@code vmid}. */
	public int invalidateStage1(int vmid) {
		return removeIf(e -> e.kind != STAGE2 && e.vmid == vmid);
	}

	/** TLBI_NH_ASID: stage-1 and nested entries of ({@code vmid}, {@code asid}). */
	public int invalidateAsid(int vmid, int asid) {
		return removeIf(e -> e.kind != STAGE2 && e.vmid == vmid && e.asid == asid);
	}

	/**
	 * TLBI_NH_VA / TLBI_NH_VAA ({@code anyAsid}): stage-1 and nested entries whose input block intersects
	 * [addr, addr + length). VA[63:56] are ignored on both sides (TBI), which can only widen the reach.
	 */
	public int invalidateVa(int vmid, int asid, boolean anyAsid, long addr, long length) {
		long first = addr & VA_MASK;
		long last = lastOf(first, length, VA_MASK);
		return removeIf(e -> e.kind != STAGE2 && e.vmid == vmid && (anyAsid || e.asid == asid) && intersects(e, first, last, VA_MASK));
	}

	/** TLBI_S2_IPA: stage-2-only entries of {@code vmid} whose input (IPA) block intersects [ipa, ipa + length). */
	public int invalidateIpa(int vmid, long ipa, long length) {
		long last = lastOf(ipa, length, -1L);
		return removeIf(e -> e.kind == STAGE2 && e.vmid == vmid && intersects(e, ipa, last, -1L));
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
