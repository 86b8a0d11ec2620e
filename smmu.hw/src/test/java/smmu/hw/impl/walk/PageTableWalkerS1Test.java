package smmu.hw.impl.walk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static smmu.hw.impl.walk.Tables.S1_LEAF;
import static smmu.hw.impl.walk.Tables.block;
import static smmu.hw.impl.walk.Tables.page;
import static smmu.hw.impl.walk.Tables.table;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.SparseMemory;
import smmu.hw.arch.Pte;

class PageTableWalkerS1Test {
	static final long TTB = 0x10_0000L;

	final SparseMemory mem = new SparseMemory(48);
	final Tables t = new Tables(mem, 0x100_0000L);
	final PageTableWalker walker = new PageTableWalker(mem);

	static S1Regime s1(int g, int tsz, long ttb, int oas) {
		return new S1Regime(1, new TableRegime(true, ttb, tsz, g, false), new TableRegime(false, 0, tsz, g, false), oas, false,
				false, false, true);
	}

	static void assertFault(WalkResult r, EventType type, boolean s2, int cls, long ipa, long fetch, boolean record) {
		assertFalse(r.ok(), () -> "expected " + type + " but " + r);
		assertEquals(type, r.fault(), r::toString);
		assertEquals(s2, r.s2(), "s2");
		assertEquals(cls, r.faultClass(), "class");
		assertEquals(ipa, r.ipa(), "ipa");
		assertEquals(fetch, r.fetchAddress(), "fetchAddress");
		assertEquals(record, r.record(), "record");
	}

	static void assertS1Fault(WalkResult r, EventType type) {
		assertFault(r, type, false, Event.CLASS_IN, 0, 0, true);
	}

	@ParameterizedTest(name = "granule {0}, {1}-bit VA -> start level {2}")
	@CsvSource({ "12,48,0", "12,40,0", "12,39,1", "12,31,1", "12,30,2", "12,25,2", //
			"14,48,0", "14,47,1", "14,37,1", "14,36,2", "14,26,2", "14,25,3", //
			"16,52,1", "16,48,1", "16,43,1", "16,42,2", "16,30,2", "16,29,3", "16,25,3" })
	void everyGranuleAndStartLevel(int g, int ias, int start) {
		int oas = ias == 52 ? 52 : 48;
		long va = (0x5a5a_5a5a_5a5a_5a5aL | 1L << (ias - 1)) & ((1L << ias) - 1);
		long oa = (ias == 52 ? 0x000f_1234_5670_0000L : 0x0000_8765_4320_0000L) & -(1L << g);
		long[] used = t.map(TTB, g, start, va, 3, page(oa, g, S1_LEAF));
		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translate(s1(g, 64 - ias, TTB, oas), null, va, false, reads);
		assertTrue(r.ok(), r::toString);
		assertEquals(oa | (va & ((1L << g) - 1)), r.pa());
		assertEquals(1L << g, r.mappingSize());
		assertEquals(3, r.level());
		assertTrue(r.s1Writable() && r.s2Readable() && r.s2Writable());
		assertEquals(4 - start, reads.count());
		assertEquals(start, reads.reads.get(0)[1], "start level");
		assertArrayEquals(used, reads.addresses());
		// the start table's top entry is used: a table of the wrong size would have read elsewhere
		assertEquals(TTB + (va >>> Tables.shift(g, start)) * 8, reads.addresses()[0]);
	}

	@Test
	void literal4kWalk() {
		long va = 0x0000_8123_4567_8abcL;
		long l1 = 0x20_0000L, l2 = 0x30_0000L, l3 = 0x40_0000L;
		t.put(TTB + 0x810, l1 | 3);
		t.put(l1 + 0x468, l2 | 3);
		t.put(l2 + 0x158, l3 | 3);
		t.put(l3 + 0x3c0, 0x9_8765_4000L | Pte.AF | 3);
		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translate(s1(12, 16, TTB, 48), null, va, true, reads);
		assertTrue(r.ok(), r::toString);
		assertEquals(0x9_8765_4abcL, r.pa());
		assertArrayEquals(new long[] { TTB + 0x810, l1 + 0x468, l2 + 0x158, l3 + 0x3c0 }, reads.addresses());
		assertEquals("1:0 1:1 1:2 1:3", reads.shape());
		assertEquals(0x9_8765_4000L | Pte.AF | 3, reads.reads.get(3)[3]);
	}

