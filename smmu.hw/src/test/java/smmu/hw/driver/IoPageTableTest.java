package smmu.hw.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import smmu.hw.FrameAllocator;
import smmu.hw.SparseMemory;
import smmu.hw.arch.Pte;
import smmu.hw.driver.IoPageTable.Config;
import smmu.hw.driver.IoPageTable.Format;
import smmu.hw.driver.IoPageTable.Quirk;

class IoPageTableTest {
	static final long K4 = 1L << 12, K16 = 1L << 14, K64 = 1L << 16, M2 = 1L << 21, M32 = 1L << 25, M512 = 1L << 29, G1 = 1L << 30;
	static final int RWC = Prot.READ | Prot.WRITE | Prot.CACHE;

	SparseMemory mem;
	FrameAllocator alloc;

	@BeforeEach
	void setUp() {
		mem = new SparseMemory(52);
		alloc = new FrameAllocator(mem, 1L << 32, 1L << 36);
	}

	IoPageTable s1(long granule, int ias, int oas) {
		return IoPageTable.allocate(Config.s1(granule, ias, oas), alloc);
	}

	IoPageTable s2(long granule, int ias, int oas) {
		return IoPageTable.allocate(Config.s2(granule, ias, oas), alloc);
	}

	static DriverException err(Errno errno, Runnable r) {
		DriverException e = assertThrows(DriverException.class, r::run);
		assertEquals(errno, e.errno(), e.getMessage());
		return e;
	}

	// ---- geometry

	@ParameterizedTest(name = "{0} {1}K ias {2} oas {3}")
	@CsvSource({
			// format, granule KiB, ias, oas, start level, pgd bits, concatenated tables, SL0 (S2) or -1
			"S1, 4, 48, 48, 0, 9, 1, -1", "S1, 4, 39, 40, 1, 9, 1, -1", "S1, 4, 32, 32, 1, 2, 1, -1", "S1, 16, 48, 48, 0, 1, 1, -1",
			"S1, 16, 47, 48, 1, 11, 1, -1", "S1, 64, 48, 48, 1, 6, 1, -1", "S1, 64, 52, 52, 1, 10, 1, -1", "S1, 64, 42, 42, 2, 13, 1, -1",
			"S2, 4, 48, 48, 0, 9, 1, 2", "S2, 4, 44, 44, 0, 5, 1, 2", "S2, 4, 42, 42, 1, 12, 8, 1", "S2, 4, 40, 40, 1, 10, 2, 1",
			"S2, 4, 36, 36, 1, 6, 1, 1", "S2, 4, 32, 32, 1, 2, 1, 1", "S2, 16, 48, 48, 1, 12, 2, 2", "S2, 16, 44, 44, 1, 8, 1, 2",
			"S2, 16, 40, 40, 2, 15, 16, 1", "S2, 16, 36, 36, 2, 11, 1, 1", "S2, 64, 48, 48, 1, 6, 1, 2", "S2, 64, 52, 52, 1, 10, 1, 2",
			"S2, 64, 40, 40, 2, 11, 1, 1" })
	void geometry(String fmt, int kib, int ias, int oas, int start, int pgdBits, int concat, int sl0) {
		long granule = kib * 1024L;
		IoPageTable pt = fmt.equals("S1") ? s1(granule, ias, oas) : s2(granule, ias, oas);
		assertEquals(Long.numberOfTrailingZeros(granule), pt.granuleShift());
		assertEquals(pt.granuleShift() - 3, pt.bitsPerLevel());
		assertEquals(start, pt.startLevel());
		assertEquals(pgdBits, pt.pgdBits());
		assertEquals(concat, pt.concatenatedTables());
		assertEquals(concat > 1, pt.concatenated());
		long pgdAlloc = Math.max(4096, 8L << pgdBits);
		assertEquals(pgdAlloc, pt.tableBytes());
		assertEquals(pgdAlloc, alloc.allocatedBytes());
		assertEquals(0, pt.pgd() % pgdAlloc, "start table naturally aligned");
		if (sl0 >= 0) {
			IoPageTable.Vtcr v = pt.vtcr();
			assertEquals(sl0, v.sl());
			assertEquals(64 - ias, v.tsz());
			assertEquals(granule == K4 ? 0 : granule == K64 ? 1 : 2, v.tg());
			assertEquals(smmu.hw.arch.Regs.oasEncoding(oas), v.ps());
			assertEquals(pt.pgd(), pt.vttbr());
			assertThrows(IllegalStateException.class, pt::tcr);
		} else {
			IoPageTable.Tcr t = pt.tcr();
			assertEquals(64 - ias, t.tsz());
			assertEquals(granule == K4 ? 0 : granule == K64 ? 1 : 2, t.tg());
			assertEquals(smmu.hw.arch.Regs.oasEncoding(oas), t.ips());
			assertEquals(Pte.MAIR, pt.mair());
			assertEquals(pt.pgd(), pt.ttbr());
			assertThrows(IllegalStateException.class, pt::vtcr);
		}
	}

