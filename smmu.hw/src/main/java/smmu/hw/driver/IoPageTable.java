package smmu.hw.driver;

import java.lang.invoke.VarHandle;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

import smmu.hw.FrameAllocator;
import smmu.hw.PhysicalMemory;
import smmu.hw.arch.Pte;
import smmu.hw.arch.Regs;

/**
 * An io-pgtable-arm page table (ARM_64_LPAE_S1 or ARM_64_LPAE_S2) held as VMSAv8-64 descriptors in
 * {@link PhysicalMemory}, its tables allocated from a {@link FrameAllocator}.
 * <p>
 * {@link #map} and {@link #unmap} behave as {@code iommu_map}/{@code iommu_unmap} over
 * {@code map_pages}/{@code unmap_pages}: a range is split into the largest block or page sizes its
 * alignment allows; a failed map undoes what that call mapped; unmap never splits a block and never
 * frees a table except a whole subtree met by a block-sized unmap.
 * <p>
 * Thread-safety: map, unmap and free of one table are serialized (this object's monitor; Linux leaves
 * that to the caller). A hardware walker may read any descriptor at any time: a next-level table is
 * zeroed before its table descriptor is published, and every descriptor is written with one aligned
 * 64-bit store.
 */
public final class IoPageTable {

	public enum Format { ARM_64_LPAE_S1, ARM_64_LPAE_S2 }

	/** The io-pgtable quirks this model supports: {@code IO_PGTABLE_QUIRK_ARM_NS / _HD / _S2FWB}. */
	public enum Quirk { ARM_NS, ARM_HD, ARM_S2FWB }

	public static final long SZ_4K = 1L << 12, SZ_16K = 1L << 14, SZ_64K = 1L << 16, SZ_2M = 1L << 21, SZ_32M = 1L << 25,
			SZ_512M = 1L << 29, SZ_1G = 1L << 30, SZ_4T = 1L << 42;

	/**
	 * What {@code alloc_io_pgtable_ops} is given.
	 *
	 * @param format stage 1 or stage 2
	 * @param pgsizeBitmap page sizes the SMMU supports (any granule family); restricted to one granule
	 * @param ias input address bits
	 * @param oas output address bits (32, 36, 40, 42, 44, 48 or 52)
	 * @param coherentWalk the SMMU's table walks are cache coherent (TCR/VTCR attributes)
	 * @param quirks io-pgtable quirks: S1 takes ARM_NS and ARM_HD, S2 takes ARM_S2FWB
	 * @param cpuPageSize the kernel's PAGE_SIZE: picks the granule and is the smallest table allocation
	 */
	public record Config(Format format, long pgsizeBitmap, int ias, int oas, boolean coherentWalk, Set<Quirk> quirks, int cpuPageSize) {

		public Config {
			quirks = quirks.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(quirks));
		}

		/** A coherent stage-1 table with all page sizes of {@code granule}, on a 4 KiB-page kernel. */
		public static Config s1(long granule, int ias, int oas) {
			return new Config(Format.ARM_64_LPAE_S1, granuleSizes(granule, oas), ias, oas, true, Set.of(), 4096);
		}

		/** A coherent stage-2 table with all page sizes of {@code granule}, on a 4 KiB-page kernel. */
		public static Config s2(long granule, int ias, int oas) {
			return new Config(Format.ARM_64_LPAE_S2, granuleSizes(granule, oas), ias, oas, true, Set.of(), 4096);
		}

		public Config withQuirks(Quirk... q) {
			EnumSet<Quirk> s = EnumSet.noneOf(Quirk.class);
			Collections.addAll(s, q);
			return new Config(format, pgsizeBitmap, ias, oas, coherentWalk, s, cpuPageSize);
		}

		public Config withCoherentWalk(boolean coherent) {
			return new Config(format, pgsizeBitmap, ias, oas, coherent, quirks, cpuPageSize);
		}