	@Test
	void literal16kWalk() {
		long va = 0x0000_8123_4567_8abcL;
		long l1 = 0x20_0000L, l2 = 0x30_0000L, l3 = 0x40_0000L;
		t.put(TTB + 0x8, l1 | 3);
		t.put(l1 + 0x90, l2 | 3);
		t.put(l2 + 0xd10, l3 | 3);
		t.put(l3 + 0x2cf0, 0x9_8765_4000L | Pte.AF | 3);
		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translate(s1(14, 16, TTB, 48), null, va, false, reads);
		assertTrue(r.ok(), r::toString);
		assertEquals(0x9_8765_4000L | (va & 0x3fff), r.pa());
		assertEquals(16384, r.mappingSize());
		assertArrayEquals(new long[] { TTB + 0x8, l1 + 0x90, l2 + 0xd10, l3 + 0x2cf0 }, reads.addresses());
	}

	@Test
	void literal64kWalkWith52BitOutput() {
		long va = 0x0000_8123_4567_8abcL;
		long l2 = 0x20_0000L, l3 = 0x30_0000L;
		t.put(TTB + 0x100, l2 | 3);
		t.put(l2 + 0x48d0, l3 | 3);
		// OA[51:48] = 0xa lives in descriptor bits [15:12]
		t.put(l3 + 0x2b38, 0x0000_1234_5678_0000L | 0xa000L | Pte.AF | 3);
		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translate(s1(16, 16, TTB, 52), null, va, false, reads);
		assertTrue(r.ok(), r::toString);
		assertEquals(0x000a_1234_5678_8abcL, r.pa());
		assertEquals(65536, r.mappingSize());
		assertEquals("1:1 1:2 1:3", reads.shape());
		assertArrayEquals(new long[] { TTB + 0x100, l2 + 0x48d0, l3 + 0x2b38 }, reads.addresses());
		// the same with a 48-bit output size is an address size fault
		assertS1Fault(walker.translate(s1(16, 16, TTB, 48), null, va, false, null), EventType.F_ADDR_SIZE);
	}

	@ParameterizedTest(name = "granule {0}: block at level {1} of {2} bytes, oas {3}")
	@CsvSource({ "12,1,1073741824,48", "12,2,2097152,48", "14,2,33554432,48", "16,2,536870912,48", "16,1,4398046511104,52" })
	void blocks(int g, int level, long size, int oas) {
		int ias = g == 16 ? (oas == 52 ? 52 : 48) : 48;
		int start = g == 16 ? 1 : 0;
		long va = 0x0000_9abc_def0_1234L & ((1L << ias) - 1) | 1L << (ias - 1);
		long oa = (oas == 52 ? 0x000c_0000_0000_0000L : 0x0000_4000_0000_0000L) + 7 * size;
		// bits between the granule and the block size are RES0 and ignored
		t.map(TTB, g, start, va, level, block(oa, g, S1_LEAF) | (1L << g));
		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translate(s1(g, 64 - ias, TTB, oas), null, va, true, reads);
		assertTrue(r.ok(), r::toString);
		assertEquals(oa | (va & (size - 1)), r.pa());
		assertEquals(size, r.mappingSize());
		assertEquals(level, r.level());
		assertEquals(level - start + 1, reads.count());
	}

	@Test
	void fourTerabyteBlockNeeds52BitOutput() {
		long va = 0x0000_8000_0000_0000L;
		t.map(TTB, 16, 1, va, 1, block(0x0000_4000_0000_0000L, 16, S1_LEAF));
		assertTrue(walker.translate(s1(16, 12, TTB, 52), null, va, false, null).ok());
		assertS1Fault(walker.translate(s1(16, 16, TTB, 48), null, va, false, null), EventType.F_TRANSLATION);
	}

