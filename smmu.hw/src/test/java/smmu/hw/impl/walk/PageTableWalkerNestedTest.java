package smmu.hw.impl.walk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static smmu.hw.impl.walk.PageTableWalkerS1Test.assertFault;
import static smmu.hw.impl.walk.Tables.S1_LEAF;
import static smmu.hw.impl.walk.Tables.S2_RW;
import static smmu.hw.impl.walk.Tables.block;
import static smmu.hw.impl.walk.Tables.page;
import static smmu.hw.impl.walk.Tables.table;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.SparseMemory;
import smmu.hw.arch.Pte;

/** Stage-1 tables living in IPA space, translated by stage 2. */
class PageTableWalkerNestedTest {
	/** Guest memory: IPA x lives at PA x + GUEST_OFFSET (so an untranslated read finds nothing). */
	static final long GUEST_OFFSET = 0x10_0000_0000L;
	static final long S1_TTB = 0x4000_0000L;
	static final long VA = 0x0000_8123_4567_8abcL;
	static final long OUT_IPA = 0x7_0000_0000L;
	static final long OUT_PA = 0x3_2100_0000L;

	final SparseMemory mem = new SparseMemory(40);
	final Tables host = new Tables(mem, 0x100_0000L);
	/** Guest tables 2M apart, so each one's IPA has its own stage-2 level-3 table. */
	final Tables guest = new Tables(mem, 0x4020_0000L, 1L << 21);
	final PageTableWalker walker = new PageTableWalker(mem);
	final long vttb = host.alloc(4096);

	S2Regime s2(boolean record) {
		return new S2Regime(5, 12, 16, 2, 44, vttb, false, record);
	}

	static S1Regime s1(int g, long ttb, boolean record) {
		return new S1Regime(3, new TableRegime(true, ttb, 16, g, false), new TableRegime(false, 0, 16, g, false), 48, false, false,
				false, record);
	}

	/** Maps a 4K IPA page in stage 2 (4K granule, 48-bit IPA, 4 levels); returns the S2 descriptor addresses. */
	long[] s2map(long ipa, long pa, long attrs) {
		return host.map(vttb, 12, 0, ipa, 3, page(pa, 12, attrs));
	}

	long[] s2mapGuest(long ipa) {
		return s2map(ipa & ~0xfffL, (ipa & ~0xfffL) + GUEST_OFFSET, S2_RW);
	}

	/** Builds the S1 4-level walk of VA -> OUT_IPA in guest memory; returns the S1 descriptor IPAs. */
	long[] s1Tables(long leaf) {
		long[] used = guest.map(S1_TTB, 12, 0, VA, 3, leaf, ipa -> ipa + GUEST_OFFSET);
		for (long ipa : used) {
			s2mapGuest(ipa);
		}
		return used;
	}

	@Test
	void nested4x4MissReadsTwentyFourDescriptorsInOrder() {
		long[] s1Used = s1Tables(page(OUT_IPA, 12, S1_LEAF));
		long[] s2Final = s2map(OUT_IPA, OUT_PA, S2_RW);
		Tables.Reads reads = new Tables.Reads();
		// the architecture's walk, every read (translate keeps a stage-2 walk cache: see the next test)
		WalkResult r = walker.translateUncached(s1(12, S1_TTB, true), s2(true), VA, true, reads);
		assertTrue(r.ok(), r::toString);
		assertEquals(OUT_PA | 0xabc, r.pa());
		assertEquals(OUT_IPA | 0xabc, r.ipa());
		assertEquals(4096, r.mappingSize());
		assertEquals(3, r.level());
		assertTrue(r.s1Writable() && r.s2Readable() && r.s2Writable());
		// 4 S1 descriptors, each preceded by the 4-level S2 walk of its IPA, then the S2 walk of the output
		assertEquals(24, reads.count());
		assertEquals("2:0 2:1 2:2 2:3 1:0 2:0 2:1 2:2 2:3 1:1 2:0 2:1 2:2 2:3 1:2 2:0 2:1 2:2 2:3 1:3 2:0 2:1 2:2 2:3",
				reads.shape());
		long[] a = reads.addresses();
		for (int level = 0; level < 4; level++) {
			long[] s2Path = host.map(vttb, 12, 0, s1Used[level] & ~0xfffL, 3, page((s1Used[level] & ~0xfffL) + GUEST_OFFSET, 12, S2_RW));
			assertArrayEquals(s2Path, Arrays.copyOfRange(a, level * 5, level * 5 + 4), "S2 walk for S1 level " + level);
			assertEquals(s1Used[level] + GUEST_OFFSET, a[level * 5 + 4], "S1 level " + level + " read at its PA");
		}
		assertArrayEquals(s2Final, Arrays.copyOfRange(a, 20, 24));
		// the listener sees the S1 leaf as written
		assertEquals(page(OUT_IPA, 12, S1_LEAF), reads.reads.get(19)[3]);
	}

