package smmu.hw.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import smmu.hw.FrameAllocator;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.impl.SmmuDevice;

class ErrataTest {
	static int iidr(int product, int variant, int revision) {
		return product << 20 | variant << 16 | revision << 12 | Errata.IMPLEMENTER_ARM;
	}

	@Test
	void mmu700BeforeR1p1CannotNestAndEveryMmu700ForcesSync() {
		for (int[] vr : new int[][] { { 0, 0 }, { 0, 3 }, { 1, 0 } }) {
			Errata e = Errata.of(iidr(Errata.PRODUCT_MMU_700, vr[0], vr[1]));
			assertTrue(e.noNesting(), e.part());
			assertTrue(e.cmdqForceSync());
			assertTrue(e.noBtm());
		}
		Errata r1p1 = Errata.of(SmmuSpec.IIDR_MMU700);
		assertEquals("Arm MMU-700 r1p1", r1p1.part());
		assertFalse(r1p1.noNesting());
		assertTrue(r1p1.cmdqForceSync());
		assertEquals("Arm MMU-700 r0p0", Errata.of(SmmuSpec.IIDR_MMU700_R0P0).part());
		assertTrue(Errata.of(SmmuSpec.IIDR_MMU700_R0P0).noNesting());
	}

	@Test
	void mmu600RulesAndOtherPartsUntouched() {
		Errata r0p2 = Errata.of(iidr(Errata.PRODUCT_MMU_600, 0, 2));
		assertTrue(r0p2.noSev());
		assertTrue(r0p2.noNesting());
		assertFalse(r0p2.cmdqForceSync());
		Errata r1p0 = Errata.of(iidr(Errata.PRODUCT_MMU_600, 1, 0));
		assertFalse(r1p0.noSev());
		assertTrue(r1p0.noNesting());
		assertFalse(Errata.of(iidr(Errata.PRODUCT_MMU_600, 2, 0)).noNesting());
		// another implementer with the same product number: no rule applies
		Errata other = Errata.of(Errata.PRODUCT_MMU_700 << 20 | 0x36b);
		assertFalse(other.noNesting() || other.cmdqForceSync() || other.noBtm() || other.noSev());
		assertEquals(new Errata(0, false, false, false, false), Errata.of(0));
	}

	@Test
	void probeAppliesTheIidrRules() {
		SparseMemory mem = new SparseMemory(48);
		FrameAllocator alloc = new FrameAllocator(mem, 1L << 30, 1L << 32);
		SmmuDevice r0p0 = SmmuDevice.create(SmmuSpec.mmu700("a", 0).withIds(SmmuSpec.IIDR_MMU700_R0P0, 2), mem);
		SmmuDriver d0 = SmmuDriver.probe(r0p0, mem, alloc);
		assertFalse(d0.features().nesting());
		assertTrue(d0.features().s1p() && d0.features().s2p());
		assertTrue(d0.errata().cmdqForceSync());
		SmmuDriver d1 = SmmuDriver.probe(SmmuDevice.create(SmmuSpec.mmu700("b", 0x10_0000), mem), mem, alloc);
		assertTrue(d1.features().nesting());
	}
}