	@Test
	void blocksWhereTheGranuleForbidsThem() {
		long va = 0x0000_4000_0000_0000L;
		// 4K level 0 (512G)
		t.put(TTB + (va >>> 39) * 8, block(0x0000_8000_0000_0000L, 12, S1_LEAF));
		assertS1Fault(walker.translate(s1(12, 16, TTB, 48), null, va, false, null), EventType.F_TRANSLATION);
		// 16K level 1 (64G)
		long ttb16 = 0x80_0000L;
		t.put(ttb16 + 8 * 0, table(0x90_0000L, 14));
		t.put(0x90_0000L, block(0x10_0000_0000L, 14, S1_LEAF));
		assertS1Fault(walker.translate(s1(14, 16, ttb16, 48), null, 0, false, null), EventType.F_TRANSLATION);
		// level 3 type 01
		long l3va = 0x1000L;
		long[] used = t.map(TTB, 12, 0, l3va, 3, page(0x5000, 12, S1_LEAF));
		t.put(used[3], block(0x5000, 12, S1_LEAF));
		assertS1Fault(walker.translate(s1(12, 16, TTB, 48), null, l3va, false, null), EventType.F_TRANSLATION);
		t.put(used[3], page(0x5000, 12, S1_LEAF));
		assertEquals(0x5000, walker.translate(s1(12, 16, TTB, 48), null, l3va, false, null).pa());
	}

	@Test
	void invalidDescriptorAtEveryLevelAndRecordFlag() {
		long va = 0x0000_1234_5678_9000L;
		long[] used = t.map(TTB, 12, 0, va, 3, page(0x7000, 12, S1_LEAF));
		S1Regime rec = s1(12, 16, TTB, 48);
		S1Regime norec = new S1Regime(1, rec.tt0(), rec.tt1(), 48, false, false, false, false);
		for (int level = 3; level >= 0; level--) {
			long saved = mem.read64(used[level]);
			// bit 0 clear with every other bit set: still invalid
			t.put(used[level], ~1L);
			Tables.Reads reads = new Tables.Reads();
			assertS1Fault(walker.translate(rec, null, va, false, reads), EventType.F_TRANSLATION);
			assertEquals(level + 1, reads.count());
			assertFault(walker.translate(norec, null, va, false, null), EventType.F_TRANSLATION, false, Event.CLASS_IN, 0, 0, false);
			t.put(used[level], saved);
		}
		assertTrue(walker.translate(rec, null, va, false, null).ok());
	}

