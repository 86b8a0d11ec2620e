package smmu.hw.impl.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.TableEntry;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.hw.impl.cache.Tlb;
import smmu.hw.impl.walk.PageTableWalker;
import smmu.hw.impl.xlate.StreamTable;
import smmu.hw.impl.xlate.Tables;

class ConfigDecoderTest {
	static final SmmuSpec SPEC = SmmuSpec.mmu700("smmu0", 0x0900_0000L);
	final SparseMemory mem = new SparseMemory(44);
	final Tables t = new Tables(mem, 0x4000_0000L);
	ConfigDecoder dec = new ConfigDecoder(SPEC, mem, new PageTableWalker(mem));
	final StreamTable st = t.linear(8);

	static SmmuSpec spec(Consumer<int[]> change) {
		int[] idr = new int[6];
		for (int i = 0; i < 6; i++) {
			idr[i] = SPEC.idr(i);
		}
		change.accept(idr);
		return SPEC.withIdr(idr);
	}

	static int with(int reg, smmu.hw.arch.Field f, long v) {
		return (int) f.with(reg, v);
	}

	Decoded decode(int sid, int ssid) {
		return dec.decode(st, sid, ssid, 0x1234_5000L, false, FetchListener.NONE);
	}

	static void assertError(Decoded d, EventType type, int sid, int ssid, long address, long address2) {
		assertFalse(d.ok(), () -> "expected " + type + " got " + d.config());
		assertEquals(Event.config(type, sid, ssid, address, address2), d.error());
		assertTrue(d.record());
	}

	long cdTable(int count) {
		return t.alloc((long) Cd.BYTES * count, 64);
	}

	// ---- stream table

	@Test
	void streamIdBeyondLinearTable() {
		assertError(decode(256, Event.NO_SSID), EventType.C_BAD_STREAMID, 256, Event.NO_SSID, 0, 0);
		assertError(decode(-1, 3), EventType.C_BAD_STREAMID, -1, 3, 0, 0);
	}

	@Test
	void streamIdBeyondSidSize() {
		dec = new ConfigDecoder(spec(idr -> idr[1] = with(idr[1], Regs.IDR1_SIDSIZE, 4)), mem, new PageTableWalker(mem));
		t.putSte(st, 15, Tables.ste(Ste.CFG_BYPASS));
		assertEquals(StreamConfig.BYPASS, decode(15, Event.NO_SSID).config().kind());
		assertError(decode(16, Event.NO_SSID), EventType.C_BAD_STREAMID, 16, Event.NO_SSID, 0, 0);
	}

	@Test
	void linearTableFindsSteAtBasePlusSid() {
		t.putSte(st, 200, Tables.ste(Ste.CFG_BYPASS));
		TableEntry e = dec.findSte(st, 200, Event.NO_SSID, FetchListener.NONE);
		assertEquals(st.base() + 200 * 64, e.address());
		assertArrayEquals(Tables.ste(Ste.CFG_BYPASS), e.words());
		assertEquals(StreamConfig.BYPASS, decode(200, Event.NO_SSID).config().kind());
		assertEquals(st.base() + 200 * 64, decode(200, Event.NO_SSID).config().steAddress());
	}

	@Test
	void linearBaseIsAlignedToTableSize() {
		t.putSte(st, 3, Tables.ste(Ste.CFG_BYPASS));
		StreamTable misaligned = new StreamTable(st.base() + 0x440, 8, 0, 0);
		assertEquals(st.base() + 3 * 64, dec.findSte(misaligned, 3, Event.NO_SSID, FetchListener.NONE).address());
	}

	@Test
	void twoLevelTable() {
		StreamTable two = t.twoLevel(16, 8);
		long l2 = t.l2(two, 0x1234, 9);
		t.putSte(two, 0x1234, Tables.ste(Ste.CFG_BYPASS));
		List<String> fetched = new ArrayList<>();
		FetchListener l = new FetchListener() {
			@Override
			public void fetched(Kind kind, long address, long value) {
				fetched.add(kind + "@" + Long.toHexString(address));
			}

			@Override
			public void descriptorRead(int stage, int level, long address, long descriptor) {}
		};
		Decoded d = dec.decode(two, 0x1234, Event.NO_SSID, 0, false, l);
		assertEquals(StreamConfig.BYPASS, d.config().kind());
		assertEquals(l2 + 0x34 * 64, d.config().steAddress());
		assertEquals(List.of("L1STD@" + Long.toHexString(two.base() + 0x12 * 8), "STE@" + Long.toHexString(l2 + 0x34 * 64)), fetched);
		// another bus: L1 descriptor never written, span 0
		assertError(dec.decode(two, 0x1334, Event.NO_SSID, 0, false, FetchListener.NONE), EventType.C_BAD_STREAMID, 0x1334,
				Event.NO_SSID, 0, 0);
	}