	@Test
	void vtcrAndTcrValuesMatchLinux() {
		IoPageTable s2 = s2(K4, 48, 48);
		assertEquals(new IoPageTable.Vtcr(16, 2, 1, 1, 3, 0, 5), s2.vtcr());
		assertEquals(0x53590L, s2.vtcr().encode());
		IoPageTable nc = IoPageTable.allocate(Config.s2(K4, 48, 48).withCoherentWalk(false), alloc);
		assertEquals(0x52090L, nc.vtcr().encode());
		IoPageTable s2c = s2(K4, 40, 40);
		assertEquals(24 | 1 << 6 | 1 << 8 | 1 << 10 | 3 << 12 | 0 << 14 | 2 << 16, s2c.vtcr().encode());
		assertEquals(0x23558L, s2c.vtcr().encode());
		IoPageTable s216 = s2(K16, 48, 48);
		assertEquals(new IoPageTable.Vtcr(16, 2, 1, 1, 3, 2, 5), s216.vtcr());
		IoPageTable s1 = s1(K64, 52, 52);
		assertEquals(new IoPageTable.Tcr(12, 1, 1, 1, 3, 6), s1.tcr());
		IoPageTable s1nc = IoPageTable.allocate(Config.s1(K4, 48, 44).withCoherentWalk(false), alloc);
		assertEquals(new IoPageTable.Tcr(16, 0, 0, 0, 2, 4), s1nc.tcr());
	}

	@Test
	void pageSizesAreRestrictedToOneGranule() {
		long all = IoPageTable.SZ_4K | IoPageTable.SZ_2M | IoPageTable.SZ_1G | IoPageTable.SZ_16K | IoPageTable.SZ_32M | IoPageTable.SZ_64K
				| IoPageTable.SZ_512M;
		IoPageTable pt = IoPageTable.allocate(new Config(Format.ARM_64_LPAE_S2, all, 48, 48, true, java.util.Set.of(), 4096), alloc);
		assertEquals(K4 | M2 | G1, pt.pgsizeBitmap());
		IoPageTable p64 = IoPageTable.allocate(new Config(Format.ARM_64_LPAE_S2, all, 48, 48, true, java.util.Set.of(), 65536), alloc);
		assertEquals(K64 | M512, p64.pgsizeBitmap());
		assertEquals(65536, p64.tableBytes(), "a 512-byte start table takes a whole 64K kernel page");
		// no 4K: the smallest granule above the page size
		IoPageTable p16 = IoPageTable.allocate(new Config(Format.ARM_64_LPAE_S1, K16 | M32 | K64 | M512, 48, 48, true, java.util.Set.of(), 4096),
				alloc);
		assertEquals(K16 | M32, p16.pgsizeBitmap());
		assertEquals(K64 | M512 | IoPageTable.SZ_4T, s2(K64, 52, 52).pgsizeBitmap());
		assertEquals(K64 | M512, s2(K64, 48, 48).pgsizeBitmap());
		// 4K and 16K are limited to 48 bits: ias/oas 52 are clamped as Linux does
		IoPageTable clamp = s2(K4, 52, 52);
		assertEquals(48, clamp.ias());
		assertEquals(48, clamp.oas());
	}

	@Test
	void badConfigurationsAreRejected() {
		err(Errno.EINVAL, () -> s2(K4, 48, 40)); // concatenation would need 512 tables
		err(Errno.EINVAL, () -> s2(K4, 53, 48));
		err(Errno.EINVAL, () -> s1(K4, 48, 38)); // no IPS encoding
		err(Errno.EINVAL, () -> s1(8192, 48, 48));
		err(Errno.EINVAL, () -> s1(K4, 12, 32));
		err(Errno.EINVAL, () -> IoPageTable.allocate(Config.s2(K4, 48, 48).withQuirks(Quirk.ARM_HD), alloc));
		err(Errno.EINVAL, () -> IoPageTable.allocate(Config.s1(K4, 48, 48).withQuirks(Quirk.ARM_S2FWB), alloc));
		assertEquals(0, alloc.allocatedBytes());
	}