	@Test
	void ttb1AndTopByteIgnore() {
		// 39-bit regions: TTB0 [0, 2^39), TTB1 [2^64 - 2^39, 2^64)
		long ttb1 = 0x80_0000L;
		long va = 0xffff_ff80_1234_5678L;
		long oa = 0x4_0000_0000L;
		long[] used = t.map(ttb1, 12, 1, va & ((1L << 39) - 1), 3, page(oa, 12, S1_LEAF));
		assertEquals(ttb1 + 0, used[0]);
		t.map(TTB, 12, 1, 0x1234_5678L, 3, page(0x5_0000_0000L, 12, S1_LEAF));
		TableRegime tt0 = new TableRegime(true, TTB, 25, 12, false);
		TableRegime tt1 = new TableRegime(true, ttb1, 25, 12, false);
		S1Regime plain = new S1Regime(1, tt0, tt1, 48, false, false, false, true);
		S1Regime tbi = new S1Regime(1, tt0, tt1, 48, true, true, false, true);
		S1Regime tbi0Only = new S1Regime(1, tt0, tt1, 48, true, false, false, true);

		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translate(plain, null, va, false, reads);
		assertTrue(r.ok(), r::toString);
		assertEquals(oa | 0x678, r.pa());
		assertEquals(ttb1, reads.addresses()[0]);
		assertEquals(0x5_0000_0678L, walker.translate(plain, null, 0x1234_5678L, false, null).pa());

		long taggedHigh = 0x5aff_ff80_1234_5678L;
		long taggedLow = 0xa500_0000_1234_5678L;
		assertS1Fault(walker.translate(plain, null, taggedHigh, false, null), EventType.F_TRANSLATION);
		assertS1Fault(walker.translate(plain, null, taggedLow, false, null), EventType.F_TRANSLATION);
		assertEquals(oa | 0x678, walker.translate(tbi, null, taggedHigh, false, null).pa());
		assertEquals(0x5_0000_0678L, walker.translate(tbi, null, taggedLow, false, null).pa());
		assertEquals(0x5_0000_0678L, walker.translate(tbi0Only, null, taggedLow, false, null).pa());
		assertS1Fault(walker.translate(tbi0Only, null, taggedHigh, false, null), EventType.F_TRANSLATION);
		// VA[55] selects the region even with TBI: a tagged low address with bit 55 set is a high address
		assertS1Fault(walker.translate(tbi, null, 0x0080_0000_1234_5678L, false, null), EventType.F_TRANSLATION);
		// the gap between the regions
		assertS1Fault(walker.translate(plain, null, 0x0000_0080_0000_0000L, false, null), EventType.F_TRANSLATION);
		assertS1Fault(walker.translate(plain, null, 0xffff_ff7f_ffff_f000L, false, null), EventType.F_TRANSLATION);
		assertS1Fault(walker.translate(tbi, null, 0x0000_8000_0000_0000L, false, null), EventType.F_TRANSLATION);
		// bit 63 set but bit 55 clear, no TBI
		assertS1Fault(walker.translate(plain, null, 0x8000_0000_1234_5678L, false, null), EventType.F_TRANSLATION);
	}

	@Test
	void epdDisablesARegion() {
		long ttb1 = 0x80_0000L;
		t.map(ttb1, 12, 1, 0x1000L, 3, page(0x6000, 12, S1_LEAF));
		t.map(TTB, 12, 1, 0x1000L, 3, page(0x7000, 12, S1_LEAF));
		TableRegime tt0 = new TableRegime(true, TTB, 25, 12, false);
		TableRegime tt1 = new TableRegime(true, ttb1, 25, 12, false);
		TableRegime off0 = new TableRegime(false, TTB, 25, 12, false);
		TableRegime off1 = new TableRegime(false, ttb1, 25, 12, false);
		long high = 0xffff_ff80_0000_1000L;
		assertEquals(0x7000, walker.translate(new S1Regime(1, tt0, tt1, 48, false, false, false, true), null, 0x1000, false, null).pa());
		assertEquals(0x6000, walker.translate(new S1Regime(1, tt0, tt1, 48, false, false, false, true), null, high, false, null).pa());
		Tables.Reads reads = new Tables.Reads();
		assertS1Fault(walker.translate(new S1Regime(1, off0, tt1, 48, false, false, false, true), null, 0x1000, false, reads),
				EventType.F_TRANSLATION);
		assertEquals(0, reads.count());
		assertEquals(0x6000, walker.translate(new S1Regime(1, off0, tt1, 48, false, false, false, true), null, high, false, null).pa());
		assertS1Fault(walker.translate(new S1Regime(1, tt0, off1, 48, false, false, false, true), null, high, false, null),
				EventType.F_TRANSLATION);
		assertFault(walker.translate(new S1Regime(1, tt0, off1, 48, false, false, false, false), null, high, false, null),
				EventType.F_TRANSLATION, false, Event.CLASS_IN, 0, 0, false);
	}

	@Test
	void readOnlyPage() {
		long va = 0x4000L;
		t.map(TTB, 12, 0, va, 3, page(0x9000, 12, S1_LEAF | Pte.S1_AP_RDONLY | Pte.S1_AP_UNPRIV));
		S1Regime s1 = s1(12, 16, TTB, 48);
		WalkResult r = walker.translate(s1, null, va, false, null);
		assertTrue(r.ok());
		assertFalse(r.s1Writable());
		assertTrue(r.s2Readable() && r.s2Writable());
		assertS1Fault(walker.translate(s1, null, va, true, null), EventType.F_PERMISSION);
		S1Regime norec = new S1Regime(1, s1.tt0(), s1.tt1(), 48, false, false, false, false);
		assertFault(walker.translate(norec, null, va, true, null), EventType.F_PERMISSION, false, Event.CLASS_IN, 0, 0, false);
		// AP[6] alone (EL0 access) does not matter: accesses are privileged
		t.map(TTB, 12, 0, 0x5000L, 3, page(0xa000, 12, S1_LEAF | Pte.S1_AP_UNPRIV));
		WalkResult w = walker.translate(s1, null, 0x5000L, true, null);
		assertTrue(w.ok() && w.s1Writable());
	}

