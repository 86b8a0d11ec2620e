package smmu.hw.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import smmu.hw.FrameAllocator;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;

class BuildersTest {
	static final long MAIR = 0xf404ff44L;

	/** S1P | S2P | TTF AArch64 | COHACC, STALL_MODEL 0 (stalls), SIDSIZE 16; IDR1 ATTR_TYPES_OVR optional; 4K, OAS 48. */
	static Features features(boolean attrTypesOvr) {
		int idr0 = 0x3 | 2 << 2 | 1 << 4 | 2 << 21;
		int idr1 = 16 | (attrTypesOvr ? 1 << 27 : 0);
		return Features.decode(new int[] { idr0, idr1, 0, 0, 0, 0x15 }, false);
	}

	static void words(long[] expected, long[] actual) {
		assertArrayEquals(expected, actual, () -> {
			StringBuilder b = new StringBuilder();
			for (long w : actual) {
				b.append(String.format("0x%016x ", w));
			}
			return b.toString();
		});
	}

	@Test
	void abortAndBypass() {
		words(new long[] { 0x1, 0, 0, 0, 0, 0, 0, 0 }, SteBuilder.abort());
		words(new long[] { 0x9, 0, 0, 0, 0, 0, 0, 0 }, SteBuilder.bypass(false));
		words(new long[] { 0x9, 1L << 44, 0, 0, 0, 0, 0, 0 }, SteBuilder.bypass(features(true)));
	}

	@Test
	void cdTableSte() {
		words(new long[] { 0x8000_100BL, 0xD6, 0, 0, 0, 0, 0, 0 },
				SteBuilder.cdTable(0x8000_1000L, Ste.S1FMT_LINEAR, 0, Ste.S1DSS_SSID0, false, false, false, false));
		words(new long[] { 0xA000_0000_8000_102BL, 0x0000_1000_9800_00D5L, 0, 0, 0, 0, 0, 0 },
				SteBuilder.cdTable(0x8000_1000L, Ste.S1FMT_64K_L2, 20, Ste.S1DSS_BYPASS, true, true, true, true));
		// SHCFG only with S1DSS = bypass
		assertEquals(0, SteBuilder.cdTable(0x8000_1000L, 0, 0, Ste.S1DSS_TERMINATE, false, false, true, false)[1] & 3L << 44);
		// address bits outside [51:6] are dropped
		assertEquals(0x8000_1001L & ~0x3fL | 0xB, SteBuilder.cdTable(0x8000_103fL, 0, 0, 0, false, false, false, false)[0]);
	}

	@Test
	void cdTableSteFromFeatures() {
		SparseMemory mem = new SparseMemory(48);
		int[] idr = SmmuSpec.mmu700("s", 0).idr().clone();
		FakeSmmu dev = new FakeSmmu(mem, idr);
		SmmuDriver d = SmmuDriver.probe(dev, mem, new FrameAllocator(mem, 1L << 30, 1L << 32));
		d.init();
		CdTable t = d.allocCdTable(4);
		long[] s = SteBuilder.cdTable(d.features(), t, Ste.S1DSS_SSID0, false, false);
		assertEquals(t.base() | 0xB | 4L << 59, s[0]);
		assertEquals(0xD6, s[1], "MMU-700 model: no stalls (STALL_MODEL 1), no ATTR_TYPES_OVR, no E2H");
	}

	@Test
	void stage2Ste() {
		SparseMemory mem = new SparseMemory(48);
		FrameAllocator alloc = new FrameAllocator(mem, 1L << 32, 1L << 33);
		IoPageTable pt = IoPageTable.allocate(IoPageTable.Config.s2(4096, 48, 48), alloc);
		long vttbr = pt.vttbr();
		words(new long[] { 0xD, 0, 0x044D_3590_0000_0005L, vttbr, 0, 0, 0, 0 }, SteBuilder.s2(features(false), pt, 5, false, false));
		IoPageTable fwb = IoPageTable.allocate(IoPageTable.Config.s2(4096, 48, 48).withQuirks(IoPageTable.Quirk.ARM_S2FWB), alloc);
		words(new long[] { 0xD, 0x0000_1000_1200_0000L, 0x064D_3590_0000_FFFFL, fwb.vttbr(), 0, 0, 0, 0 },
				SteBuilder.s2(features(true), fwb, 0xffff, true, true));
		assertEquals(0x53590L, Ste.VTCR.get(SteBuilder.s2(features(false), pt, 1, false, false)));
	}

