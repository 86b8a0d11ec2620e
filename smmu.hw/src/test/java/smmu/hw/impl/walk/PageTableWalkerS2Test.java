package smmu.hw.impl.walk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static smmu.hw.impl.walk.PageTableWalkerS1Test.assertFault;
import static smmu.hw.impl.walk.Tables.S2_RW;
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

class PageTableWalkerS2Test {
	static final long VTTB = 0x10_0000L;

	final SparseMemory mem = new SparseMemory(48);
	final Tables t = new Tables(mem, 0x100_0000L);
	final PageTableWalker walker = new PageTableWalker(mem);

	static S2Regime s2(int g, int ias, int sl0, int ps, long vttb) {
		return new S2Regime(7, g, 64 - ias, sl0, ps, vttb, false, true);
	}

	static void assertS2Fault(WalkResult r, EventType type, long ipa) {
		assertFault(r, type, true, Event.CLASS_IN, ipa, 0, true);
	}

	@ParameterizedTest(name = "granule {0}, SL0 {1}, {2}-bit IPA -> start level {3}, {4} concatenated")
	@CsvSource({ "12,0,25,2,1", "12,0,30,2,1", "12,0,31,2,2", "12,0,34,2,16", //
			"12,1,31,1,1", "12,1,39,1,1", "12,1,40,1,2", "12,1,42,1,8", "12,1,43,1,16", //
			"12,2,40,0,1", "12,2,48,0,1", //
			"14,0,25,3,1", "14,0,29,3,16", "14,1,26,2,1", "14,1,36,2,1", "14,1,40,2,16", //
			"14,2,37,1,1", "14,2,47,1,1", "14,2,48,1,2", //
			"16,0,25,3,1", "16,0,29,3,1", "16,0,33,3,16", "16,1,30,2,1", "16,1,42,2,1", "16,1,46,2,16", //
			"16,2,43,1,1", "16,2,48,1,1", "16,2,52,1,1" })
	void everyGranuleStartLevelAndConcatenation(int g, int sl0, int ias, int start, int tables) {
		int ps = ias > 48 ? 52 : 48;
		long entryBytes = 8L << (ias - Tables.shift(g, start));
		assertEquals(tables, Math.max(1, entryBytes >> g), "test parameters");
		long vttb = t.alloc(Math.max(entryBytes, 64));
		// the top IPA of the space: its start index selects the last concatenated table
		long ipa = ((1L << ias) - 1) & ~0x3L;
		long oa = (ps == 52 ? 0x000e_1234_5670_0000L : 0x0000_8765_4320_0000L) & -(1L << g);
		long[] used = t.map(vttb, g, start, ipa, 3, page(oa, g, S2_RW));
		assertEquals(vttb + entryBytes - 8, used[0]);
		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translate(null, s2(g, ias, sl0, ps, vttb), ipa, true, reads);
		assertTrue(r.ok(), r::toString);
		assertEquals(oa | (ipa & ((1L << g) - 1)), r.pa());
		assertEquals(ipa, r.ipa());
		assertEquals(1L << g, r.mappingSize());
		assertEquals(3, r.level());
		assertTrue(r.s1Writable() && r.s2Readable() && r.s2Writable());
		assertArrayEquals(used, reads.addresses());
		assertEquals(start, reads.reads.get(0)[1]);
		assertEquals(2, reads.reads.get(0)[0]);
		// an IPA just beyond the input size
		assertS2Fault(walker.translate(null, s2(g, ias, sl0, ps, vttb), 1L << ias, false, null), EventType.F_TRANSLATION, 1L << ias);
	}