	@Test
	void twoLevelSidBeyondSpan() {
		StreamTable two = t.twoLevel(16, 8);
		t.l2(two, 0x500, 2); // 2^(2-1) = 2 STEs
		t.putSte(two, 0x501, Tables.ste(Ste.CFG_BYPASS));
		assertEquals(StreamConfig.BYPASS, dec.decode(two, 0x501, Event.NO_SSID, 0, false, FetchListener.NONE).config().kind());
		assertError(dec.decode(two, 0x502, 7, 0, false, FetchListener.NONE), EventType.C_BAD_STREAMID, 0x502, 7, 0, 0);
	}

	@Test
	void steFetchAborts() {
		StreamTable far = new StreamTable(1L << 44, 8, Regs.STRTAB_FMT_LINEAR, 0);
		assertError(dec.decode(far, 5, Event.NO_SSID, 0, false, FetchListener.NONE), EventType.F_STE_FETCH, 5, Event.NO_SSID, 0,
				(1L << 44) + 5 * 64);
		StreamTable farL1 = new StreamTable(1L << 45, 16, Regs.STRTAB_FMT_2LVL, 8);
		assertError(dec.decode(farL1, 0x305, Event.NO_SSID, 0, false, FetchListener.NONE), EventType.F_STE_FETCH, 0x305,
				Event.NO_SSID, 0, (1L << 45) + 3 * 8);
		StreamTable two = t.twoLevel(16, 8);
		mem.write64(two.base() + 8, (1L << 44) | 9);
		assertError(dec.decode(two, 0x102, Event.NO_SSID, 0, false, FetchListener.NONE), EventType.F_STE_FETCH, 0x102,
				Event.NO_SSID, 0, (1L << 44) + 2 * 64);
		TableEntry e = dec.findSte(two, 0x102, Event.NO_SSID, FetchListener.NONE);
		assertFalse(e.found());
		assertEquals(EventType.F_STE_FETCH, e.error().type());
	}

	// ---- STE

	@Test
	void invalidSte() {
		assertError(decode(1, Event.NO_SSID), EventType.C_BAD_STE, 1, Event.NO_SSID, 0, 0);
		long[] w = Tables.ste(Ste.CFG_BYPASS);
		w[0] &= ~1L;
		t.putSte(st, 2, w);
		assertError(decode(2, 9), EventType.C_BAD_STE, 2, 9, 0, 0);
	}

	@Test
	void configAbortHasNoEvent() {
		for (int cfg = 0; cfg < 4; cfg++) {
			t.putSte(st, 4, Tables.ste(cfg));
			Decoded d = decode(4, Event.NO_SSID);
			assertTrue(d.ok());
			assertEquals(StreamConfig.ABORT, d.config().kind());
			assertNull(d.error());
		}
	}

	@Test
	void bypassIgnoresSubstreamId() {
		t.putSte(st, 4, Tables.ste(Ste.CFG_BYPASS));
		assertEquals(StreamConfig.BYPASS, decode(4, 77).config().kind());
	}

	@Test
	void stageNotAdvertised() {
		long cds = cdTable(1);
		t.write(cds, Tables.cd(1, 0x5000_0000L));
		t.putSte(st, 1, Tables.steS1(cds, 0, 0, 0));
		t.putSte(st, 2, Tables.steS2(1, 0x5000_0000L));
		dec = new ConfigDecoder(spec(idr -> idr[0] = with(idr[0], Regs.IDR0_S1P, 0)), mem, new PageTableWalker(mem));
		assertError(decode(1, Event.NO_SSID), EventType.C_BAD_STE, 1, Event.NO_SSID, 0, 0);
		assertEquals(StreamConfig.TRANSLATE, decode(2, Event.NO_SSID).config().kind());
		dec = new ConfigDecoder(spec(idr -> idr[0] = with(idr[0], Regs.IDR0_S2P, 0)), mem, new PageTableWalker(mem));
		assertError(decode(2, Event.NO_SSID), EventType.C_BAD_STE, 2, Event.NO_SSID, 0, 0);
		StreamConfig c = decode(1, Event.NO_SSID).config();
		assertEquals(0, c.vmid());
	}