	@Test
	void nestedSte() {
		SparseMemory mem = new SparseMemory(48);
		FrameAllocator alloc = new FrameAllocator(mem, 1L << 32, 1L << 33);
		IoPageTable pt = IoPageTable.allocate(IoPageTable.Config.s2(4096, 48, 48), alloc);
		long[] guest = SteBuilder.cdTable(0x8000_1000L, Ste.S1FMT_LINEAR, 0, Ste.S1DSS_SSID0, true, false, false, false);
		guest[0] |= 1L << 52 | 1L << 56; // not allowed through
		guest[1] |= 1L << 44 | 1L << 50; // SHCFG, INSTCFG not allowed through
		guest[2] = 0x1234; // the guest's VMID is ignored
		long[] s2 = SteBuilder.s2(features(false), pt, 7, false, false);
		long[] n = SteBuilder.nested(features(false), guest, pt, 7, false, false);
		words(new long[] { 0x8000_100FL, 0xD6 | 1L << 19, s2[2], s2[3], 0, 0, 0, 0 }, n);
		// EATS comes from the host's ATS decision, not the guest
		assertEquals(1, Ste.EATS.get(SteBuilder.nested(features(false), guest, pt, 7, true, false)));
		guest[1] &= ~Ste.EATS.mask();
		assertEquals(0, Ste.EATS.get(SteBuilder.nested(features(false), guest, pt, 7, false, false)));
		// guest bypass: the parent's stage 2; guest abort or invalid: abort
		words(s2, SteBuilder.nested(features(false), SteBuilder.bypass(false), pt, 7, false, false));
		words(SteBuilder.abort(), SteBuilder.nested(features(false), new long[] { 0xA, -1, -1, -1, 0, 0, 0, 0 }, pt, 7, false, false));
		words(SteBuilder.abort(), SteBuilder.nested(features(false), SteBuilder.abort(), pt, 7, false, false));
	}

	@Test
	void stage1Cd() {
		SparseMemory mem = new SparseMemory(48);
		FrameAllocator alloc = new FrameAllocator(mem, 1L << 32, 1L << 33);
		IoPageTable pt = IoPageTable.allocate(IoPageTable.Config.s1(4096, 48, 48), alloc);
		words(new long[] { 0x0042_E205_C000_3510L, pt.ttbr(), 0, MAIR, 0, 0, 0, 0 }, CdBuilder.s1(pt, 0x42, false));
		assertEquals(0x0042_F205_C000_3510L, CdBuilder.s1(pt, 0x42, true)[0]);
		IoPageTable hd = IoPageTable.allocate(IoPageTable.Config.s1(65536, 52, 52).withQuirks(IoPageTable.Quirk.ARM_HD), alloc);
		// T0SZ 12, TG0 64K (1), IPS 52 (6), HA | HD
		assertEquals(0xFFFF_EE06_C000_354CL, CdBuilder.s1(hd, 0xffff, false)[0]);
		words(new long[8], CdBuilder.clear());
	}

	@Test
	void featuresDecodeTheMmu700Model() {
		Features f = Features.decode(SmmuSpec.mmu700("x", 0).idr(), true);
		assertTrue(f.s1p() && f.s2p() && f.nesting() && f.twoLevelStrtab() && f.cd2l() && f.ril() && f.fwb() && f.hyp() && f.e2h());
		assertTrue(f.asid16() && f.vmid16() && f.coherent());
		assertFalse(f.stalls() || f.ats() || f.attrTypesOvr());
		assertEquals(16, f.sidBits());
		assertEquals(20, f.ssidBits());
		assertEquals(19, f.cmdqLog2());
		assertEquals(48, f.oasBits());
		assertEquals(48, f.ias());
		assertEquals((1L << 12 | 1L << 21 | 1L << 30 | 1L << 14 | 1L << 25 | 1L << 16 | 1L << 29), f.pgsizeBitmap());
		assertNull(f.unsupportedReason());
		assertFalse(Features.decode(SmmuSpec.mmu700("x", 0).idr(), false).e2h());
		// QEMU's stage-1-only model: IDR0 0x0D44101A, IDR1 0x02730010, IDR3 0x1404, IDR5 0x74
		Features q = Features.decode(new int[] { 0x0D44101A, 0x02730010, 0, 0x1404, 0, 0x74 }, false);
		assertTrue(q.s1p() && !q.s2p() && !q.nesting() && q.twoLevelStrtab() && q.ril() && !q.fwb());
		assertEquals(44, q.oasBits());
		assertEquals(0, q.ssidBits());
		assertEquals(19, q.evtqLog2());
		// reserved OAS encodings read as 48; 52 adds 4 TiB pages
		assertEquals(48, Features.decode(new int[] { 0x1 | 2 << 2 | 2 << 21, 0, 0, 0, 0, 0x17 }, false).oasBits());
		assertEquals(1L << 42, Features.decode(new int[] { 0x1 | 2 << 2 | 2 << 21, 0, 0, 0, 0, 0x16 }, false).pgsizeBitmap() & 1L << 42);
		// linear stream table with 8-bit SIDs even when 2-level is offered
		assertFalse(Features.decode(new int[] { 0x1 | 2 << 2 | 2 << 21 | 1 << 27, 8, 0, 0, 0, 0x15 }, false).twoLevelStrtab());
		assertNotNull(Features.decode(new int[] { 2 << 2 | 2 << 21, 8, 0, 0, 0, 0x15 }, false).unsupportedReason());
		assertNotNull(Features.decode(new int[] { 1 | 1 << 2 | 2 << 21, 8, 0, 0, 0, 0x15 }, false).unsupportedReason());
		assertNotNull(Features.decode(new int[] { 1 | 2 << 2 | 1 << 21, 8, 0, 0, 0, 0x15 }, false).unsupportedReason());
		assertNotNull(Features.decode(new int[] { 1 | 2 << 2 | 2 << 21, 8 | (int) Regs.IDR1_TABLES_PRESET.mask(), 0, 0, 0, 0x15 }, false)
				.unsupportedReason());
		assertNotNull(Features.decode(new int[] { 1 | 2 << 2 | 2 << 21, 8, 0, 0, 0, 0 }, false).unsupportedReason(), "no granule");
	}
}