	// ---- PTE bits

	long pteAt(IoPageTable pt, long iova) {
		IoPageTable.Leaf l = pt.lookup(iova);
		return l == null ? 0 : l.descriptor();
	}

	@Test
	void stage1PteBits() {
		IoPageTable pt = s1(K4, 48, 48);
		pt.map(0x1000, 0x8000_0000L, K4, RWC);
		assertEquals(0x8000_0F47L, pteAt(pt, 0x1000));
		pt.map(0x2000, 0x8000_0000L, K4, Prot.READ | Prot.CACHE);
		assertEquals(0x8000_0FC7L, pteAt(pt, 0x2000));
		pt.map(0x3000, 0x8000_0000L, K4, Prot.RW);
		assertEquals(0x8000_0E43L, pteAt(pt, 0x3000));
		pt.map(0x4000, 0x8000_0000L, K4, Prot.RW | Prot.MMIO);
		assertEquals(0x8000_0E4BL, pteAt(pt, 0x4000));
		pt.map(0x5000, 0x8000_0000L, K4, RWC | Prot.PRIV | Prot.NOEXEC);
		assertEquals(0x0060_0000_8000_0F07L, pteAt(pt, 0x5000));
		pt.map(0x6000, 0x8000_0000L, K4, Prot.WRITE);
		assertEquals(0x8000_0E43L, pteAt(pt, 0x6000), "write-only is not read-only");
		pt.map(M2, 0x4000_0000L, M2, RWC);
		assertEquals(0x4000_0F45L, pteAt(pt, M2), "block: type 1");
		IoPageTable hd = IoPageTable.allocate(Config.s1(K4, 48, 48).withQuirks(Quirk.ARM_HD, Quirk.ARM_NS), alloc);
		hd.map(0, 0x8000_0000L, K4, RWC);
		assertEquals(Pte.DBM | Pte.NS | 0x8000_0F47L, pteAt(hd, 0));
		hd.map(K4, 0x8000_0000L, K4, Prot.READ);
		assertEquals(Pte.NS | 0x8000_0EC3L, pteAt(hd, K4), "read-only: no DBM");
		long table = mem.read64(hd.pgd());
		assertEquals(Pte.NSTABLE | Pte.TYPE_TABLE, table & (Pte.NSTABLE | 3));
	}

	@Test
	void stage2PteBits() {
		IoPageTable pt = s2(K4, 48, 48);
		pt.map(0, 0x1_0000_0000L, K4, RWC);
		assertEquals(0x1_0000_07FFL, pteAt(pt, 0));
		pt.map(M2, 0x1_0020_0000L, M2, RWC);
		assertEquals(0x1_0020_07FDL, pteAt(pt, M2));
		assertEquals(2, pt.lookup(M2).level());
		pt.map(K4, 0x1_0000_0000L, K4, Prot.READ);
		assertEquals(0x1_0000_0657L, pteAt(pt, K4));
		pt.map(2 * K4, 0x1_0000_0000L, K4, Prot.RW | Prot.MMIO | Prot.CACHE);
		assertEquals(0x1_0000_07C7L, pteAt(pt, 2 * K4), "MMIO wins over CACHE for MemAttr but not for SH");
		pt.map(3 * K4, 0x1_0000_0000L, K4, Prot.RW | Prot.MMIO);
		assertEquals(0x1_0000_06C7L, pteAt(pt, 3 * K4));
		pt.map(4 * K4, 0x1_0000_0000L, K4, RWC | Prot.NOEXEC | Prot.PRIV);
		assertEquals(Pte.XN | 0x1_0000_07FFL, pteAt(pt, 4 * K4), "PRIV means nothing at stage 2");
		IoPageTable fwb = IoPageTable.allocate(Config.s2(K4, 48, 48).withQuirks(Quirk.ARM_S2FWB), alloc);
		fwb.map(0, 0x1_0000_0000L, K4, RWC);
		assertEquals(0x1_0000_07DBL, pteAt(fwb, 0));
		fwb.map(K4, 0x1_0000_0000L, K4, Prot.RW);
		assertEquals(0x1_0000_06D7L, pteAt(fwb, K4), "non-cacheable stays NC with FWB");
	}

