package smmu.hw.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import smmu.hw.FrameAllocator;
import smmu.hw.SparseMemory;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Ste;
import smmu.hw.driver.EntryWriter.Kind;
import smmu.hw.driver.EntryWriter.Mode;

/** The hitless-update expectations of Linux's arm-smmu-v3 KUnit tests, over an in-memory entry. */
class EntryWriterTest {
	static final long CDTAB = 0xdead_b000L, CDTAB2 = 0xbeef_0000L;

	/** STALLS | ATTR_TYPES_OVR, as the KUnit fixture. */
	static final Features F = BuildersTest.features(true);
	static final IoPageTable S2;

	static {
		SparseMemory mem = new SparseMemory(48);
		S2 = IoPageTable.allocate(IoPageTable.Config.s2(4096, 48, 48), new FrameAllocator(mem, 1L << 32, 1L << 33));
	}

	/** Records every sync: count, whether V was 0, and whether the entry equals the initial or target one in its used bits. */
	static final class Recorder implements EntryWriter.Entry {
		final Kind kind;
		final long[] entry, init, target;
		int syncs;
		boolean invalidSeen;
		String mismatch;

		Recorder(Kind kind, long[] init, long[] target) {
			this.kind = kind;
			this.entry = init.clone();
			this.init = init.clone();
			this.target = target.clone();
		}

		@Override
		public long get(int q) {
			return entry[q];
		}

		@Override
		public void set(int q, long v) {
			entry[q] = v;
		}

		@Override
		public void sync() {
			syncs++;
			if ((entry[0] & 1L << (kind == Kind.STE ? 0 : 31)) == 0) {
				invalidSeen = true;
				return;
			}
			long[] used = new long[8], safe = new long[8];
			EntryWriter.used(kind, entry, used);
			if (kind == Kind.STE) {
				EntryWriter.steUpdateSafe(init, target, safe);
			}
			if (!matches(entry, init, used, safe) && !matches(entry, target, used, safe)) {
				mismatch = "sync " + syncs + " matches neither entry";
			}
		}

		static boolean matches(long[] e, long[] ref, long[] used, long[] safe) {
			for (int i = 0; i < 8; i++) {
				long m = used[i] & ~safe[i];
				if ((e[i] & m) != (ref[i] & m)) {
					return false;
				}
			}
			return true;
		}
	}

	static Recorder run(Kind kind, long[] from, long[] to, Mode mode, int syncs, boolean invalidSeen) {
		Recorder r = new Recorder(kind, from, to);
		EntryWriter.Outcome o = EntryWriter.write(kind, r, to);
		assertArrayEquals(to, r.entry, "the entry ends as the target");
		assertEquals(mode, o.mode());
		assertEquals(syncs, o.syncs());
		assertEquals(syncs, r.syncs);
		assertEquals(invalidSeen, r.invalidSeen, "V = 0 at a sync");
		assertEquals(null, r.mismatch);
		return r;
	}

	static void hitless(long[] a, long[] b, int syncs) {
		run(Kind.STE, a, b, Mode.HITLESS, syncs, false);
	}

	static long[] cdtable(int s1dss, long table, boolean ats) {
		return SteBuilder.cdTable(table, Ste.S1FMT_64K_L2, 20, s1dss, ats, F.stalls(), F.attrTypesOvr(), false);
	}

	static long[] s2(int vmid, boolean ats) {
		return SteBuilder.s2(F, S2, vmid, ats, false);
	}

	@Test
	void bypassAndAbort() {
		hitless(SteBuilder.bypass(F), SteBuilder.abort(), 2);
		hitless(SteBuilder.abort(), SteBuilder.bypass(F), 2);
	}

	@Test
	void cdTableAndAbortOrBypass() {
		hitless(cdtable(Ste.S1DSS_SSID0, CDTAB, true), SteBuilder.abort(), 2);
		hitless(SteBuilder.abort(), cdtable(Ste.S1DSS_SSID0, CDTAB, true), 2);
		hitless(cdtable(Ste.S1DSS_SSID0, CDTAB, true), SteBuilder.bypass(F), 3);
		hitless(SteBuilder.bypass(F), cdtable(Ste.S1DSS_SSID0, CDTAB, true), 3);
	}

	@Test
	void s1dssChangeIsOneQword() {
		hitless(cdtable(Ste.S1DSS_SSID0, CDTAB, false), cdtable(Ste.S1DSS_BYPASS, CDTAB, false), 1);
		hitless(cdtable(Ste.S1DSS_BYPASS, CDTAB, false), cdtable(Ste.S1DSS_SSID0, CDTAB, false), 1);
		hitless(cdtable(Ste.S1DSS_BYPASS, CDTAB, false), SteBuilder.bypass(F), 2);
		hitless(SteBuilder.bypass(F), cdtable(Ste.S1DSS_BYPASS, CDTAB, false), 2);
	}

	@Test
	void stage2Transitions() {
		hitless(s2(0, true), SteBuilder.abort(), 2);
		hitless(SteBuilder.abort(), s2(0, true), 2);
		hitless(s2(0, true), SteBuilder.bypass(F), 2);
		hitless(SteBuilder.bypass(F), s2(0, true), 2);
		hitless(cdtable(Ste.S1DSS_SSID0, CDTAB, true), s2(0, true), 3);
		hitless(s2(0, true), cdtable(Ste.S1DSS_SSID0, CDTAB, true), 3);
	}