	@Test
	void apTableWriteProtectsLowerLevels() {
		long va = 0x0000_0040_0020_3000L;
		long[] used = t.map(TTB, 12, 0, va, 3, page(0xb000, 12, S1_LEAF));
		S1Regime s1 = s1(12, 16, TTB, 48);
		S1Regime had = new S1Regime(1, new TableRegime(true, TTB, 16, 12, true), s1.tt1(), 48, false, false, false, true);
		for (int level = 0; level < 3; level++) {
			long saved = mem.read64(used[level]);
			t.put(used[level], saved | 1L << 62);
			WalkResult r = walker.translate(s1, null, va, false, null);
			assertTrue(r.ok());
			assertFalse(r.s1Writable(), "APTable at level " + level);
			assertS1Fault(walker.translate(s1, null, va, true, null), EventType.F_PERMISSION);
			WalkResult h = walker.translate(had, null, va, true, null);
			assertTrue(h.ok() && h.s1Writable(), "HAD ignores APTable");
			t.put(used[level], saved | 1L << 61);
			assertTrue(walker.translate(s1, null, va, true, null).s1Writable(), "APTable[0] is about EL0");
			t.put(used[level], saved);
		}
		// a translation fault below a write-protecting table has priority over the permission fault
		t.put(used[1], mem.read64(used[1]) | 1L << 62);
		t.put(used[3], 0);
		assertS1Fault(walker.translate(s1, null, va, true, null), EventType.F_TRANSLATION);
	}

	@Test
	void accessFlag() {
		long va = 0x6000L;
		t.map(TTB, 12, 0, va, 3, page(0xc000, 12, Pte.S1_AP_RDONLY));
		S1Regime s1 = s1(12, 16, TTB, 48);
		assertS1Fault(walker.translate(s1, null, va, false, null), EventType.F_ACCESS);
		// access flag fault has priority over permission
		assertS1Fault(walker.translate(s1, null, va, true, null), EventType.F_ACCESS);
		S1Regime affd = new S1Regime(1, s1.tt0(), s1.tt1(), 48, false, false, true, true);
		assertEquals(0xc000, walker.translate(affd, null, va, false, null).pa());
		assertS1Fault(walker.translate(affd, null, va, true, null), EventType.F_PERMISSION);
		S1Regime norec = new S1Regime(1, s1.tt0(), s1.tt1(), 48, false, false, false, false);
		assertFault(walker.translate(norec, null, va, false, null), EventType.F_ACCESS, false, Event.CLASS_IN, 0, 0, false);
	}

	@Test
	void addressSizeFaults() {
		S1Regime s1 = s1(12, 16, TTB, 40);
		long va = 0x7000L;
		long[] used = t.map(TTB, 12, 0, va, 3, page(0xff_ffff_f000L, 12, S1_LEAF));
		WalkResult ok = walker.translate(s1, null, va, false, null);
		assertEquals(0xff_ffff_f000L, ok.pa());
		// leaf output beyond 40 bits
		t.put(used[3], page(0x100_0000_0000L, 12, S1_LEAF));
		assertS1Fault(walker.translate(s1, null, va, false, null), EventType.F_ADDR_SIZE);
		// address size beats the access flag
		t.put(used[3], page(0x100_0000_0000L, 12, 0));
		assertS1Fault(walker.translate(s1, null, va, false, null), EventType.F_ADDR_SIZE);
		// a next-level table beyond 40 bits
		t.put(used[1], table(0x8000_0000_0000L, 12));
		Tables.Reads reads = new Tables.Reads();
		assertS1Fault(walker.translate(s1, null, va, false, reads), EventType.F_ADDR_SIZE);
		assertEquals(2, reads.count());
		// TTB beyond 40 bits: no read at all
		reads = new Tables.Reads();
		assertS1Fault(walker.translate(s1(12, 16, 0x100_0000_0000L, 40), null, va, false, reads), EventType.F_ADDR_SIZE);
		assertEquals(0, reads.count());
		S1Regime norec = new S1Regime(1, new TableRegime(true, 0x100_0000_0000L, 16, 12, false), s1.tt1(), 40, false, false, false, false);
		assertFault(walker.translate(norec, null, va, false, null), EventType.F_ADDR_SIZE, false, Event.CLASS_IN, 0, 0, false);
	}