	@Test
	void stage2Fields() {
		long ttb = t.alloc(4096, 4096);
		long[] good = Tables.steS2(0x1234, ttb);
		t.putSte(st, 9, good);
		StreamConfig c = decode(9, Event.NO_SSID).config();
		assertEquals(StreamConfig.TRANSLATE, c.kind());
		assertNull(c.s1());
		assertEquals(0x1234, c.vmid());
		assertEquals(smmu.hw.impl.cache.Tlb.GLOBAL, c.asid());
		assertEquals(Tlb.STAGE2, c.tlbKind());
		assertEquals(12, c.s2().granuleShift());
		assertEquals(25, c.s2().t0sz());
		assertEquals(1, c.s2().sl0());
		assertEquals(48, c.s2().psBits());
		assertEquals(ttb, c.s2().vttb());
		assertTrue(c.s2().recordFaults());
		assertFalse(c.s2().affd());
		assertArrayEquals(new int[] { 12, 21, 30 }, c.shifts0());
		assertEquals(48, c.inputBits());

		List<Consumer<long[]>> bad = List.of(w -> Ste.S2AA64.set(w, 0), w -> Ste.S2TG.set(w, 3), w -> Ste.S2SL0.set(w, 3),
				w -> Ste.S2T0SZ.set(w, 40), w -> Ste.S2T0SZ.set(w, 15),
				// 4K, SL0 0 (start level 2), 39-bit IPA: 512 concatenated tables
				w -> Ste.S2SL0.set(w, 0),
				w -> {
					Ste.S2PS.set(w, 0);
					w[3] = 1L << 33;
				}, w -> Ste.S2ENDI.set(w, 1), w -> Ste.S2S.set(w, 1));
		for (int i = 0; i < bad.size(); i++) {
			long[] w = good.clone();
			bad.get(i).accept(w);
			t.putSte(st, 9, w);
			assertError(decode(9, Event.NO_SSID), EventType.C_BAD_STE, 9, Event.NO_SSID, 0, 0);
		}
		// 4K, SL0 0 (start level 2), 34-bit IPA: 16 concatenated tables is the maximum
		long[] w = good.clone();
		Ste.S2SL0.set(w, 0);
		Ste.S2T0SZ.set(w, 30);
		t.putSte(st, 9, w);
		assertTrue(decode(9, Event.NO_SSID).ok());
		Ste.S2T0SZ.set(w, 29);
		t.putSte(st, 9, w);
		assertFalse(decode(9, Event.NO_SSID).ok());
	}

	@Test
	void stage2OutputSize() {
		long[] w = Tables.steS2(1, 0);
		Ste.S2PS.set(w, 6);
		t.putSte(st, 9, w);
		assertEquals(48, decode(9, Event.NO_SSID).config().s2().psBits());
		Ste.S2PS.set(w, 2);
		t.putSte(st, 9, w);
		assertEquals(40, decode(9, Event.NO_SSID).config().s2().psBits());
		dec = new ConfigDecoder(spec(idr -> idr[5] = with(idr[5], Regs.IDR5_OAS, 6)), mem, new PageTableWalker(mem));
		Ste.S2PS.set(w, 6);
		Ste.S2TG.set(w, Ste.S2TG_64K);
		Ste.S2T0SZ.set(w, 22);
		t.putSte(st, 9, w);
		StreamConfig c = decode(9, Event.NO_SSID).config();
		assertEquals(52, c.s2().psBits());
		assertArrayEquals(new int[] { 16, 29, 42 }, c.shifts0());
		dec = new ConfigDecoder(spec(idr -> idr[5] = with(idr[5], Regs.IDR5_OAS, 2)), mem, new PageTableWalker(mem));
		Ste.S2TG.set(w, Ste.S2TG_4K);
		Ste.S2T0SZ.set(w, 24);
		t.putSte(st, 9, w);
		assertEquals(40, decode(9, Event.NO_SSID).config().s2().psBits());
		// IPA wider than the SMMU's 40-bit OAS
		Ste.S2T0SZ.set(w, 23);
		t.putSte(st, 9, w);
		assertError(decode(9, Event.NO_SSID), EventType.C_BAD_STE, 9, Event.NO_SSID, 0, 0);
	}