	@Test
	void nested4x4MissWithTheWalkCacheReadsSeventeen() {
		long[] s1Used = s1Tables(page(OUT_IPA, 12, S1_LEAF));
		long[] s2Final = s2map(OUT_IPA, OUT_PA, S2_RW);
		Tables.Reads uncached = new Tables.Reads();
		WalkResult expected = walker.translateUncached(s1(12, S1_TTB, true), s2(true), VA, true, uncached);
		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translate(s1(12, S1_TTB, true), s2(true), VA, true, reads);
		assertEquals(expected, r);
		assertEquals(OUT_PA | 0xabc, r.pa());
		// the S1 tables' IPAs share stage-2 levels 0-1 (one 1G range) but each has its own 2M range: after the
		// first full stage-2 walk each table IPA reads levels 2-3; the output IPA (another 1G range, same 512G)
		// reads levels 1-3
		assertEquals("2:0 2:1 2:2 2:3 1:0 2:2 2:3 1:1 2:2 2:3 1:2 2:2 2:3 1:3 2:1 2:2 2:3", reads.shape());
		assertEquals(17, reads.count());
		long[] a = reads.addresses();
		assertEquals(s1Used[3] + GUEST_OFFSET, a[13]);
		assertArrayEquals(Arrays.copyOfRange(s2Final, 1, 4), Arrays.copyOfRange(a, 14, 17));
		assertSubsequence(uncached, reads);
	}