	@Test
	void externalAbortOnDescriptorFetch() {
		SparseMemory small = new SparseMemory(32);
		PageTableWalker w = new PageTableWalker(small);
		Tables st = new Tables(small, 0x100_0000L);
		long va = 0x0000_0001_4020_3000L;
		long[] used = st.map(TTB, 12, 0, va, 3, page(0x8000, 12, S1_LEAF));
		S1Regime norec = new S1Regime(1, new TableRegime(true, TTB, 16, 12, false), null, 40, false, false, false, false);
		// the level-2 table lies beyond the 32-bit bus but within the 40-bit output size
		small.write64(used[1], table(0x2_0000_0000L, 12));
		Tables.Reads reads = new Tables.Reads();
		long fetch = 0x2_0000_0000L + ((va >>> 21) & 511) * 8;
		assertFault(w.translate(norec, null, va, false, reads), EventType.F_WALK_EABT, false, Event.CLASS_TT, 0, fetch, true);
		assertEquals(2, reads.count());
		// TTB itself beyond the bus
		S1Regime far = new S1Regime(1, new TableRegime(true, 0x10_0000_0000L, 16, 12, false), null, 40, false, false, false, true);
		assertFault(w.translate(far, null, va, false, null), EventType.F_WALK_EABT, false, Event.CLASS_TT, 0,
				0x10_0000_0000L + (va >>> 39) * 8, true);
	}

	@Test
	void inputSizeAndConfigurationFaults() {
		t.map(TTB, 12, 1, 0x1000, 3, page(0x8000, 12, S1_LEAF));
		assertEquals(0x8000, walker.translate(s1(12, 25, TTB, 48), null, 0x1000, false, null).pa());
		// beyond the 39-bit input size of TTB0
		assertS1Fault(walker.translate(s1(12, 25, TTB, 48), null, 1L << 39, false, null), EventType.F_TRANSLATION);
		// TxSZ outside [16, 39] (12 only with 64K), bad granules
		for (int tsz : new int[] { 40, 15, 12, 0, -1, 64, 65, Integer.MIN_VALUE, Integer.MAX_VALUE }) {
			assertS1Fault(walker.translate(s1(12, tsz, TTB, 48), null, 0x1000, false, null), EventType.F_TRANSLATION);
			assertS1Fault(walker.translate(s1(14, tsz, TTB, 48), null, 0x1000, false, null), EventType.F_TRANSLATION);
		}
		for (int g : new int[] { 0, 10, 13, 15, 20, -12 }) {
			assertS1Fault(walker.translate(s1(g, 25, TTB, 48), null, 0x1000, false, null), EventType.F_TRANSLATION);
		}
		// null table regimes count as disabled
		assertS1Fault(walker.translate(new S1Regime(1, null, null, 48, false, false, false, true), null, 0x1000, false, null),
				EventType.F_TRANSLATION);
	}

	@Test
	void ttbLowBitsBelowTheTableSizeAreIgnored() {
		long va = 0x0000_8000_0000_1000L;
		t.map(TTB, 12, 0, va, 3, page(0xd000, 12, S1_LEAF));
		assertEquals(0xd000, walker.translate(s1(12, 16, TTB | 0xff0, 48), null, va, false, null).pa());
	}
}