	@Test
	void tableDescriptorsPointAtZeroedNextLevelTables() {
		IoPageTable pt = s2(K4, 48, 48);
		pt.map(0x12_3456_7000L, 0x2_0000_0000L, K4, RWC);
		long table = pt.pgd();
		for (int lvl = 0; lvl < 3; lvl++) {
			int shift = 39 - 9 * lvl;
			long d = mem.read64(table + 8 * ((0x12_3456_7000L >>> shift) & 511));
			assertEquals(3, d & 3, "table descriptor at level " + lvl);
			assertEquals(0, d & ~0x0000_ffff_ffff_f003L, "no attributes in a table descriptor");
			table = d & 0x0000_ffff_ffff_f000L;
		}
		assertEquals(0x2_0000_07FFL, mem.read64(table + 8 * ((0x12_3456_7000L >>> 12) & 511)));
		assertEquals(4, pt.tables());
	}

	@Test
	void sixtyFourKGranuleEncodesFiftyTwoBitAddresses() {
		IoPageTable pt = s2(K64, 52, 52);
		long pa = 0x000F_0000_1234_0000L;
		pt.map(0x1_0000_0000L, pa, K64, RWC);
		long pte = pteAt(pt, 0x1_0000_0000L);
		assertEquals(0x1234_F000L | 0x7FF, pte);
		assertEquals(pa + 0x1234, pt.iovaToPhys(0x1_0000_1234L));
		// a 4 TiB block at level 1 with oas 52
		pt.map(4L << 40, 4L << 40, IoPageTable.SZ_4T, RWC);
		assertEquals(1, pt.lookup((4L << 40) + 12345).level());
		assertEquals((4L << 40) + 12345, pt.iovaToPhys((4L << 40) + 12345));
	}

	@Test
	void blocksAtEachGranule() {
		IoPageTable p16 = s1(K16, 48, 48);
		p16.map(M32, 0x4000_0000L, M32, RWC);
		assertEquals(2, p16.lookup(M32).level());
		assertEquals(0x4000_0000L + 0x1234, p16.iovaToPhys(M32 + 0x1234));
		p16.map(0, 0x5000_0000L, K16, RWC);
		assertEquals(3, p16.lookup(0).level());
		IoPageTable p64 = s1(K64, 48, 48);
		p64.map(M512, 0x4000_0000L, M512, RWC);
		assertEquals(2, p64.lookup(M512 + 5).level());
		IoPageTable p4 = s1(K4, 48, 48);
		p4.map(G1, 2 * G1, G1, RWC);
		assertEquals(1, p4.lookup(G1).level());
		assertEquals(2 * G1 + 0x3456_789aL, p4.iovaToPhys(G1 + 0x3456_789aL));
		assertEquals(2, p4.tables(), "pgd and level 1, no level 2");
	}

	// ---- map splitting and table accounting

	@Test
	void sixteenGiBOfOneGiBAlignedMemoryUsesOneLevelOneTable() {
		IoPageTable pt = s2(K4, 48, 48);
		pt.map(0, 0x40_0000_0000L, 16 * G1, RWC);
		assertEquals(2, pt.tables());
		assertEquals(8192, pt.tableBytes());
		for (int i = 0; i < 16; i++) {
			IoPageTable.Leaf l = pt.lookup(i * G1);
			assertEquals(1, l.level());
			assertEquals(0x40_0000_0000L + i * G1 | 0x7FD, l.descriptor());
		}
		assertEquals(0x40_0000_0000L + 16 * G1 - 1, pt.iovaToPhys(16 * G1 - 1));
		assertEquals(0, pt.iovaToPhys(16 * G1));
	}

	@Test
	void sixteenGiBOfTwoMiBAlignedMemoryUsesSixteenLevelTwoTables() {
		IoPageTable pt = s2(K4, 48, 48);
		long pa = 0x40_0020_0000L; // 2 MiB aligned, not 1 GiB: iova and pa differ modulo 1 GiB
		pt.map(0, pa, 16 * G1, RWC);
		assertEquals(1 + 1 + 16, pt.tables());
		assertEquals(18 * 4096, pt.tableBytes());
		assertEquals(pt.tableBytes(), alloc.allocatedBytes());
		assertEquals(2, pt.lookup(0).level());
		assertEquals(2, pt.lookup(16 * G1 - M2).level());
		assertEquals(pa + 16 * G1 - 1, pt.iovaToPhys(16 * G1 - 1));
	}

