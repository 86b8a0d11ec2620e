package smmu.iommufd.arm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import smmu.hw.Event;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.arch.Ste;

/**
 * A nested master moved to a vSMMU on another nest-parent: with the caller asserting both parents
 * translate alike, the STE changes S2TTB then VMID in two hitless writes; without, Linux's breaking
 * update (V = 0).
 */
class ParentSwitchTest {
	static final int RWC = NestedTest.RWC;

	static long translate(NestedTest.Vm vm) {
		TranslationResult r = vm.s0().smmu().translate(new TranslationRequest(NestedTest.SID0, Event.NO_SSID, NestedTest.GIOVA + 0x10, true));
		assertTrue(r instanceof TranslationResult.Translated, r::toString);
		return ((TranslationResult.Translated) r).pa();
	}

	@ParameterizedTest
	@EnumSource(KernelMode.class)
	void sameTranslationSwitchesS2ttbThenVmidHitlesslyOtherwiseBreaking(KernelMode mode) {
		NestedTest.Vm vm = new NestedTest.Vm(mode);
		ArmVsmmu v1 = vm.vsmmu();
		vm.attachS1(v1);
		long pa = NestedTest.DATA_IPA + NestedTest.DELTA + 0x10;
		assertEquals(pa, translate(vm));
		ArmDomain p2 = vm.k.domainAllocPaging(vm.m0, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		p2.map(NestedTest.IPA_BASE, NestedTest.HOST_RAM, 8 << 20, RWC);
		p2.map(NestedTest.DATA_IPA, NestedTest.DATA_IPA + NestedTest.DELTA, 0x4000, RWC);
		ArmVsmmu v2 = vm.k.vsmmuInit(vm.m0, p2);
		assertNotEquals(v1.vmid(), v2.vmid());
		v1.vdeviceDestroy(NestedTest.VSID);
		v2.vdeviceInit(vm.m0, NestedTest.VSID);

		ArmSmmuV3Kernel.SteWrites w0 = vm.k.steWrites();
		long[] before = vm.s0().driver().readSte(NestedTest.SID0);
		vm.k.attachNested(vm.m0, v2.allocDomainNested(vm.vste[0], vm.vste[1], 0), true);
		ArmSmmuV3Kernel.SteWrites w1 = vm.k.steWrites();
		assertEquals(w0.s2Switches() + 1, w1.s2Switches());
		assertEquals(w0.hitless() + 2, w1.hitless());
		assertEquals(w0.breaking(), w1.breaking());
		long[] ste = vm.s0().driver().readSte(NestedTest.SID0);
		assertEquals(v2.vmid(), Ste.S2VMID.get(ste));
		assertEquals(p2.pageTable().vttbr() & Ste.S2TTB.mask(), Ste.s2ttb(ste));
		for (int q = 0; q < 8; q++) {
			if (q != 2 && q != 3) {
				assertEquals(before[q], ste[q], "qword " + q);
			}
		}
		assertEquals(new Master.Vmaster(v2, NestedTest.VSID), vm.m0.vmaster());
		assertEquals(pa, translate(vm));

		// the caller does not vouch for the translation: Linux's breaking update
		v2.vdeviceDestroy(NestedTest.VSID);
		v1.vdeviceInit(vm.m0, NestedTest.VSID);
		vm.k.attachNested(vm.m0, v1.allocDomainNested(vm.vste[0], vm.vste[1], 0), false);
		ArmSmmuV3Kernel.SteWrites w2 = vm.k.steWrites();
		assertEquals(w1.breaking() + 1, w2.breaking());
		assertEquals(w1.s2Switches(), w2.s2Switches());
		assertEquals(v1.vmid(), Ste.S2VMID.get(vm.s0().driver().readSte(NestedTest.SID0)));
		assertEquals(pa, translate(vm));
	}
}