	@ParameterizedTest(name = "granule {0}, SL0 {1}, {2}-bit IPA is inconsistent")
	@CsvSource({ "12,0,35", "12,1,30", "12,1,44", "12,2,39", "12,3,40", "12,3,48", "14,0,30", "14,1,25", "14,1,41", "14,2,36",
			"14,3,48", "16,0,34", "16,1,29", "16,1,47", "16,2,42", "16,3,52", "12,2,49", "16,2,53", "12,0,24", "12,-1,40",
			"13,1,40", "0,0,32" })
	void inconsistentStartLevelIsATranslationFault(int g, int sl0, int ias) {
		// a page that a mistaken walk could reach
		mem.write64(VTTB, table(VTTB, g == 16 || g == 14 ? g : 12) | Pte.AF);
		Tables.Reads reads = new Tables.Reads();
		assertS2Fault(walker.translate(null, s2(g, ias, sl0, 48, VTTB), 0, false, reads), EventType.F_TRANSLATION, 0);
		assertEquals(0, reads.count());
		S2Regime norec = new S2Regime(7, g, 64 - ias, sl0, 48, VTTB, false, false);
		assertFault(walker.translateS2(norec, 0x1000, false, Event.CLASS_CD, null), EventType.F_TRANSLATION, true, Event.CLASS_CD,
				0x1000, 0, false);
	}

	@Test
	void concatenatedLiteral4kSl0of1With40Bits() {
		// 40-bit IPA from level 1: 10 index bits = 2 concatenated 4K tables, VTTB 8K aligned
		long ipa = 0x80_4020_1234L;
		long l2 = 0x40_0000L, l3 = 0x50_0000L;
		t.put(VTTB + 0x1008, l2 | 3);
		t.put(l2 + 0x8, l3 | 3);
		t.put(l3 + 0x8, 0x3_0000_1000L | S2_RW | 3);
		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translate(null, s2(12, 40, 1, 48, VTTB), ipa, false, reads);
		assertTrue(r.ok(), r::toString);
		assertEquals(0x3_0000_1234L, r.pa());
		assertArrayEquals(new long[] { VTTB + 0x1008, l2 + 0x8, l3 + 0x8 }, reads.addresses());
		assertEquals("2:1 2:2 2:3", reads.shape());
	}

	@Test
	void concatenatedLiteralSixteenTables() {
		// 34-bit IPA from level 2 with 4K: 13 index bits = 16 concatenated tables (64K)
		long ipa = 0x3_ffe0_1234L;
		long l3 = 0x50_0000L;
		t.put(VTTB + 0xfff8, l3 | 3);
		t.put(l3 + 0x8, page(0x7_7700_1000L, 12, S2_RW));
		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translate(null, s2(12, 34, 0, 48, VTTB), ipa, false, reads);
		assertEquals(0x7_7700_1234L, r.pa());
		assertArrayEquals(new long[] { VTTB + 0xfff8, l3 + 0x8 }, reads.addresses());
		// a 2M block at the (concatenated) start level
		t.put(VTTB + 0x10, 0x2_0000_0000L | S2_RW | 1);
		WalkResult b = walker.translate(null, s2(12, 34, 0, 48, VTTB), 0x40_5678L, false, null);
		assertEquals(0x2_0000_5678L, b.pa());
		assertEquals(2, b.level());
		assertEquals(1L << 21, b.mappingSize());
	}

	@ParameterizedTest(name = "granule {0}: block at level {1} of {2} bytes")
	@CsvSource({ "12,1,1073741824,48", "12,2,2097152,48", "14,2,33554432,48", "16,2,536870912,48", "16,1,4398046511104,52" })
	void blocks(int g, int level, long size, int ps) {
		int sl0 = 2;
		int start = g == 12 ? 0 : 1;
		int ias = ps;
		long startBytes = Math.max(8L << (ias - Tables.shift(g, start)), 64);
		long vttb = t.alloc(startBytes);
		long ipa = 0x0000_9abc_def0_1234L & ((1L << ias) - 1) | 1L << (ias - 1);
		long oa = (ps == 52 ? 0x000c_0000_0000_0000L : 0x0000_4000_0000_0000L) + 3 * size;
		t.map(vttb, g, start, ipa, level, block(oa, g, S2_RW));
		WalkResult r = walker.translate(null, s2(g, ias, sl0, ps, vttb), ipa, false, null);
		assertTrue(r.ok(), r::toString);
		assertEquals(oa | (ipa & (size - 1)), r.pa());
		assertEquals(size, r.mappingSize());
		assertEquals(level, r.level());
		if (ps == 52) {
			// no 4T blocks without 52-bit output
			assertS2Fault(walker.translate(null, s2(g, 48, sl0, 48, vttb), ipa & ((1L << 48) - 1), false, null),
					EventType.F_TRANSLATION, ipa & ((1L << 48) - 1));
		}
	}