	@Test
	void vmidWidth() {
		long[] w = Tables.steS2(0xabcd, 0);
		t.putSte(st, 9, w);
		assertEquals(0xabcd, decode(9, Event.NO_SSID).config().vmid());
		dec = new ConfigDecoder(spec(idr -> idr[0] = with(idr[0], Regs.IDR0_VMID16, 0)), mem, new PageTableWalker(mem));
		assertEquals(0xcd, decode(9, Event.NO_SSID).config().vmid());
	}

	@Test
	void stage1SteFields() {
		long cds = cdTable(4);
		List<long[]> bad = new ArrayList<>();
		bad.add(Tables.steS1(cds, 3, 2, 0));
		bad.add(Tables.steS1(cds, 0, 2, 3));
		long[] stalld = Tables.steS1(cds, 0, 0, 0);
		Ste.S1STALLD.set(stalld, 1);
		bad.add(stalld);
		for (long[] w : bad) {
			t.putSte(st, 3, w);
			assertError(decode(3, Event.NO_SSID), EventType.C_BAD_STE, 3, Event.NO_SSID, 0, 0);
		}
		t.putSte(st, 3, Tables.steS1(cds, 2, 2, 0));
		dec = new ConfigDecoder(spec(idr -> idr[0] = with(idr[0], Regs.IDR0_CD2L, 0)), mem, new PageTableWalker(mem));
		assertError(decode(3, 1), EventType.C_BAD_STE, 3, 1, 0, 0);
		t.putSte(st, 3, Tables.steS1(cds, 0, 2, 0));
		dec = new ConfigDecoder(spec(idr -> idr[1] = with(idr[1], Regs.IDR1_SSIDSIZE, 0)), mem, new PageTableWalker(mem));
		assertError(decode(3, 1), EventType.C_BAD_STE, 3, 1, 0, 0);
	}

	// ---- SubstreamIDs

	@Test
	void substreamIdChecks() {
		long cds = cdTable(4);
		for (int i = 0; i < 4; i++) {
			t.write(cds + 64L * i, Tables.cd(100 + i, 0x5000_0000L));
		}
		t.putSte(st, 1, Tables.steS1(cds, 0, 0, 0));
		assertError(decode(1, 0), EventType.C_BAD_SUBSTREAMID, 1, 0, 0, 0);
		assertEquals(100, decode(1, Event.NO_SSID).config().asid());
		t.putSte(st, 2, Tables.steS1(cds, 0, 2, Ste.S1DSS_SSID0));
		assertEquals(103, decode(2, 3).config().asid());
		assertEquals(cds + 3 * 64, decode(2, 3).config().cdAddress());
		assertError(decode(2, 4), EventType.C_BAD_SUBSTREAMID, 2, 4, 0, 0);
		assertError(decode(2, 0), EventType.C_BAD_SUBSTREAMID, 2, 0, 0, 0);
		assertError(decode(2, -5), EventType.C_BAD_SUBSTREAMID, 2, -5, 0, 0);
		assertEquals(100, decode(2, Event.NO_SSID).config().asid());
		// S1CDMax beyond SSIDSIZE: SSIDs are bounded by SSIDSIZE
		t.putSte(st, 3, Tables.steS1(cds, 0, 20, Ste.S1DSS_BYPASS));
		dec = new ConfigDecoder(spec(idr -> idr[1] = with(idr[1], Regs.IDR1_SSIDSIZE, 2)), mem, new PageTableWalker(mem));
		assertEquals(103, decode(3, 3).config().asid());
		assertError(decode(3, 4), EventType.C_BAD_SUBSTREAMID, 3, 4, 0, 0);
		// S2-only stream: no SubstreamIDs
		t.putSte(st, 4, Tables.steS2(1, 0));
		assertError(decode(4, 1), EventType.C_BAD_SUBSTREAMID, 4, 1, 0, 0);
	}

	@Test
	void s1dssModes() {
		long cds = cdTable(2);
		t.write(cds, Tables.cd(7, 0x5000_0000L));
		t.write(cds + 64, Tables.cd(8, 0x5000_0000L));
		t.putSte(st, 1, Tables.steS1(cds, 0, 1, Ste.S1DSS_TERMINATE));
		assertEquals(StreamConfig.DISABLED, decode(1, Event.NO_SSID).config().kind());
		assertEquals(7, decode(1, 0).config().asid());
		t.putSte(st, 1, Tables.steS1(cds, 0, 1, Ste.S1DSS_BYPASS));
		assertEquals(StreamConfig.BYPASS, decode(1, Event.NO_SSID).config().kind());
		assertEquals(8, decode(1, 1).config().asid());
		t.putSte(st, 1, Tables.steS1(cds, 0, 1, Ste.S1DSS_SSID0));
		assertEquals(7, decode(1, Event.NO_SSID).config().asid());
		// nested with S1DSS bypass: stage 2 only, tagged as stage-2 entries
		long s2 = t.alloc(4096, 4096);
		t.putSte(st, 2, Tables.steNested(cds, 0, 1, Ste.S1DSS_BYPASS, 5, s2));
		StreamConfig c = decode(2, Event.NO_SSID).config();
		assertEquals(StreamConfig.TRANSLATE, c.kind());
		assertNull(c.s1());
		assertNotNull(c.s2());
		assertEquals(Tlb.STAGE2, c.tlbKind());
		assertEquals(5, c.vmid());
	}