	@Test
	void sameOffsetModuloOneGiBUsesBlocksOfEachSize() {
		IoPageTable pt = s2(K4, 48, 48);
		long iova = M2 + K4, pa = 0x40_0020_1000L; // both at 2M + 4K within their 1 GiB
		long size = 16 * G1;
		pt.map(iova, pa, size, RWC);
		// 511 pages up to 4M, 511 2M blocks up to 1G, 15 1G blocks, 1 2M block up to 16G + 2M, 1 page
		assertEquals(3, pt.lookup(iova).level());
		assertEquals(3, pt.lookup(2 * M2 - K4).level());
		assertEquals(2, pt.lookup(2 * M2).level());
		assertEquals(2, pt.lookup(G1 - M2).level());
		assertEquals(1, pt.lookup(G1).level());
		assertEquals(1, pt.lookup(15 * G1).level());
		assertEquals(2, pt.lookup(16 * G1).level());
		assertEquals(3, pt.lookup(16 * G1 + M2).level());
		assertEquals(0, pt.iovaToPhys(16 * G1 + M2 + K4));
		// tables: L0, L1, L2 for [0,1G), L3 for [2M,4M), L2 for [16G,17G), L3 for [16G+2M, +2M)
		assertEquals(6, pt.tables());
		for (long a = iova; a < iova + size; a += 0x1234_5000L) {
			assertEquals(pa + (a - iova), pt.iovaToPhys(a));
		}
		assertEquals(size, pt.unmap(iova, size));
		assertEquals(0, pt.iovaToPhys(G1));
		assertEquals(6, pt.tables(), "Linux keeps empty tables after unmapping pages");
	}

	@Test
	void oneGiBOfPagesTakesFiveHundredFifteenTables() {
		IoPageTable pt = s2(K4, 48, 48);
		pt.map(0, 0x1_0000_1000L, G1, RWC); // pa offset by 4K: only pages
		assertEquals(512 + 1 + 1 + 1, pt.tables());
		assertEquals(515 * 4096L, pt.tableBytes());
		// unmapping page by page leaves the (now empty) tables in place
		for (long a = 0; a < M2; a += K4) {
			assertEquals(K4, pt.unmap(a, K4));
		}
		assertEquals(515 * 4096L, pt.tableBytes());
		assertEquals(0, pt.iovaToPhys(K4));
		assertEquals(0x1_0020_1000L, pt.iovaToPhys(M2));
		// the rest goes in 2 MiB unmaps: each meets a level-3 table at level 2 and frees it
		assertEquals(G1 - M2, pt.unmap(M2, G1 - M2));
		assertEquals(4 * 4096L, pt.tableBytes());
		pt.unmap(0, M2);
		assertEquals(3 * 4096L, pt.tableBytes());
		// a 1 GiB-aligned unmap of 1 GiB is a level-1 unmap: it meets the level-2 table and frees the subtree
		pt.map(0, 0x1_0000_1000L, G1, RWC);
		assertEquals(515 * 4096L, pt.tableBytes());
		assertEquals(0, pt.unmap(0, K4 / 2), "misaligned");
		assertEquals(G1, pt.unmap(0, G1));
		assertEquals(2 * 4096L, pt.tableBytes());
		assertEquals(2 * 4096L, alloc.allocatedBytes());
		pt.free();
		assertEquals(0, pt.tableBytes());
		assertEquals(0, alloc.allocatedBytes());
	}

	@Test
	void concatenatedStartTableIsIndexedAcrossItsTables() {
		IoPageTable pt = s2(K4, 40, 40);
		assertEquals(8192, pt.tableBytes());
		pt.map(768 * G1, 2 * G1, G1, RWC);
		IoPageTable.Leaf l = pt.lookup(768 * G1);
		assertEquals(1, l.level());
		assertEquals(pt.vttbr() + 768 * 8, l.address(), "entry 768 lives in the second concatenated table");
		// a range crossing the boundary between the two concatenated tables
		pt.map(511 * G1, 3 * G1, 2 * G1, RWC);
		assertEquals(3 * G1, pt.iovaToPhys(511 * G1));
		assertEquals(4 * G1 + 5, pt.iovaToPhys(512 * G1 + 5));
		assertEquals(2 * G1, pt.unmap(511 * G1, 2 * G1));
		err(Errno.ERANGE, () -> pt.map(1L << 40, 0, K4, RWC));
	}