	@Test
	void forbiddenBlocksAndLevel3Type01() {
		// 4K level 0
		t.put(VTTB, block(0x1000_0000_0000L, 12, S2_RW));
		assertS2Fault(walker.translate(null, s2(12, 48, 2, 48, VTTB), 0x1000, false, null), EventType.F_TRANSLATION, 0x1000);
		// 16K level 1 (start level with SL0 = 2)
		t.put(VTTB, block(0x10_0000_0000L, 14, S2_RW));
		assertS2Fault(walker.translate(null, s2(14, 47, 2, 48, VTTB), 0x1000, false, null), EventType.F_TRANSLATION, 0x1000);
		// 64K level 1 with a 48-bit output
		t.put(VTTB, block(0x400_0000_0000L, 16, S2_RW));
		assertS2Fault(walker.translate(null, s2(16, 48, 2, 48, VTTB), 0x1000, false, null), EventType.F_TRANSLATION, 0x1000);
		// level 3 type 01
		long vttb = t.alloc(4096);
		long[] used = t.map(vttb, 12, 1, 0x1000, 3, page(0x9000, 12, S2_RW));
		t.put(used[2], (page(0x9000, 12, S2_RW) & ~3L) | 1);
		assertS2Fault(walker.translate(null, s2(12, 39, 1, 48, vttb), 0x1000, false, null), EventType.F_TRANSLATION, 0x1000);
	}

	@Test
	void permissions() {
		long vttb = t.alloc(4096);
		S2Regime s2 = s2(12, 39, 1, 48, vttb);
		long ro = 0x1000, wo = 0x2000, none = 0x3000;
		t.map(vttb, 12, 1, ro, 3, page(0xa000, 12, Pte.AF | Pte.S2_HAP_READ));
		t.map(vttb, 12, 1, wo, 3, page(0xb000, 12, Pte.AF | Pte.S2_HAP_WRITE));
		t.map(vttb, 12, 1, none, 3, page(0xc000, 12, Pte.AF));
		WalkResult r = walker.translate(null, s2, ro, false, null);
		assertTrue(r.ok() && r.s2Readable() && !r.s2Writable() && r.s1Writable());
		assertS2Fault(walker.translate(null, s2, ro, true, null), EventType.F_PERMISSION, ro);
		WalkResult w = walker.translate(null, s2, wo, true, null);
		assertTrue(w.ok() && !w.s2Readable() && w.s2Writable());
		assertS2Fault(walker.translate(null, s2, wo + 8, false, null), EventType.F_PERMISSION, wo + 8);
		assertS2Fault(walker.translate(null, s2, none, false, null), EventType.F_PERMISSION, none);
		assertS2Fault(walker.translate(null, s2, none, true, null), EventType.F_PERMISSION, none);
		S2Regime norec = new S2Regime(7, 12, 25, 1, 48, vttb, false, false);
		assertFault(walker.translate(null, norec, ro, true, null), EventType.F_PERMISSION, true, Event.CLASS_IN, ro, 0, false);
	}

	@Test
	void accessFlag() {
		long vttb = t.alloc(4096);
		long ipa = 0x4000;
		t.map(vttb, 12, 1, ipa, 3, page(0xd000, 12, Pte.S2_HAP_READ));
		assertS2Fault(walker.translate(null, s2(12, 39, 1, 48, vttb), ipa, false, null), EventType.F_ACCESS, ipa);
		// access beats permission
		assertS2Fault(walker.translate(null, s2(12, 39, 1, 48, vttb), ipa, true, null), EventType.F_ACCESS, ipa);
		S2Regime affd = new S2Regime(7, 12, 25, 1, 48, vttb, true, true);
		assertEquals(0xd000, walker.translate(null, affd, ipa, false, null).pa());
		assertS2Fault(walker.translate(null, affd, ipa, true, null), EventType.F_PERMISSION, ipa);
	}