	@Test
	void cdTables64kLeaf() {
		long l1 = t.alloc(8 * 4, 64);
		long l2 = t.alloc(64 * 1024, 4096);
		mem.write64(l1 + 8, l2 | Cd.L1_V); // SSIDs 1024..2047
		t.write(l2 + 5 * 64, Tables.cd(0x55, 0x5000_0000L));
		t.putSte(st, 1, Tables.steS1(l1, Ste.S1FMT_64K_L2, 12, Ste.S1DSS_TERMINATE));
		Decoded d = decode(1, 1024 + 5);
		assertEquals(0x55, d.config().asid());
		assertEquals(l2 + 5 * 64, d.config().cdAddress());
		assertError(decode(1, 5), EventType.C_BAD_SUBSTREAMID, 1, 5, 0, 0); // L1 descriptor 0 invalid
		assertError(decode(1, 4096), EventType.C_BAD_SUBSTREAMID, 1, 4096, 0, 0); // beyond S1CDMax
	}

	@Test
	void cdTables4kLeaf() {
		long l1 = t.alloc(8 * 4, 64);
		long l2 = t.alloc(4096, 4096);
		mem.write64(l1 + 16, l2 | Cd.L1_V); // SSIDs 128..191
		t.write(l2 + 3 * 64, Tables.cd(0x66, 0x5000_0000L));
		t.putSte(st, 1, Tables.steS1(l1, 1, 8, Ste.S1DSS_TERMINATE));
		assertEquals(0x66, decode(1, 131).config().asid());
	}

	@Test
	void cdFetchAborts() {
		t.putSte(st, 1, Tables.steS1(1L << 44, 0, 4, 0));
		assertError(decode(1, 3), EventType.F_CD_FETCH, 1, 3, (1L << 44) + 3 * 64, 0);
		t.putSte(st, 2, Tables.steS1((1L << 44) + 0x1000, Ste.S1FMT_64K_L2, 12, 0));
		assertError(decode(2, 2049), EventType.F_CD_FETCH, 2, 2049, (1L << 44) + 0x1000 + 2 * 8, 0);
		long l1 = t.alloc(64, 64);
		mem.write64(l1, (1L << 45) | 1);
		t.putSte(st, 3, Tables.steS1(l1, Ste.S1FMT_64K_L2, 12, 0));
		assertError(decode(3, 7), EventType.F_CD_FETCH, 3, 7, (1L << 45) + 7 * 64, 0);
	}

	// ---- CD