	@Test
	void roundTripAgainstAReferenceModel() {
		IoPageTable pt = s1(K4, 39, 40);
		Random rnd = new Random(42);
		TreeMap<Long, long[]> ref = new TreeMap<>(); // iova -> {pa, size}
		long[] sizes = { K4, 3 * K4, M2, M2 + K4, 4 * M2, G1 };
		for (int i = 0; i < 200; i++) {
			long size = sizes[rnd.nextInt(sizes.length)];
			long iova = (rnd.nextLong() & ((1L << 39) - 1)) & -(rnd.nextBoolean() ? M2 : K4);
			long pa = (rnd.nextLong() & ((1L << 40) - 1)) & -(rnd.nextBoolean() ? M2 : K4);
			if (iova + size > 1L << 39 || pa + size > 1L << 40) {
				continue;
			}
			if (covering(ref, iova) != null || ref.subMap(iova, iova + size).size() > 0) {
				continue; // overlaps (EEXIST, or a block replacing a table: tested elsewhere)
			}
			pt.map(iova, pa, size, RWC);
			ref.put(iova, new long[] { pa, size });
		}
		assertTrue(ref.size() > 100);
		for (Map.Entry<Long, long[]> e : ref.entrySet()) {
			long iova = e.getKey(), pa = e.getValue()[0], size = e.getValue()[1];
			assertEquals(pa, pt.iovaToPhys(iova));
			assertEquals(pa + size - 1, pt.iovaToPhys(iova + size - 1));
			if (covering(ref, iova + size) == null) {
				assertEquals(0, pt.iovaToPhys(iova + size));
			}
			if (covering(ref, iova - K4) == null) {
				assertEquals(0, pt.iovaToPhys(iova - K4));
			}
		}
		for (Map.Entry<Long, long[]> e : ref.entrySet()) {
			assertEquals(e.getValue()[1], pt.unmap(e.getKey(), e.getValue()[1]));
			assertEquals(0, pt.iovaToPhys(e.getKey()));
		}
		long before = pt.tableBytes();
		assertEquals(before, alloc.allocatedBytes());
		pt.free();
		assertEquals(0, alloc.allocatedBytes());
		assertTrue(pt.isFreed());
		assertThrows(IllegalStateException.class, () -> pt.map(0, 0, K4, RWC));
	}

	static Map.Entry<Long, long[]> covering(TreeMap<Long, long[]> ref, long a) {
		Map.Entry<Long, long[]> e = ref.floorEntry(a);
		return e != null && e.getKey() + e.getValue()[1] > a ? e : null;
	}

	// ---- map errors

	@Test
	void misalignmentAndPermissionsAreEinval() {
		IoPageTable pt = s2(K4, 48, 48);
		err(Errno.EINVAL, () -> pt.map(0x800, 0, K4, RWC));
		err(Errno.EINVAL, () -> pt.map(0, 0x800, K4, RWC));
		err(Errno.EINVAL, () -> pt.map(0, 0, 0x1800, RWC));
		err(Errno.EINVAL, () -> pt.map(0, 0, -K4, RWC));
		err(Errno.EINVAL, () -> pt.map(0, 0, K4, 0));
		err(Errno.EINVAL, () -> pt.map(0, 0, K4, Prot.CACHE | Prot.NOEXEC));
		IoPageTable p64 = s2(K64, 48, 48);
		err(Errno.EINVAL, () -> p64.map(K4, K4, K4, RWC));
		pt.map(0, 0, 0, RWC); // size 0: nothing, as iommu_map
		assertEquals(1, pt.tables());
		assertEquals(0, pt.iovaToPhys(0));
	}