	@Test
	void tablesInOneStage2PageReadTwelve() {
		// the NestedRig layout of the benchmarks: S1 tables and the output in one 2M IPA range of 4K pages
		Tables packed = new Tables(mem, S1_TTB + 0x1000);
		long outIpa = S1_TTB + 0x10_0000;
		long[] used = packed.map(S1_TTB, 12, 0, VA, 3, page(outIpa, 12, S1_LEAF), ipa -> ipa + GUEST_OFFSET);
		for (long ipa : used) {
			s2mapGuest(ipa);
		}
		s2map(outIpa, OUT_PA, S2_RW);
		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, reads);
		assertEquals(walker.translateUncached(s1(12, S1_TTB, true), s2(true), VA, false, null), r);
		assertEquals(OUT_PA | 0xabc, r.pa());
		// one full stage-2 walk, then only the level-3 descriptor of each further IPA: 4 + 4 + 4 x 1
		assertEquals("2:0 2:1 2:2 2:3 1:0 2:3 1:1 2:3 1:2 2:3 1:3 2:3", reads.shape());
		assertEquals(12, reads.count());
	}

	@Test
	void aStage2BlockServesEveryLookupOfTheWalk() {
		// one 1G stage-2 block holds the S1 tables and the output IPA
		long[] path = host.map(vttb, 12, 0, S1_TTB, 1, block(S1_TTB + GUEST_OFFSET, 12, S2_RW));
		long outIpa = S1_TTB + 0x3000_0000L;
		guest.map(S1_TTB, 12, 0, VA, 3, page(outIpa, 12, S1_LEAF), ipa -> ipa + GUEST_OFFSET);
		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translate(s1(12, S1_TTB, true), s2(true), VA, true, reads);
		assertEquals(walker.translateUncached(s1(12, S1_TTB, true), s2(true), VA, true, null), r);
		assertEquals(outIpa + GUEST_OFFSET | 0xabc, r.pa());
		assertEquals(4096, r.mappingSize());
		assertEquals("2:0 2:1 1:0 1:1 1:2 1:3", reads.shape());
		// the block is re-checked for each use: read-only lets the table reads and a read through, not a write
		mem.write64(path[1], block(S1_TTB + GUEST_OFFSET, 12, Pte.AF | Pte.S2_HAP_READ));
		assertTrue(walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, null).ok());
		WalkResult denied = walker.translate(s1(12, S1_TTB, true), s2(true), VA, true, null);
		assertFault(denied, EventType.F_PERMISSION, true, Event.CLASS_IN, outIpa | 0xabc, 0, true);
		assertEquals(walker.translateUncached(s1(12, S1_TTB, true), s2(true), VA, true, null), denied);
		// no access flag: the first table read faults, at the TTB's descriptor IPA
		mem.write64(path[1], block(S1_TTB + GUEST_OFFSET, 12, Pte.S2_HAP_READ | Pte.S2_HAP_WRITE));
		WalkResult af = walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, null);
		assertFault(af, EventType.F_ACCESS, true, Event.CLASS_TT, S1_TTB + 0x810, 0, true);
		assertEquals(walker.translateUncached(s1(12, S1_TTB, true), s2(true), VA, false, null), af);
	}

	@Test
	void theWalkCacheLivesForOneWalk() {
		s1Tables(page(OUT_IPA, 12, S1_LEAF));
		long[] s2Final = s2map(OUT_IPA, OUT_PA, S2_RW);
		assertEquals(OUT_PA | 0xabc, walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, null).pa());
		// point the S1 tables' stage-2 level-1 entry (read, and kept, by the first walk) at a new level-2
		// table that maps the same guest pages to other PAs holding a different S1 leaf
		long[] ttbPath = s2mapGuest(S1_TTB);
		long l2 = host.alloc(4096);
		long oldL2 = Pte.outputAddress(mem.read64(ttbPath[1]), 12);
		long moved = 0x20_0000_0000L;
		for (int i = 0; i < 512; i++) {
			long d = mem.read64(oldL2 + 8L * i);
			if ((d & 3) != 3) {
				continue;
			}
			long l3 = host.alloc(4096), oldL3 = Pte.outputAddress(d, 12);
			for (int j = 0; j < 512; j++) {
				long p = mem.read64(oldL3 + 8L * j);
				if ((p & 1) != 0) {
					long pa = Pte.outputAddress(p, 12);
					for (int k = 0; k < 4096; k += 8) {
						mem.write64(pa + moved + k, mem.read64(pa + k));
					}
					mem.write64(l3 + 8L * j, page(pa + moved, 12, S2_RW));
				}
			}
			mem.write64(l2 + 8L * i, table(l3, 12));
		}
		long[] s1Used = guest.map(S1_TTB, 12, 0, VA, 3, 0, ipa -> ipa + GUEST_OFFSET);
		mem.write64(s1Used[3] + GUEST_OFFSET + moved, page(OUT_IPA + 0x1000, 12, S1_LEAF));
		s2map(OUT_IPA + 0x1000, OUT_PA + 0x5000, S2_RW);
		mem.write64(ttbPath[1], table(l2, 12));
		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, reads);
		assertEquals(OUT_PA + 0x5000 | 0xabc, r.pa(), "the second walk reads the new stage-2 table");
		assertEquals(l2 + 8 * ((S1_TTB >>> 21) & 511), reads.addresses()[2]);
		assertEquals(s2Final[3] + 8, reads.addresses()[reads.count() - 1]);
	}

	/** Every read of {@code cached} appears in {@code all}, in the same order. */
	static void assertSubsequence(Tables.Reads all, Tables.Reads cached) {
		int j = 0;
		for (long[] c : cached.reads) {
			while (j < all.reads.size() && !Arrays.equals(all.reads.get(j), c)) {
				j++;
			}
			assertTrue(j < all.reads.size(), () -> "cached read " + Arrays.toString(c) + " not in the uncached walk's order");
			j++;
		}
	}

	@ParameterizedTest(name = "S1 granule {0} over S2 granule {1}: {2} reads")
	@CsvSource({ "12,12,24", "12,14,19", "12,16,19", "14,12,24", "14,14,19", "14,16,19", "16,12,19", "16,14,15", "16,16,15" })
	void everyGranuleCombination(int g1, int g2, int expectedReads) {
		// 48-bit S1 VA and S2 IPA; S2 with SL0 = 2: 4K from level 0, 16K from level 1 (2 concatenated), 64K from level 1
		int start1 = g1 == 16 ? 1 : 0;
		int start2 = g2 == 12 ? 0 : 1;
		long root2 = host.alloc(g2 == 14 ? 32768 : 4096);
		S2Regime s2 = new S2Regime(5, g2, 16, 2, 44, root2, false, true);
		Tables gt = new Tables(mem, 0x4800_0000L);
		long ttb = gt.alloc(1L << g1);
		long va = 0x0000_f123_4567_89abL;
		long[] used = gt.map(ttb, g1, start1, va, 3, page(OUT_IPA, g1, S1_LEAF), x -> x + GUEST_OFFSET);
		long pageMask2 = (1L << g2) - 1;
		for (long ipa : used) {
			host.map(root2, g2, start2, ipa & ~pageMask2, 3, page((ipa & ~pageMask2) + GUEST_OFFSET, g2, S2_RW));
		}
		long outIpa = OUT_IPA | (va & ((1L << g1) - 1));
		host.map(root2, g2, start2, outIpa & ~pageMask2, 3, page(OUT_PA, g2, S2_RW));
		S1Regime s1 = new S1Regime(3, new TableRegime(true, ttb, 16, g1, false), null, 48, false, false, false, true);
		Tables.Reads reads = new Tables.Reads();
		WalkResult r = walker.translateUncached(s1, s2, va, true, reads);
		Tables.Reads cached = new Tables.Reads();
		assertEquals(r, walker.translate(s1, s2, va, true, cached));
		assertSubsequence(reads, cached);
		assertTrue(cached.count() < expectedReads, cached::shape);
		assertTrue(r.ok(), r::toString);
		assertEquals(OUT_PA | (outIpa & pageMask2), r.pa());
		assertEquals(outIpa, r.ipa());
		assertEquals(1L << Math.min(g1, g2), r.mappingSize());
		assertEquals(3, r.level());
		assertEquals(expectedReads, reads.count());
		for (int i = 0; i < used.length; i++) {
			int at = (i + 1) * (4 - start2 + 1) - 1;
			assertEquals(1, reads.reads.get(at)[0]);
			assertEquals(start1 + i, reads.reads.get(at)[1]);
			assertEquals(used[i] + GUEST_OFFSET, reads.reads.get(at)[2]);
		}
	}

	@Test
	void stage2FaultsOnStage1TablesHaveClassTT() {
		long[] s1Used = s1Tables(page(OUT_IPA, 12, S1_LEAF));
		s2map(OUT_IPA, OUT_PA, S2_RW);
		for (int level = 0; level < 4; level++) {
			long[] s2Path = s2mapGuest(s1Used[level]);
			long saved = mem.read64(s2Path[3]);
			// unmapped
			mem.write64(s2Path[3], 0);
			Tables.Reads reads = new Tables.Reads();
			assertFault(walker.translateUncached(s1(12, S1_TTB, false), s2(true), VA, false, reads), EventType.F_TRANSLATION, true,
					Event.CLASS_TT, s1Used[level], 0, true);
			assertEquals(level * 5 + 4, reads.count());
			assertFault(walker.translate(s1(12, S1_TTB, false), s2(true), VA, false, null), EventType.F_TRANSLATION, true,
					Event.CLASS_TT, s1Used[level], 0, true);
			assertFault(walker.translate(s1(12, S1_TTB, true), s2(false), VA, false, null), EventType.F_TRANSLATION, true,
					Event.CLASS_TT, s1Used[level], 0, false);
			// not readable: table walks are reads, whatever the access
			mem.write64(s2Path[3], (saved & ~Pte.S2_HAP_READ));
			assertFault(walker.translate(s1(12, S1_TTB, true), s2(true), VA, true, null), EventType.F_PERMISSION, true,
					Event.CLASS_TT, s1Used[level], 0, true);
			// read-only is enough
			mem.write64(s2Path[3], (saved & ~Pte.S2_HAP_WRITE));
			assertTrue(walker.translate(s1(12, S1_TTB, true), s2(true), VA, true, null).ok());
			mem.write64(s2Path[3], (saved & ~Pte.AF));
			assertFault(walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, null), EventType.F_ACCESS, true, Event.CLASS_TT,
					s1Used[level], 0, true);
			// a table IPA whose stage-2 output is beyond the 44-bit PA size
			mem.write64(s2Path[3], page(0x1000_0000_0000L, 12, S2_RW));
			assertFault(walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, null), EventType.F_ADDR_SIZE, true,
					Event.CLASS_TT, s1Used[level], 0, true);
			// an S2 table beyond the 40-bit bus (within the 44-bit PA size): external abort on the S2 walk
			long s2Table = mem.read64(s2Path[2]);
			mem.write64(s2Path[2], table(0x800_0000_0000L, 12));
			long fetch = 0x800_0000_0000L + ((s1Used[level] >>> 12) & 511) * 8;
			assertFault(walker.translate(s1(12, S1_TTB, false), s2(false), VA, false, null), EventType.F_WALK_EABT, true,
					Event.CLASS_TT, s1Used[level], fetch, true);
			mem.write64(s2Path[2], s2Table);
			// an S1 table mapped to a PA beyond the bus: external abort on the S1 fetch
			mem.write64(s2Path[3], page(0x900_0000_0000L, 12, S2_RW));
			assertFault(walker.translate(s1(12, S1_TTB, false), s2(false), VA, false, null), EventType.F_WALK_EABT, false,
					Event.CLASS_TT, 0, 0x900_0000_0000L + (s1Used[level] & 0xfff), true);
			mem.write64(s2Path[3], saved);
		}
		assertTrue(walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, null).ok());
		// the TTB IPA beyond the S2 input size
		S2Regime narrow = new S2Regime(5, 12, 64 - 30, 0, 44, vttb, false, true);
		assertFault(walker.translate(s1(12, S1_TTB, true), narrow, VA, false, null), EventType.F_TRANSLATION, true, Event.CLASS_TT,
				S1_TTB + 0x810, 0, true);
	}

	@Test
	void stage2FaultsOnTheOutputHaveClassIN() {
		s1Tables(page(OUT_IPA, 12, S1_LEAF));
		long ipa = OUT_IPA | 0xabc;
		assertFault(walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, null), EventType.F_TRANSLATION, true, Event.CLASS_IN,
				ipa, 0, true);
		assertFault(walker.translate(s1(12, S1_TTB, true), s2(false), VA, false, null), EventType.F_TRANSLATION, true, Event.CLASS_IN,
				ipa, 0, false);
		long[] path = s2map(OUT_IPA, OUT_PA, Pte.AF | Pte.S2_HAP_READ);
		WalkResult r = walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, null);
		assertTrue(r.ok() && r.s1Writable() && r.s2Readable() && !r.s2Writable());
		assertFault(walker.translate(s1(12, S1_TTB, true), s2(true), VA, true, null), EventType.F_PERMISSION, true, Event.CLASS_IN,
				ipa, 0, true);
		mem.write64(path[3], page(OUT_PA, 12, Pte.S2_HAP_READ));
		assertFault(walker.translate(s1(12, S1_TTB, true), s2(true), VA, true, null), EventType.F_ACCESS, true, Event.CLASS_IN, ipa,
				0, true);
		mem.write64(path[3], page(0x1000_0000_0000L, 12, S2_RW));
		assertFault(walker.translate(s1(12, S1_TTB, true), s2(true), VA, true, null), EventType.F_ADDR_SIZE, true, Event.CLASS_IN,
				ipa, 0, true);
		// output IPA beyond the S2 input size (40 bits) but within the S1 output size (48 bits)
		S2Regime ipa40 = new S2Regime(5, 12, 24, 2, 44, vttb, false, true);
		guest.map(S1_TTB, 12, 0, VA, 3, page(0x100_0000_0000L, 12, S1_LEAF), x -> x + GUEST_OFFSET);
		assertFault(walker.translate(s1(12, S1_TTB, true), ipa40, VA, false, null), EventType.F_TRANSLATION, true, Event.CLASS_IN,
				0x100_0000_0abcL, 0, true);
		// S1 output beyond the S1 output size: stage-1 address size fault, before stage 2
		S1Regime oas40 = new S1Regime(3, s1(12, S1_TTB, true).tt0(), null, 40, false, false, false, true);
		assertFault(walker.translate(oas40, s2(true), VA, false, null), EventType.F_ADDR_SIZE, false, Event.CLASS_IN, 0, 0, true);
	}

	@Test
	void stage1FaultsInANestedWalkAreStage1() {
		long[] s1Used = s1Tables(page(OUT_IPA, 12, Pte.S1_AP_RDONLY));
		s2map(OUT_IPA, OUT_PA, S2_RW);
		assertFault(walker.translate(s1(12, S1_TTB, true), s2(false), VA, false, null), EventType.F_ACCESS, false, Event.CLASS_IN, 0,
				0, true);
		mem.write64(s1Used[3] + GUEST_OFFSET, page(OUT_IPA, 12, S1_LEAF | Pte.S1_AP_RDONLY));
		WalkResult r = walker.translate(s1(12, S1_TTB, true), s2(false), VA, false, null);
		assertTrue(r.ok());
		assertFalse(r.s1Writable());
		assertTrue(r.s2Writable());
		Tables.Reads reads = new Tables.Reads();
		assertFault(walker.translateUncached(s1(12, S1_TTB, false), s2(true), VA, true, reads), EventType.F_PERMISSION, false,
				Event.CLASS_IN, 0, 0, false);
		// the S1 permission fault comes before the output's S2 walk
		assertEquals(20, reads.count());
		assertFault(walker.translate(s1(12, S1_TTB, false), s2(true), VA, true, null), EventType.F_PERMISSION, false, Event.CLASS_IN,
				0, 0, false);
		mem.write64(s1Used[2] + GUEST_OFFSET, 0);
		assertFault(walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, null), EventType.F_TRANSLATION, false, Event.CLASS_IN,
				0, 0, true);
	}

	@Test
	void mappingSizeIsTheSmallerLeaf() {
		// S1 2M block over S2 4K pages
		for (long ipa : guest.map(S1_TTB, 12, 0, VA, 2, block(0x6_0000_0000L, 12, S1_LEAF), x -> x + GUEST_OFFSET)) {
			s2mapGuest(ipa);
		}
		long outIpa = 0x6_0000_0000L | (VA & 0x1f_ffffL);
		s2map(outIpa, 0x5_5555_5000L, S2_RW);
		WalkResult r = walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, null);
		assertEquals(0x5_5555_5abcL, r.pa());
		assertEquals(outIpa, r.ipa());
		assertEquals(4096, r.mappingSize());
		assertEquals(3, r.level());

		// S1 1G block over a S2 2M block
		guest.map(S1_TTB, 12, 0, VA, 1, block(0x6_0000_0000L, 12, S1_LEAF), x -> x + GUEST_OFFSET);
		long outIpa1g = 0x6_0000_0000L | (VA & 0x3fff_ffffL);
		long[] path = host.map(vttb, 12, 0, outIpa1g, 2, block(0x8_0000_0000L, 12, S2_RW));
		Tables.Reads reads = new Tables.Reads();
		r = walker.translateUncached(s1(12, S1_TTB, true), s2(true), VA, false, reads);
		assertEquals(r, walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, null));
		assertEquals(0x8_0000_0000L | (VA & 0x1f_ffffL), r.pa());
		assertEquals(outIpa1g, r.ipa());
		assertEquals(1L << 21, r.mappingSize());
		assertEquals(2, r.level());
		assertEquals("2:0 2:1 2:2 2:3 1:0 2:0 2:1 2:2 2:3 1:1 2:0 2:1 2:2", reads.shape());
		assertEquals(path[2], reads.addresses()[12]);

		// S1 1G block over a S2 1G block: the S1 level
		mem.write64(path[1], block(0x40_0000_0000L, 12, S2_RW));
		r = walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, null);
		assertEquals(0x40_0000_0000L | (VA & 0x3fff_ffffL), r.pa());
		assertEquals(1L << 30, r.mappingSize());
		assertEquals(1, r.level());
	}

	@Test
	void stage1PageOverALargerStage2Block() {
		s1Tables(page(OUT_IPA, 12, S1_LEAF));
		host.map(vttb, 12, 0, OUT_IPA, 1, block(0x80_0000_0000L, 12, S2_RW));
		WalkResult r = walker.translate(s1(12, S1_TTB, true), s2(true), VA, false, null);
		assertEquals(0x80_0000_0abcL, r.pa());
		assertEquals(4096, r.mappingSize());
		assertEquals(3, r.level());
	}

	@Test
	void sixtyFourKStage1TablesSpanSeveral4kStage2Pages() {
		// S1 64K granule, 48-bit VA (levels 1-3); each 64K S1 table occupies 16 IPA pages that stage 2
		// maps to scattered (reversed) 4K PAs, so each descriptor's own IPA must be translated.
		Tables g64 = new Tables(mem, 0x5000_0000L);
		long ttb = 0x4800_0000L;
		long va = 0x0000_ffff_ffff_1234L;
		long[] used = new long[3];
		long[] pas = new long[3];
		long tableIpa = ttb;
		for (int level = 1; level <= 3; level++) {
			int shift = Tables.shift(16, level);
			long index = (va >>> shift) & (level == 1 ? 63 : 8191);
			used[level - 1] = tableIpa + index * 8;
			long next = level == 3 ? 0 : g64.alloc(65536);
			long desc = level == 3 ? page(0x5_0000_0000L, 16, S1_LEAF) : table(next, 16);
			// the 4K IPA page of the descriptor maps to a PA "reversed" within a 64K window
			long pageIpa = used[level - 1] & ~0xfffL;
			long pagePa = GUEST_OFFSET + (tableIpa & ~0xffffL) + (0xf000 - (pageIpa & 0xf000));
			s2map(pageIpa, pagePa, S2_RW);
			pas[level - 1] = pagePa + (used[level - 1] & 0xfff);
			mem.write64(pas[level - 1], desc);
			tableIpa = next;
		}
		s2map(0x5_0000_1000L, 0x2_0000_0000L, S2_RW);
		Tables.Reads reads = new Tables.Reads();
		S1Regime s1 = new S1Regime(3, new TableRegime(true, ttb, 16, 16, false), null, 48, false, false, false, true);
		WalkResult r = walker.translateUncached(s1, s2(true), va, false, reads);
		assertEquals(r, walker.translate(s1, s2(true), va, false, null));
		assertTrue(r.ok(), r::toString);
		assertEquals(0x2_0000_0234L, r.pa());
		assertEquals(0x5_0000_1234L, r.ipa());
		assertEquals(4096, r.mappingSize());
		assertEquals(3, r.level());
		assertEquals("2:0 2:1 2:2 2:3 1:1 2:0 2:1 2:2 2:3 1:2 2:0 2:1 2:2 2:3 1:3 2:0 2:1 2:2 2:3", reads.shape());
		long[] a = reads.addresses();
		assertEquals(pas[0], a[4]);
		assertEquals(pas[1], a[9]);
		assertEquals(pas[2], a[14]);
	}

	@Test
	void invalidStage2ConfigFaultsTheFirstTableFetch() {
		s1Tables(page(OUT_IPA, 12, S1_LEAF));
		S2Regime bad = new S2Regime(5, 12, 16, 3, 44, vttb, false, true);
		Tables.Reads reads = new Tables.Reads();
		assertFault(walker.translate(s1(12, S1_TTB, true), bad, VA, false, reads), EventType.F_TRANSLATION, true, Event.CLASS_TT,
				S1_TTB + 0x810, 0, true);
		assertEquals(0, reads.count());
	}
}