	@Test
	void changingTwoQwordsIsBreaking() {
		run(Kind.STE, cdtable(Ste.S1DSS_SSID0, CDTAB, false), cdtable(Ste.S1DSS_BYPASS, CDTAB2, false), Mode.BREAKING, 3, true);
		// a non-zero VMID: the S1 -> S2 change touches qwords 0 and 2
		run(Kind.STE, cdtable(Ste.S1DSS_SSID0, CDTAB, false), s2(5, false), Mode.BREAKING, 3, true);
		// two S2 tables with different VMIDs and tables: qwords 2 and 3
		SparseMemory mem = new SparseMemory(48);
		IoPageTable other = IoPageTable.allocate(IoPageTable.Config.s2(4096, 48, 48), new FrameAllocator(mem, 1L << 34, 1L << 35));
		run(Kind.STE, s2(5, false), SteBuilder.s2(F, other, 6, false, false), Mode.BREAKING, 3, true);
	}

	@Test
	void nestedTransitions() {
		long[] guest = cdtable(Ste.S1DSS_BYPASS, CDTAB, false);
		long[] nested = SteBuilder.nested(F, guest, S2, 0, true, false);
		// nested -> S2 of the same parent: hitless, an extra step clears MEV
		Recorder r = run(Kind.STE, nested, s2(0, true), Mode.HITLESS, 3, false);
		assertEquals(0, r.entry[1] & Ste.MEV.mask());
		hitless(s2(0, true), nested, 2);
		hitless(SteBuilder.abort(), nested, 2);
	}

	@Test
	void safeBitsAloneAreADirectWrite() {
		long[] a = s2(3, false);
		long[] b = a.clone();
		b[1] |= Ste.MEV.mask();
		run(Kind.STE, a, b, Mode.DIRECT, 1, false);
		b[1] |= 1L << 28; // EATS = TRANS
		run(Kind.STE, a, b, Mode.DIRECT, 1, false);
		long[] c = a.clone();
		Ste.S2S.set(c, 1);
		long[] d = c.clone();
		d[1] |= 1L << 28; // with S2S, EATS is not safe
		run(Kind.STE, c, d, Mode.HITLESS, 1, false);
		run(Kind.STE, a, a, Mode.DIRECT, 0, false);
	}

	@Test
	void unusedBitsDoNotForceAStep() {
		long[] abort = SteBuilder.abort();
		long[] garbage = abort.clone();
		garbage[3] = 0x1234_5000L; // S2TTB is not used by an abort STE: cleaned in one step
		garbage[1] = SteBuilder.bypass(F)[1];
		run(Kind.STE, garbage, abort, Mode.DIRECT, 1, false);
	}

	// ---- CDs

	static long[] cd(int asid, long ttb) {
		return CdBuilder.s1(new IoPageTable.Tcr(16, 0, 1, 1, 3, 5), ttb, 0xf404ff44L, asid, false, false);
	}

	@Test
	void cdClearAndSet() {
		run(Kind.CD, CdBuilder.clear(), cd(1997, 0x8000_0000L), Mode.HITLESS, 2, true);
		run(Kind.CD, cd(1997, 0x8000_0000L), CdBuilder.clear(), Mode.HITLESS, 2, true);
	}

	@Test
	void cdAsidChangeIsHitless() {
		run(Kind.CD, cd(1, 0x8000_0000L), cd(2, 0x8000_0000L), Mode.HITLESS, 1, false);
	}

	@Test
	void cdTableAndAsidChangeIsBreaking() {
		run(Kind.CD, cd(1, 0x8000_0000L), cd(2, 0x9000_0000L), Mode.BREAKING, 3, true);
	}

	/** The CD of a released SVA mm: EPD0 set, TTB0 and its controls clear. */
	static long[] released(int asid) {
		long[] c = cd(asid, 0);
		c[0] &= ~(Cd.T0SZ.mask() | Cd.TG0.mask() | Cd.IRGN0.mask() | Cd.ORGN0.mask() | Cd.SH0.mask());
		Cd.EPD0.set(c, 1);
		return c;
	}

	@Test
	void cdWithEpd0IgnoresTtb0() {
		run(Kind.CD, cd(1, 0x8000_0000L), released(1), Mode.HITLESS, 2, false);
		run(Kind.CD, released(1), cd(1, 0x8000_0000L), Mode.HITLESS, 2, false);
		long[] stale = cd(1, 0x8000_0000L);
		Cd.EPD0.set(stale, 1); // TTB0 and T0SZ left behind are ignored, then cleaned in one step
		run(Kind.CD, stale, released(1), Mode.DIRECT, 1, false);
		long[] used = new long[8];
		EntryWriter.cdUsed(stale, used);
		assertEquals(0, used[1] & Cd.TTB0.mask());
		assertEquals(0, used[0] & Cd.T0SZ.mask());
		assertTrue((used[0] & Cd.ASID.mask()) != 0);
	}
}