	@Test
	void outOfRangeAddressesAreErange() {
		IoPageTable pt = s2(K4, 40, 40);
		err(Errno.ERANGE, () -> pt.map(1L << 40, 0, K4, RWC));
		err(Errno.ERANGE, () -> pt.map(0, 1L << 40, K4, RWC));
		err(Errno.ERANGE, () -> pt.map(-K4, 0, K4, RWC));
		// the last page of a table, then a second map_pages call whose pa is beyond oas: the first page is unmapped again
		err(Errno.ERANGE, () -> pt.map(0x1F_F000, (1L << 40) - K4, 2 * K4, RWC));
		assertEquals(0, pt.iovaToPhys(0x1F_F000));
		assertNull(pt.lookup(0x1F_F000));
		// the second page is beyond ias
		err(Errno.ERANGE, () -> pt.map((1L << 40) - K4, 0, 2 * K4, RWC));
		assertEquals(0, pt.iovaToPhys((1L << 40) - K4));
		assertEquals(0, pt.iovaToPhys(-1L), "beyond ias");
	}

	@Test
	void existingLeavesAreEexistAndTheCallIsUndone() {
		IoPageTable pt = s2(K4, 48, 48);
		pt.map(0x1000, 0x9000_1000L, K4, RWC);
		err(Errno.EEXIST, () -> pt.map(0x1000, 0xA000_0000L, K4, RWC));
		assertEquals(0x9000_1000L, pt.iovaToPhys(0x1000));
		// two pages in one map_pages call: nothing is written
		err(Errno.EEXIST, () -> pt.map(0, 0xA000_0000L, 2 * K4, RWC));
		assertEquals(0, pt.iovaToPhys(0));
		// a first map_pages call succeeds (last page of a table), the second fails: the first is undone
		pt.map(0x40_0000, 0x9040_0000L, K4, RWC);
		err(Errno.EEXIST, () -> pt.map(0x3F_F000, 0x1_003F_F000L, 2 * K4, RWC));
		assertEquals(0, pt.iovaToPhys(0x3F_F000));
		assertEquals(0x9040_0000L, pt.iovaToPhys(0x40_0000));
		// a block met while descending
		pt.map(G1, 0x1_4000_0000L, M2, RWC);
		err(Errno.EEXIST, () -> pt.map(G1 + K4, 0x2000, K4, RWC));
		DriverException e = err(Errno.EEXIST, () -> pt.map(G1, 0x1_4000_0000L, M2, RWC));
		assertTrue(e.getMessage().contains("EEXIST"));
		assertEquals(0x1_4000_0000L + K4, pt.iovaToPhys(G1 + K4));
	}

	@Test
	void aBlockReplacesATableAndFreesIt() {
		IoPageTable pt = s2(K4, 48, 48);
		pt.map(M2, 0x1_0000_0000L, K4, RWC);
		pt.map(M2 + 8 * K4, 0x1_0000_8000L, K4, RWC);
		assertEquals(4, pt.tables());
		long l3 = pt.lookup(M2).address() & -K4;
		pt.map(M2, 0x2_0000_0000L, M2, RWC);
		assertEquals(3, pt.tables(), "the level-3 table is freed");
		assertEquals(3 * 4096, alloc.allocatedBytes());
		assertEquals(2, pt.lookup(M2 + 8 * K4).level());
		assertEquals(0x2_0000_8000L, pt.iovaToPhys(M2 + 8 * K4));
		// the freed table is reused (zeroed) for the next table
		pt.map(3 * M2, 0x3000, K4, RWC);
		assertEquals(l3, pt.lookup(3 * M2).address() & -K4);
		assertEquals(0, mem.read64(l3 + 8 * 8));
	}

	@Test
	void runningOutOfTableMemoryIsEnomemAndUndone() {
		FrameAllocator small = new FrameAllocator(mem, 1L << 40, (1L << 40) + 4 * 4096);
		IoPageTable pt = IoPageTable.allocate(Config.s2(K4, 48, 48), small);
		pt.map(0, 0x1000_0000L, K4, RWC); // pgd + L1 + L2 + L3 = 4 pages
		DriverException e = err(Errno.ENOMEM, () -> pt.map(0x1F_F000, 0x2000_0000L, 2 * K4, RWC));
		assertTrue(e.getMessage().contains("no memory"));
		assertEquals(0, pt.iovaToPhys(0x1F_F000), "the first page of the failed call is unmapped");
		assertEquals(0x1000_0000L, pt.iovaToPhys(0));
		assertEquals(4 * 4096, pt.tableBytes());
	}

	// ---- unmap