	@Test
	void cdFields() {
		long cds = cdTable(1);
		t.putSte(st, 1, Tables.steS1(cds, 0, 0, 0));
		long[] good = Tables.cd(0x4321, 0x1234_5000L);
		Cd.TBI0.set(good, 1);
		Cd.AFFD.set(good, 1);
		t.write(cds, good);
		StreamConfig c = decode(1, Event.NO_SSID).config();
		assertEquals(Tlb.STAGE1, c.tlbKind());
		assertEquals(0x4321, c.asid());
		assertEquals(0x4321, c.s1().asid());
		assertEquals(48, c.s1().oasBits());
		assertTrue(c.s1().tt0().enabled());
		assertFalse(c.s1().tt1().enabled());
		assertEquals(0x1234_5000L, c.s1().tt0().ttb());
		assertEquals(25, c.s1().tt0().tsz());
		assertEquals(12, c.s1().tt0().granuleShift());
		assertTrue(c.s1().tbi0());
		assertFalse(c.s1().tbi1());
		assertTrue(c.s1().affd());
		assertTrue(c.s1().recordFaults());
		assertEquals(cds, c.cdAddress());
		assertEquals(0, c.vmid());
		long[] ste = Tables.steS1(cds, 0, 0, 0);
		Ste.S2VMID.set(ste, 0x77);
		t.putSte(st, 1, ste);
		assertEquals(0x77, decode(1, Event.NO_SSID).config().vmid());

		List<Consumer<long[]>> bad = List.of(w -> Cd.V.set(w, 0), w -> Cd.AA64.set(w, 0), w -> Cd.A.set(w, 0), w -> Cd.S.set(w, 1),
				w -> Cd.HA.set(w, 1), w -> Cd.HD.set(w, 1), w -> Cd.T0SZ.set(w, 15), w -> Cd.T0SZ.set(w, 40), w -> Cd.TG0.set(w, 3),
				w -> Cd.ENDI.set(w, 1), w -> {
					Cd.IPS.set(w, 0);
					w[1] = 1L << 33;
				}, w -> {
					Cd.EPD1.set(w, 0);
					Cd.TG1.set(w, 0);
				});
		for (int i = 0; i < bad.size(); i++) {
			long[] w = good.clone();
			bad.get(i).accept(w);
			t.write(cds, w);
			Decoded d = decode(1, Event.NO_SSID);
			assertError(d, EventType.C_BAD_CD, 1, Event.NO_SSID, 0, 0);
			assertArrayEquals(w, d.cd());
		}
		// a disabled table's fields are not checked
		long[] w = good.clone();
		Cd.EPD0.set(w, 1);
		Cd.T0SZ.set(w, 63);
		Cd.TG0.set(w, 3);
		t.write(cds, w);
		c = decode(1, Event.NO_SSID).config();
		assertFalse(c.s1().tt0().enabled());
		assertFalse(c.s1().tt1().enabled());
	}

	@Test
	void cdOutputSizeAndAsidWidth() {
		long cds = cdTable(1);
		t.putSte(st, 1, Tables.steS1(cds, 0, 0, 0));
		long[] w = Tables.cd(0x4321, 0);
		Cd.IPS.set(w, 6);
		t.write(cds, w);
		assertEquals(48, decode(1, Event.NO_SSID).config().s1().oasBits());
		dec = new ConfigDecoder(spec(idr -> {
			idr[5] = with(idr[5], Regs.IDR5_OAS, 6);
			idr[0] = with(idr[0], Regs.IDR0_ASID16, 0);
		}), mem, new PageTableWalker(mem));
		Cd.TG0.set(w, Cd.TG0_64K);
		t.write(cds, w);
		StreamConfig c = decode(1, Event.NO_SSID).config();
		assertEquals(52, c.s1().oasBits());
		assertEquals(0x21, c.asid());
		assertArrayEquals(new int[] { 16, 29, 42 }, c.shifts0());
		dec = new ConfigDecoder(spec(idr -> idr[5] = with(idr[5], Regs.IDR5_OAS, 4)), mem, new PageTableWalker(mem));
		assertEquals(44, decode(1, Event.NO_SSID).config().s1().oasBits());
	}

	@Test
	void granuleNotAdvertised() {
		long cds = cdTable(1);
		t.putSte(st, 1, Tables.steS1(cds, 0, 0, 0));
		long[] w = Tables.cd(1, 0);
		Cd.TG0.set(w, Cd.TG0_16K);
		t.write(cds, w);
		assertTrue(decode(1, Event.NO_SSID).ok());
		dec = new ConfigDecoder(spec(idr -> idr[5] = with(idr[5], Regs.IDR5_GRAN16K, 0)), mem, new PageTableWalker(mem));
		assertError(decode(1, Event.NO_SSID), EventType.C_BAD_CD, 1, Event.NO_SSID, 0, 0);
	}

	@Test
	void findCdReturnsUndecodedWords() {
		long cds = cdTable(4);
		long[] garbage = { 0x1234, 5, 6, 7, 8, 9, 10, 11 };
		t.write(cds + 128, garbage);
		t.putSte(st, 1, Tables.steS1(cds, 0, 2, 0));
		TableEntry e = dec.findCd(st, 1, 2);
		assertEquals(cds + 128, e.address());
		assertArrayEquals(garbage, e.words());
		assertEquals(EventType.F_STREAM_DISABLED, dec.findCd(st, 1, Event.NO_SSID).error().type());
		assertEquals(EventType.C_BAD_SUBSTREAMID, dec.findCd(st, 1, 4).error().type());
		t.putSte(st, 2, Tables.ste(Ste.CFG_BYPASS));
		TableEntry none = dec.findCd(st, 2, Event.NO_SSID);
		assertFalse(none.found());
		assertNull(none.error());
	}
}
