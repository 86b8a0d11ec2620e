package smmu.hw.impl.xlate;

import smmu.hw.PhysicalMemory;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Pte;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;

/**
 * Test helper: writes stream tables, STEs, CDs and VMSAv8-64 page tables as raw bytes, with a bump
 * allocator of physical memory. Independent of the driver library.
 */
public final class Tables {
	public final PhysicalMemory mem;
	private long next;

	public Tables(PhysicalMemory mem, long allocBase) {
		this.mem = mem;
		this.next = allocBase;
	}

	/** Zeroed, {@code align}-aligned physical memory. */
	public long alloc(long size, long align) {
		long a = (next + align - 1) & -align;
		next = a + size;
		mem.zero(a, size);
		return a;
	}

	public void write(long pa, long[] words) {
		for (int i = 0; i < words.length; i++) {
			mem.write64(pa + 8L * i, words[i]);
		}
	}

	// ---- stream tables

	public StreamTable linear(int log2size) {
		long base = alloc((long) Ste.BYTES << log2size, (long) Ste.BYTES << log2size);
		return new StreamTable(base, log2size, Regs.STRTAB_FMT_LINEAR, 0);
	}

	public StreamTable twoLevel(int log2size, int split) {
		long l1 = alloc(8L << (log2size - split), Math.max(64, 8L << (log2size - split)));
		return new StreamTable(l1, log2size, Regs.STRTAB_FMT_2LVL, split);
	}

	/** Allocates the L2 table of {@code sid} in a 2-level table with 2^(span-1) STEs and writes the L1 descriptor. */
	public long l2(StreamTable t, int sid, int span) {
		long size = (long) Ste.BYTES << (span - 1);
		long l2 = alloc(size, size);
		mem.write64(t.base() + 8L * (sid >>> t.split()), l2 | span);
		return l2;
	}

	/** Address of the STE of {@code sid} (the L2 table must exist for a 2-level table). */
	public long steAddress(StreamTable t, int sid) {
		if (t.format() == Regs.STRTAB_FMT_LINEAR) {
			return t.base() + (long) sid * Ste.BYTES;
		}
		long desc = mem.read64(t.base() + 8L * (sid >>> t.split()));
		return (desc & Ste.L1_L2PTR_MASK) + (long) (sid & ((1 << t.split()) - 1)) * Ste.BYTES;
	}

	public void putSte(StreamTable t, int sid, long[] ste) {
		write(steAddress(t, sid), ste);
	}

	// ---- STEs

	public static long[] ste(int config) {
		long[] w = new long[Ste.WORDS];
		Ste.V.set(w, 1);
		Ste.CONFIG.set(w, config);
		return w;
	}

	/** Stage-1 STE: CD table at {@code cdPtr}. */
	public static long[] steS1(long cdPtr, int fmt, int cdMax, int dss) {
		long[] w = ste(Ste.CFG_S1_TRANS);
		w[0] |= cdPtr & Ste.S1CTXPTR.mask();
		Ste.S1FMT.set(w, fmt);
		Ste.S1CDMAX.set(w, cdMax);
		Ste.S1DSS.set(w, dss);
		return w;
	}

	/** Stage-2 fields (AArch64, 4K unless changed, PS 48 bits, S2R). */
	public static long[] withS2(long[] w, int vmid, long ttb, int t0sz, int sl0, int tg) {
		Ste.S2VMID.set(w, vmid);
		Ste.S2T0SZ.set(w, t0sz);
		Ste.S2SL0.set(w, sl0);
		Ste.S2TG.set(w, tg);
		Ste.S2PS.set(w, 5);
		Ste.S2AA64.set(w, 1);
		Ste.S2R.set(w, 1);
		w[3] = ttb & Ste.S2TTB.mask();
		return w;
	}

	/** S2-only STE: 4K granule, 39-bit IPA, start level 1. */
	public static long[] steS2(int vmid, long ttb) {
		return withS2(ste(Ste.CFG_S2_TRANS), vmid, ttb, 25, 1, Ste.S2TG_4K);
	}

	public static long[] steNested(long cdPtr, int fmt, int cdMax, int dss, int vmid, long s2ttb) {
		long[] w = steS1(cdPtr, fmt, cdMax, dss);
		Ste.CONFIG.set(w, Ste.CFG_NESTED);
		return withS2(w, vmid, s2ttb, 25, 1, Ste.S2TG_4K);
	}

	// ---- CDs