	@Test
	void unmapNeverSplitsABlock() {
		IoPageTable pt = s2(K4, 48, 48);
		pt.map(M2, 0x8000_0000L, M2, RWC);
		assertEquals(0, pt.unmap(M2 + K4, K4));
		assertEquals(0, pt.unmap(M2, K4));
		assertEquals(0, pt.unmap(M2, M2 / 2));
		assertEquals(0x8000_0000L + 5, pt.iovaToPhys(M2 + 5));
		assertEquals(M2, pt.unmap(M2, M2));
		assertEquals(0, pt.iovaToPhys(M2 + 5));
		assertEquals(3, pt.tables());
	}

	@Test
	void unmapStopsAtTheFirstHole() {
		IoPageTable pt = s1(K4, 48, 48);
		pt.map(0, 0x10_0000, 3 * K4, RWC);
		pt.map(4 * K4, 0x20_0000, K4, RWC);
		assertEquals(3 * K4, pt.unmap(0, 8 * K4));
		assertEquals(0x20_0000, pt.iovaToPhys(4 * K4));
		assertEquals(0, pt.unmap(0, K4));
		assertEquals(0, pt.unmap(K4 + 1, K4), "misaligned");
		assertEquals(0, pt.unmap(1L << 48, K4), "beyond ias");
		assertEquals(0, pt.unmap(0x7f_0000_0000L, G1), "nothing there");
	}

	@Test
	void blockSizedUnmapOverATableFreesTheSubtree() {
		IoPageTable pt = s2(K4, 48, 48);
		pt.map(0, 0x8000_0000L, M2, RWC); // block [0, 2M)
		pt.map(M2, 0x9000_0000L, K4, RWC); // table of pages in [2M, 4M)
		pt.map(M2 + 100 * K4, 0x9010_0000L, K4, RWC);
		assertEquals(4, pt.tables());
		assertEquals(2 * M2, pt.unmap(0, 2 * M2));
		assertEquals(3, pt.tables());
		assertEquals(3 * 4096, alloc.allocatedBytes());
		assertEquals(0, pt.iovaToPhys(M2 + 100 * K4));
		// a 1 GiB unmap over a level-2 table frees it and its level-3 tables
		pt.map(G1 + 4 * M2, 0x1000, K4, RWC);
		pt.map(G1 + 9 * M2, 0xA000_0000L, M2, RWC);
		assertEquals(5, pt.tables());
		assertEquals(G1, pt.unmap(G1, G1));
		assertEquals(3, pt.tables());
	}

	@Test
	void freeReleasesEverything() {
		IoPageTable pt = s2(K16, 48, 48);
		pt.map(0, 0x1_0000_0000L, 64 * K16, RWC);
		pt.map(1L << 40, 0x2_0000_0000L, M32, RWC);
		pt.map(1L << 47, 0x3_0000_0000L, K16, RWC);
		assertTrue(pt.tableBytes() > 32768);
		assertEquals(pt.tableBytes(), alloc.allocatedBytes());
		pt.free();
		assertEquals(0, alloc.allocatedBytes());
		pt.free();
		assertEquals(0, pt.tables());
		assertEquals(0, pt.iovaToPhys(0), "a freed table translates nothing");
		assertThrows(IllegalStateException.class, () -> pt.unmap(0, K16));
	}

	@Test
	void aConcurrentWalkerSeesOldOrNewTranslationsOnly() throws Exception {
		IoPageTable pt = s2(K4, 48, 48);
		AtomicBoolean stop = new AtomicBoolean();
		AtomicReference<String> bad = new AtomicReference<>();
		Thread walker = new Thread(() -> {
			while (!stop.get()) {
				for (long i = 0; i < 64; i++) {
					long iova = i * M2 + (i & 7) * K4;
					long pa = pt.iovaToPhys(iova);
					if (pa != 0 && pa != 0x1_0000_0000L + iova) {
						bad.compareAndSet(null, String.format("iova 0x%x -> 0x%x", iova, pa));
					}
				}
			}
		});
		walker.start();
		try {
			for (int round = 0; round < 40; round++) {
				for (long i = 0; i < 64; i++) {
					long iova = i * M2;
					if ((round & 1) == 0) {
						pt.map(iova, 0x1_0000_0000L + iova, i % 3 == 0 ? M2 : 8 * K4, RWC);
					} else {
						pt.unmap(iova, i % 3 == 0 ? M2 : 8 * K4);
					}
				}
			}
		} finally {
			stop.set(true);
			walker.join();
		}
		assertNull(bad.get());
		assertFalse(pt.isFreed());
	}
}