		public Config withCpuPageSize(int pageSize) {
			return new Config(format, pgsizeBitmap, ias, oas, coherentWalk, quirks, pageSize);
		}
	}

	/** Stage-1 TCR fields for a CD: T0SZ, TG0 (CD encoding), IRGN0, ORGN0, SH0, IPS. */
	public record Tcr(int tsz, int tg, int irgn, int orgn, int sh, int ips) {}

	/** Stage-2 VTCR fields for an STE: S2T0SZ, S2SL0, S2IR0, S2OR0, S2SH0, S2TG, S2PS. */
	public record Vtcr(int tsz, int sl, int irgn, int orgn, int sh, int tg, int ps) {

		/** The 19-bit value of the STE's VTCR field (word 2 bits [50:32]). */
		public long encode() {
			return (tsz & 0x3fL) | (sl & 3L) << 6 | (irgn & 3L) << 8 | (orgn & 3L) << 10 | (sh & 3L) << 12 | (tg & 3L) << 14
					| (ps & 7L) << 16;
		}
	}

	/** A leaf found by {@link #lookup}: its level, descriptor address and value. */
	public record Leaf(int level, long address, long descriptor) {}

	/** The page sizes io-pgtable-arm allows with {@code granule}: 4K/2M/1G, 16K/32M, 64K/512M (+4T if oas > 48). */
	public static long granuleSizes(long granule, int oas) {
		if (granule == SZ_4K) {
			return SZ_4K | SZ_2M | SZ_1G;
		}
		if (granule == SZ_16K) {
			return SZ_16K | SZ_32M;
		}
		if (granule == SZ_64K) {
			return SZ_64K | SZ_512M | (oas > 48 ? SZ_4T : 0);
		}
		return 0;
	}

	private static final int MAX_LEVELS = 4;
	private static final int S2_MAX_CONCAT = 16;
	private static final int TCR_RGN_NC = 0, TCR_RGN_WBWA = 1, TCR_SH_OS = 2, TCR_SH_IS = 3;
	private static final int TG0_4K = 0, TG0_64K = 1, TG0_16K = 2;

	private final PhysicalMemory mem;
	private final FrameAllocator alloc;
	private final Config config;
	private final boolean s1;
	private final long pgsizeBitmap;
	private final int ias, oas, pgShift, bpl, startLevel, pgdBits, cpuPageSize;
	private final boolean nsQuirk, hdQuirk, fwbQuirk, concatenated;
	private final Tcr tcr;
	private final Vtcr vtcr;
	private final long pgd;
	private long tableBytes;
	private int tables;
	private volatile boolean freed;
	private long pgcount;

	private IoPageTable(Config cfg, FrameAllocator alloc) {
		this.mem = alloc.memory();
		this.alloc = alloc;
		this.config = cfg;
		this.s1 = cfg.format() == Format.ARM_64_LPAE_S1;
		this.cpuPageSize = cfg.cpuPageSize();
		if (Integer.bitCount(cpuPageSize) != 1 || cpuPageSize < 4096) {
			throw new DriverException(Errno.EINVAL, "bad PAGE_SIZE " + cpuPageSize);
		}
		Set<Quirk> allowed = s1 ? EnumSet.of(Quirk.ARM_NS, Quirk.ARM_HD) : EnumSet.of(Quirk.ARM_S2FWB);
		if (!allowed.containsAll(cfg.quirks())) {
			throw new DriverException(Errno.EINVAL, "quirks " + cfg.quirks() + " not supported by " + cfg.format());
		}
		nsQuirk = cfg.quirks().contains(Quirk.ARM_NS);
		hdQuirk = cfg.quirks().contains(Quirk.ARM_HD);
		fwbQuirk = cfg.quirks().contains(Quirk.ARM_S2FWB);
		if (cfg.ias() > 52 || cfg.oas() > 52 || cfg.ias() < 1 || cfg.oas() < 1) {
			throw new DriverException(Errno.EINVAL, "ias " + cfg.ias() + " / oas " + cfg.oas() + " beyond 52 bits");
		}
		// arm_lpae_restrict_pgsizes: the CPU page size if supported, else the largest smaller one, else the smallest larger one
		long bitmap = cfg.pgsizeBitmap();
		long page = cpuPageSize;
		long granule;
		if ((bitmap & page) != 0) {
			granule = page;
		} else if ((bitmap & (page - 1)) != 0) {
			granule = Long.highestOneBit(bitmap & (page - 1));
		} else if ((bitmap & -page) != 0) {
			granule = Long.lowestOneBit(bitmap & -page);
		} else {
			granule = 0;
		}
		int maxBits = granule == SZ_64K ? 52 : 48;
		bitmap &= granuleSizes(granule, cfg.oas());
		if ((bitmap & (SZ_4K | SZ_16K | SZ_64K)) == 0) {
			throw new DriverException(Errno.EINVAL, String.format("no supported granule in page sizes 0x%x", cfg.pgsizeBitmap()));
		}
		pgsizeBitmap = bitmap;
		int ias = Math.min(cfg.ias(), maxBits);
		oas = Math.min(cfg.oas(), maxBits);
		pgShift = Long.numberOfTrailingZeros(bitmap);
		bpl = pgShift - 3;
		int vaBits = ias - pgShift;
		if (vaBits < 1) {
			throw new DriverException(Errno.EINVAL, "ias " + ias + " too small for granule " + (1L << pgShift));
		}
		int levels = (vaBits + bpl - 1) / bpl;
		int start = MAX_LEVELS - levels;
		int pgdBits = vaBits - bpl * (levels - 1);
		int ps = Regs.oasEncoding(oas);
		if (ps < 0) {
			throw new DriverException(Errno.EINVAL, "no PS/IPS encoding for oas " + oas);
		}
		int sh = cfg.coherentWalk() ? TCR_SH_IS : TCR_SH_OS;
		int rgn = cfg.coherentWalk() ? TCR_RGN_WBWA : TCR_RGN_NC;
		int tg = switch (pgShift) {
			case 12 -> TG0_4K;
			case 14 -> TG0_16K;
			default -> TG0_64K;
		};
		boolean concat = false;
		if (!s1 && concatMandatory(1L << pgShift, start, ias, oas)) {
			// IHI 0070 / Arm ARM: the start table is replaced by up to 16 concatenated next-level tables
			if ((1L << pgdBits) > S2_MAX_CONCAT) {
				throw new DriverException(Errno.EINVAL, "stage-2 concatenation needs " + (1L << pgdBits) + " tables (> 16)");
			}
			pgdBits += bpl;
			start++;
			concat = true;
		}
		this.ias = ias;
		this.startLevel = start;
		this.pgdBits = pgdBits;
		this.concatenated = concat;
		if (s1) {
			tcr = new Tcr(64 - ias, tg, rgn, rgn, sh, ps);
			vtcr = null;
		} else {
			int sl = start + (pgShift == 12 ? 1 : 0); // the 4K SL0 encoding is offset by one
			vtcr = new Vtcr(64 - ias, ~sl & 3, rgn, rgn, sh, tg, ps);
			tcr = null;
		}
		pgd = allocTable(pgdBytes());
	}

	/** io-pgtable-arm's {@code arm_lpae_concat_mandatory}. */
	private static boolean concatMandatory(long granule, int start, int ias, int oas) {
		if (granule == SZ_16K && start == 0) {
			return ias == 48 || oas == 48;
		}
		if (granule == SZ_4K && start == 0) {
			return oas == 40 || oas == 42;
		}
		if (granule == SZ_16K && start == 1) {
			return oas == 40;
		}
		return false;
	}

	/**
	 * Allocates the table: the start-level table (possibly concatenated) is zeroed in memory.
	 *
	 * @throws DriverException EINVAL for a configuration io-pgtable-arm rejects, ENOMEM if the allocator is full
	 */
	public static IoPageTable allocate(Config config, FrameAllocator allocator) {
		return new IoPageTable(config, allocator);
	}

	// ---- geometry and configuration

	public Config config() {
		return config;
	}

	public Format format() {
		return config.format();
	}

	/** Page sizes after the granule restriction (the domain's pgsize_bitmap). */
	public long pgsizeBitmap() {
		return pgsizeBitmap;
	}

	public int ias() {
		return ias;
	}

	public int oas() {
		return oas;
	}

	public int granuleShift() {
		return pgShift;
	}

	public long granule() {
		return 1L << pgShift;
	}

	public int bitsPerLevel() {
		return bpl;
	}

	public int startLevel() {
		return startLevel;
	}

	public int levels() {
		return MAX_LEVELS - startLevel;
	}

	/** Index bits at the start level (including concatenation). */
	public int pgdBits() {
		return pgdBits;
	}

	/** Bytes of the start-level table: {@code 8 << pgdBits}. */
	public long pgdBytes() {
		return 8L << pgdBits;
	}

	/** Whether the stage-2 start level was raised by concatenating tables. */
	public boolean concatenated() {
		return concatenated;
	}

	/** Number of tables concatenated at the start level (1 when not concatenated or smaller than a granule). */
	public int concatenatedTables() {
		return (int) Math.max(1, pgdBytes() >> pgShift);
	}

	/** Block (or page) size of an entry at {@code level}. */
	public long blockSize(int level) {
		return 1L << lvlShift(level);
	}

	/** Physical address of the start-level table. */
	public long pgd() {
		return pgd;
	}

	/** Stage 1: the CD's TTB0. */
	public long ttbr() {
		requireFormat(true);
		return pgd;
	}

	/** Stage 2: the STE's S2TTB. */
	public long vttbr() {
		requireFormat(false);
		return pgd;
	}

	/** Stage 1: the CD's TCR fields. */
	public Tcr tcr() {
		requireFormat(true);
		return tcr;
	}

	/** Stage 2: the STE's VTCR fields. */
	public Vtcr vtcr() {
		requireFormat(false);
		return vtcr;
	}

	/** Stage 1: MAIR (idx0 NC, idx1 WBRWA, idx2 DEV, idx3 INC_OWBRWA). */
	public long mair() {
		requireFormat(true);
		return Pte.MAIR;
	}

	public boolean hasQuirk(Quirk q) {
		return config.quirks().contains(q);
	}

	private void requireFormat(boolean stage1) {
		if (s1 != stage1) {
			throw new IllegalStateException("not a " + (stage1 ? "stage-1" : "stage-2") + " table");
		}
	}

	/** Bytes of table memory allocated now. */
	public synchronized long tableBytes() {
		return tableBytes;
	}

	/** Number of tables allocated now (the start-level table counts as one). */
	public synchronized int tables() {
		return tables;
	}

	public synchronized boolean isFreed() {
		return freed;
	}

	// ---- descriptors

	private int lvlShift(int lvl) {
		return (MAX_LEVELS - lvl) * bpl + 3;
	}

	private int lvlIdx(long a, int lvl) {
		int bits = lvl == startLevel ? pgdBits : bpl;
		return (int) ((a >>> lvlShift(lvl)) & ((1L << bits) - 1));
	}

	private int maxEntries(int idx) {
		int ptes = 1 << bpl;
		return ptes - (idx & (ptes - 1));
	}

	private static boolean isLeaf(long pte, int lvl) {
		return lvl == MAX_LEVELS - 1 ? (pte & Pte.TYPE_MASK) == Pte.TYPE_PAGE : (pte & Pte.TYPE_MASK) == Pte.TYPE_BLOCK;
	}

	private long deref(long pte) {
		return Pte.outputAddress(pte, pgShift);
	}

	/** The descriptor bits for {@code prot} ({@code arm_lpae_prot_to_pte}), without type and address. */
	public long protToPte(int prot) {
		long pte;
		if (s1) {
			pte = Pte.NG;
			if ((prot & Prot.WRITE) == 0 && (prot & Prot.READ) != 0) {
				pte |= Pte.S1_AP_RDONLY;
			} else if (hdQuirk) {
				pte |= Pte.DBM;
			}
			if ((prot & Prot.PRIV) == 0) {
				pte |= Pte.S1_AP_UNPRIV;
			}
			if ((prot & Prot.MMIO) != 0) {
				pte |= (long) Pte.ATTRIDX_DEV << 2;
			} else if ((prot & Prot.CACHE) != 0) {
				pte |= (long) Pte.ATTRIDX_CACHE << 2;
			}
		} else {
			pte = 0;
			if ((prot & Prot.READ) != 0) {
				pte |= Pte.S2_HAP_READ;
			}
			if ((prot & Prot.WRITE) != 0) {
				pte |= Pte.S2_HAP_WRITE;
			}
			if ((prot & Prot.MMIO) != 0) {
				pte |= (long) Pte.MEMATTR_DEV << 2;
			} else if ((prot & Prot.CACHE) != 0) {
				pte |= (long) (fwbQuirk ? Pte.MEMATTR_FWB_WB : Pte.MEMATTR_OIWB) << 2;
			} else {
				pte |= (long) Pte.MEMATTR_NC << 2;
			}
		}
		pte |= (long) ((prot & Prot.CACHE) != 0 ? Pte.SH_IS : Pte.SH_OS) << 8;
		if ((prot & Prot.NOEXEC) != 0) {
			pte |= Pte.XN;
		}
		if (nsQuirk) {
			pte |= Pte.NS;
		}
		return pte | Pte.AF;
	}

	// ---- allocation

	private long allocBytes(long size) {
		return Math.max(Math.max(size, 64), cpuPageSize);
	}

	private long allocTable(long size) {
		long bytes = allocBytes(size);
		long pa;
		try {
			pa = alloc.allocate(bytes, bytes);
		} catch (IllegalStateException e) {
			throw new DriverException(Errno.ENOMEM, "no memory for a " + bytes + "-byte page table: " + e.getMessage());
		}
		tableBytes += bytes;
		tables++;
		return pa;
	}

	private void freeTableMemory(long pa, long size) {
		long bytes = allocBytes(size);
		alloc.free(pa, bytes);
		tableBytes -= bytes;
		tables--;
	}

	private void freeSubtree(int lvl, long table) {
		long size = lvl == startLevel ? pgdBytes() : 1L << pgShift;
		if (lvl < MAX_LEVELS - 1) {
			for (long p = table; p < table + size; p += 8) {
				long pte = mem.read64(p);
				if (pte != 0 && !isLeaf(pte, lvl)) {
					freeSubtree(lvl + 1, deref(pte));
				}
			}
		}
		freeTableMemory(table, size);
	}

	private void checkLive() {
		if (freed) {
			throw new IllegalStateException("page table freed");
		}
	}

	// ---- map

	/**
	 * Maps [iova, iova + size) to [paddr, paddr + size) as {@code iommu_map} does: iova, paddr and size
	 * aligned to the granule, split into the largest sizes their alignment allows. A size of 0 does
	 * nothing. On failure everything this call mapped is unmapped again before the exception is thrown.
	 *
	 * @throws DriverException EINVAL (misalignment, no READ/WRITE in prot), ERANGE (iova beyond ias or paddr
	 *         beyond oas), EEXIST (a leaf is already there), ENOMEM (no memory for a table)
	 */
	public synchronized void map(long iova, long paddr, long size, int prot) {
		checkLive();
		long minPage = Long.lowestOneBit(pgsizeBitmap);
		if (size < 0 || ((iova | paddr | size) & (minPage - 1)) != 0) {
			throw new DriverException(Errno.EINVAL,
					String.format("unaligned: iova 0x%x pa 0x%x size 0x%x min_pagesz 0x%x", iova, paddr, size, minPage));
		}
		long origIova = iova, origSize = size;
		try {
			while (size != 0) {
				long pgsize = pgsize(iova, paddr, size);
				long mapped = mapPages(iova, paddr, pgsize, pgcount, prot);
				size -= mapped;
				iova += mapped;
				paddr += mapped;
			}
		} catch (DriverException e) {
			unmap(origIova, origSize - size);
			throw e;
		}
	}

	/** {@code iommu_pgsize}: the largest page size for the range; the count is left in {@link #pgcount}. */
	private long pgsize(long iova, long paddr, long size) {
		long addrMerge = paddr | iova;
		long pgsizes = pgsizeBitmap & genmask(63 - Long.numberOfLeadingZeros(size));
		if (addrMerge != 0) {
			pgsizes &= genmask(Long.numberOfTrailingZeros(addrMerge));
		}
		int idx = 63 - Long.numberOfLeadingZeros(pgsizes);
		long pgsize = 1L << idx;
		long bigger = pgsizeBitmap & ~genmask(idx);
		if (bigger != 0) {
			long next = Long.lowestOneBit(bigger);
			if (((iova ^ paddr) & (next - 1)) == 0) {
				long offset = next - (addrMerge & (next - 1));
				if (offset + next <= size) {
					size = offset;
				}
			}
		}
		pgcount = size >>> idx;
		return pgsize;
	}

	private static long genmask(int hi) {
		return hi >= 63 ? -1L : (1L << (hi + 1)) - 1;
	}

	/** {@code arm_lpae_map_pages}: maps up to the end of one table; returns the bytes mapped. */
	private long mapPages(long iova, long paddr, long pgsize, long count, int prot) {
		if (pgsize == 0 || (pgsize & pgsizeBitmap) != pgsize) {
			throw new DriverException(Errno.EINVAL, String.format("page size 0x%x not supported", pgsize));
		}
		if ((iova >> ias) != 0 || (paddr >>> oas) != 0) {
			throw new DriverException(Errno.ERANGE, String.format("iova 0x%x beyond %d bits or pa 0x%x beyond %d bits", iova, ias, paddr, oas));
		}
		if ((prot & (Prot.READ | Prot.WRITE)) == 0) {
			throw new DriverException(Errno.EINVAL, "prot " + Prot.toString(prot) + " grants neither read nor write");
		}
		long attrs = protToPte(prot);
		long table = pgd;
		for (int lvl = startLevel;; lvl++) {
			int idx = lvlIdx(iova, lvl);
			long ptep = table + 8L * idx;
			if (pgsize == blockSize(lvl)) {
				int n = (int) Math.min(count, maxEntries(idx));
				initPte(iova, paddr, attrs, lvl, n, table, idx);
				return n * pgsize;
			}
			if (lvl >= MAX_LEVELS - 1) {
				throw new DriverException(Errno.EINVAL, "no table below level 3");
			}
			long pte = mem.read64(ptep);
			if (pte == 0) {
				long next = allocTable(1L << pgShift);
				pte = Pte.encodeAddress(next, pgShift) | Pte.TYPE_TABLE | (nsQuirk ? Pte.NSTABLE : 0);
				VarHandle.releaseFence(); // the zeroed table is visible before its descriptor
				mem.write64(ptep, pte);
			}
			if (isLeaf(pte, lvl)) {
				throw new DriverException(Errno.EEXIST, String.format("iova 0x%x is inside a level-%d block", iova, lvl));
			}
			table = deref(pte);
		}
	}

	/** {@code arm_lpae_init_pte}: a table where a leaf goes is unmapped and freed; an existing leaf is EEXIST. */
	private void initPte(long iova, long paddr, long attrs, int lvl, int n, long table, int idx) {
		long sz = blockSize(lvl);
		long ptep = table + 8L * idx;
		for (int i = 0; i < n; i++) {
			long old = mem.read64(ptep + 8L * i);
			if (isLeaf(old, lvl)) {
				throw new DriverException(Errno.EEXIST, String.format("iova 0x%x already mapped at level %d", iova + i * sz, lvl));
			}
			if ((old & Pte.TYPE_MASK) == Pte.TYPE_TABLE) {
				if (unmapLevel(iova + i * sz, sz, 1, lvl, table) != sz) {
					throw new DriverException(Errno.EINVAL, String.format("cannot replace the table at iova 0x%x", iova + i * sz));
				}
			}
		}
		long type = lvl == MAX_LEVELS - 1 ? Pte.TYPE_PAGE : Pte.TYPE_BLOCK;
		VarHandle.releaseFence();
		for (int i = 0; i < n; i++) {
			mem.write64(ptep + 8L * i, attrs | type | Pte.encodeAddress(paddr + i * sz, pgShift));
		}
	}

	// ---- unmap

	/**
	 * Unmaps from iova until {@code size} bytes are unmapped or an unmapped entry or a partial block is
	 * met, as {@code iommu_unmap} does. Returns the bytes unmapped: 0 for a misaligned request, an
	 * unmapped iova, or a range that covers only part of a block (blocks are never split).
	 */
	public synchronized long unmap(long iova, long size) {
		checkLive();
		long minPage = Long.lowestOneBit(pgsizeBitmap);
		if (size < 0 || ((iova | size) & (minPage - 1)) != 0) {
			return 0;
		}
		long unmapped = 0;
		while (unmapped < size) {
			long pgsize = pgsize(iova, iova, size - unmapped);
			long u = unmapPages(iova, pgsize, pgcount);
			if (u == 0) {
				break;
			}
			iova += u;
			unmapped += u;
		}
		return unmapped;
	}

	private long unmapPages(long iova, long pgsize, long count) {
		if (pgsize == 0 || (pgsize & pgsizeBitmap) != pgsize || count == 0 || (iova >> ias) != 0) {
			return 0;
		}
		return unmapLevel(iova, pgsize, count, startLevel, pgd);
	}

	/** {@code __arm_lpae_unmap}. */
	private long unmapLevel(long iova, long size, long count, int lvl, long table) {
		for (;; lvl++) {
			if (lvl == MAX_LEVELS) {
				return 0;
			}
			int idx = lvlIdx(iova, lvl);
			long ptep = table + 8L * idx;
			long pte = mem.read64(ptep);
			if (pte == 0) {
				return 0; // ENOENT: nothing unmapped
			}
			if (size == blockSize(lvl)) {
				int n = (int) Math.min(count, maxEntries(idx));
				int i = 0;
				for (; i < n; i++) {
					long e = mem.read64(ptep + 8L * i);
					if (e == 0) {
						break;
					}
					if (!isLeaf(e, lvl)) {
						mem.write64(ptep + 8L * i, 0);
						freeSubtree(lvl + 1, deref(e));
					}
				}
				for (int j = 0; j < i; j++) {
					mem.write64(ptep + 8L * j, 0);
				}
				return i * size;
			}
			if (isLeaf(pte, lvl)) {
				return 0; // "Unmap of a partial large IOPTE is not allowed"
			}
			table = deref(pte);
		}
	}

	// ---- walk

	/** The physical address {@code iova} maps to by a software walk, or 0 if unmapped (or beyond ias). */
	public long iovaToPhys(long iova) {
		Leaf l = lookup(iova);
		return l == null ? 0 : Pte.outputAddress(l.descriptor(), pgShift) | (iova & (blockSize(l.level()) - 1));
	}

	/** The leaf descriptor that maps {@code iova}, or null (also once the table is freed). */
	public Leaf lookup(long iova) {
		if ((iova >> ias) != 0 || freed) {
			return null;
		}
		long table = pgd;
		for (int lvl = startLevel; lvl < MAX_LEVELS; lvl++) {
			long ptep = table + 8L * lvlIdx(iova, lvl);
			long pte = mem.read64(ptep);
			if (pte == 0) {
				return null;
			}
			if (isLeaf(pte, lvl)) {
				return new Leaf(lvl, ptep, pte);
			}
			table = deref(pte);
		}
		return null;
	}

	/** Releases every table (as {@code free_io_pgtable_ops}); the object is unusable afterwards. */
	public synchronized void free() {
		if (freed) {
			return;
		}
		freeSubtree(startLevel, pgd);
		freed = true;
	}

	@Override
	public String toString() {
		return String.format("%s granule %dK ias %d oas %d levels %d..3 pgd 0x%x (%d bytes%s) tables %d (%d bytes)", format(),
				(1L << pgShift) >> 10, ias, oas, startLevel, pgd, pgdBytes(), concatenated ? ", concatenated" : "", tables, tableBytes);
	}
}