	/** A valid CD: TTB0 4K granule, 39-bit VA, IPS 48, EPD1, R, A, AA64. */
	public static long[] cd(int asid, long ttb0) {
		long[] w = new long[Cd.WORDS];
		Cd.T0SZ.set(w, 25);
		Cd.TG0.set(w, Cd.TG0_4K);
		Cd.EPD1.set(w, 1);
		Cd.V.set(w, 1);
		Cd.IPS.set(w, 5);
		Cd.AA64.set(w, 1);
		Cd.R.set(w, 1);
		Cd.A.set(w, 1);
		Cd.ASID.set(w, asid);
		w[1] = ttb0 & Cd.TTB0.mask();
		w[3] = Pte.MAIR;
		return w;
	}

	// ---- page tables (stage 1 or 2), any granule; the tables are written at PA = table address + offset

	public final class PageTable {
		public final int granule;
		public final int startLevel;
		public final int inputBits;
		public final long root;
		public final boolean stage2;
		/** Tables are allocated at PAs, and addressed by PA + offset (an IPA with an identity-plus-offset stage 2). */
		private final long offset;

		PageTable(boolean stage2, int granule, int inputBits, int startLevel, long offset, int concat) {
			this.stage2 = stage2;
			this.granule = granule;
			this.inputBits = inputBits;
			this.startLevel = startLevel;
			this.offset = offset;
			long size = Math.max(64, 8L << (inputBits - shift(startLevel)));
			this.root = alloc(Math.max(size, (long) concat << granule), Math.max(size, 1L << granule)) + offset;
		}

		int shift(int level) {
			return granule + (3 - level) * (granule - 3);
		}

		private long tableAt(long addr) {
			return addr - offset;
		}

		/** Maps [va, va + size of {@code level}) to pa; {@code attrs} are the leaf attributes besides type and address. */
		public void map(long va, long pa, int level, long attrs) {
			long table = root;
			for (int l = startLevel; l < level; l++) {
				long slot = tableAt(table) + index(va, l) * 8;
				long desc = mem.read64(slot);
				if ((desc & 3) != 3) {
					long t = alloc(1L << granule, 1L << granule) + offset;
					mem.write64(slot, Pte.encodeAddress(t, granule) | Pte.TYPE_TABLE);
					table = t;
				} else {
					table = Pte.outputAddress(desc, granule);
				}
			}
			long type = level == 3 ? Pte.TYPE_PAGE : Pte.TYPE_BLOCK;
			mem.write64(tableAt(table) + index(va, level) * 8, Pte.encodeAddress(pa, granule) | attrs | type);
		}

		private long index(long va, int level) {
			long i = (va & ((1L << inputBits) - 1)) >>> shift(level);
			return level == startLevel ? i : i & ((1L << (granule - 3)) - 1);
		}

		/** Physical address of the leaf descriptor for {@code va} at {@code level}. */
		public long leafSlot(long va, int level) {
			long table = root;
			for (int l = startLevel; l < level; l++) {
				table = Pte.outputAddress(mem.read64(tableAt(table) + index(va, l) * 8), granule);
			}
			return tableAt(table) + index(va, level) * 8;
		}

		public void map4k(long va, long pa) {
			map(va, pa, 3, stage2 ? RW2 : RW1);
		}
	}

	/** Stage-1 leaves are non-global (nG = 1), as Linux io-pgtable-arm writes them; {@link #GLOBAL1} is global. */
	public static final long RW1 = Pte.AF | Pte.NG, RO1 = Pte.AF | Pte.S1_AP_RDONLY | Pte.NG, GLOBAL1 = Pte.AF;
	public static final long RW2 = Pte.AF | Pte.S2_HAP_READ | Pte.S2_HAP_WRITE, RO2 = Pte.AF | Pte.S2_HAP_READ;

	/** Stage-1 table: 4K granule, 39-bit VA (T0SZ 25), start level 1; tables addressed by PA. */
	public PageTable s1() {
		return new PageTable(false, 12, 39, 1, 0, 1);
	}

	/** Stage-1 table whose tables are addressed by IPA = PA + {@code ipaOffset}. */
	public PageTable s1(long ipaOffset) {
		return new PageTable(false, 12, 39, 1, ipaOffset, 1);
	}

	/** Stage-2 table: 4K granule, 39-bit IPA (T0SZ 25, SL0 1 = start level 1). */
	public PageTable s2() {
		return new PageTable(true, 12, 39, 1, 0, 1);
	}

	/** Any geometry; tables are addressed at PA + {@code offset} (0 unless nested stage 1). */
	public PageTable table(boolean stage2, int granule, int inputBits, int startLevel, int concat, long offset) {
		return new PageTable(stage2, granule, inputBits, startLevel, offset, concat);
	}
}