	@Test
	void addressSizeFaults() {
		long vttb = t.alloc(4096);
		long ipa = 0x40_0000_5000L;
		long[] used = t.map(vttb, 12, 0, ipa, 3, page(0xff_0000_0000L, 12, S2_RW));
		assertEquals(0xff_0000_0000L, walker.translate(null, s2(12, 40, 2, 40, vttb), ipa, false, null).pa());
		t.put(used[3], page(0x100_0000_0000L, 12, S2_RW));
		assertS2Fault(walker.translate(null, s2(12, 40, 2, 40, vttb), ipa, false, null), EventType.F_ADDR_SIZE, ipa);
		assertEquals(0x100_0000_0000L, walker.translate(null, s2(12, 40, 2, 44, vttb), ipa, false, null).pa());
		t.put(used[2], table(0x200_0000_0000L, 12));
		Tables.Reads reads = new Tables.Reads();
		assertS2Fault(walker.translate(null, s2(12, 40, 2, 40, vttb), ipa, false, reads), EventType.F_ADDR_SIZE, ipa);
		assertEquals(3, reads.count());
		reads = new Tables.Reads();
		assertS2Fault(walker.translate(null, s2(12, 40, 2, 40, 0x100_0000_0000L), ipa, false, reads), EventType.F_ADDR_SIZE, ipa);
		assertEquals(0, reads.count());
	}

	@Test
	void externalAbortAndCdClass() {
		SparseMemory small = new SparseMemory(32);
		PageTableWalker w = new PageTableWalker(small);
		Tables st = new Tables(small, 0x100_0000L);
		long vttb = st.alloc(4096);
		long ipa = 0x1_2345_6000L;
		long[] used = st.map(vttb, 12, 1, ipa, 3, page(0x9000, 12, S2_RW));
		S2Regime norec = new S2Regime(7, 12, 25, 1, 40, vttb, false, false);
		WalkResult ok = w.translateS2(norec, ipa + 0x10, false, Event.CLASS_CD, null);
		assertEquals(0x9010, ok.pa());
		assertEquals(ipa + 0x10, ok.ipa());
		assertEquals(4096, ok.mappingSize());
		small.write64(used[1], table(0x80_0000_0000L, 12));
		long fetch = 0x80_0000_0000L + ((ipa >>> 12) & 511) * 8;
		assertFault(w.translateS2(norec, ipa, false, Event.CLASS_CD, null), EventType.F_WALK_EABT, true, Event.CLASS_CD, ipa, fetch,
				true);
		assertFault(w.translate(null, norec, ipa, true, null), EventType.F_WALK_EABT, true, Event.CLASS_IN, ipa, fetch, true);
		small.write64(used[1], 0);
		assertFault(w.translateS2(norec, ipa, false, Event.CLASS_CD, null), EventType.F_TRANSLATION, true, Event.CLASS_CD, ipa, 0,
				false);
		S2Regime rec = new S2Regime(7, 12, 25, 1, 40, vttb, false, true);
		assertFault(w.translateS2(rec, ipa, false, Event.CLASS_TT, null), EventType.F_TRANSLATION, true, Event.CLASS_TT, ipa, 0, true);
	}

	@Test
	void bothStagesOffIsACallerError() {
		assertThrows(IllegalArgumentException.class, () -> walker.translate(null, null, 0, false, null));
		assertThrows(IllegalArgumentException.class, () -> walker.translateS2(null, 0, false, Event.CLASS_CD, null));
		assertThrows(IllegalArgumentException.class, () -> new PageTableWalker(null));
		assertFalse(walker.translate(null, s2(12, 40, 2, 48, VTTB), 0, false, null).ok());
	}
}
