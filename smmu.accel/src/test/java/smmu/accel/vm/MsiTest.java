package smmu.accel.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import smmu.accel.Msi;
import smmu.accel.MsiDesign;
import smmu.accel.vsmmu.AccelVsmmu;
import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.irq.MsiController;
import smmu.hw.testing.TestHost;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.impl.HostKernel;
import smmu.iommufd.impl.IommufdComponent;

/**
 * A device's MSI end to end (seed 003 as upstream builds it): the host maps its ITS doorbell page at the
 * SW MSI window of the nest parent, QEMU's IORT RMR makes the guest identity-map that window in stage 1,
 * KVM's route takes the vSMMU's msi-gpa; the physical write goes through the nested translation to the
 * doorbell and is delivered to the VM's vector, or stops at the architecture's fault when a link is
 * missing.
 */
class MsiTest {
	static final long RAM = 64L << 20;

	TestHost hw;
	HostKernel kernel;
	IommufdComponent iommufd;
	final List<Vm> vms = new ArrayList<>();

	void host(KernelMode mode) {
		hw = new TestHost(2, 4, UnaryOperator.identity());
		kernel = new HostKernel(hw, mode);
		iommufd = new IommufdComponent(kernel);
	}

	Vm vm(String name, long msiGpa) {
		Vm vm = new Vm(name, hw, iommufd, hw.userPages, RAM, kernel::awaitInterrupts);
		vms.add(vm);
		AccelVsmmu.Properties p = new AccelVsmmu.Properties(44, false, true, 0, msiGpa);
		vm.addPxb("pcie.1", 1);
		vm.addPxb("pcie.2", 8);
		vm.addVsmmu("smmuv3.0", "pcie.1", p);
		vm.addVsmmu("smmuv3.1", "pcie.2", p);
		vm.plug("dev0", TestHost.bdf(0, 0), "pcie.1", 0);
		vm.plug("dev1", TestHost.bdf(0, 1), "pcie.1", 8);
		vm.plug("dev2", TestHost.bdf(1, 0), "pcie.2", 0);
		return vm;
	}

	@AfterEach
	void shutdown() {
		for (Vm vm : vms) {
			vm.close();
		}
		if (kernel != null) {
			kernel.deactivate();
		}
	}

	@ParameterizedTest
	@EnumSource(KernelMode.class)
	void anMsiGoesThroughTheNestedTranslationToTheItsAndReachesTheVmsVector(KernelMode mode) {
		host(mode);
		Vm vm = vm("vm0", VirtMemoryMap.GITS_TRANSLATER);
		vm.boot();
		Msi m = vm.msi("dev0", 3);
		assertTrue(m.delivered(), m.toString());
		assertEquals("vm0:3", m.deliveredTo());
		assertEquals(0x800_0040L, m.hostAddress(), "the SW MSI window page, the doorbell's offset");
		assertEquals(hw.msiController().doorbell(), m.hostPa());
		assertEquals(VirtMemoryMap.GITS_TRANSLATER, m.routeAddress(), "kvm_arch_fixup_msi_route: the vSMMU's msi-gpa");
		assertEquals(0x40, m.guestAddress() & 0xfff, "the guest's own message: its IOVA of the vITS page");
		assertEquals(1, m.translations());
		assertEquals(Map.of(3, 1L), vm.guestDevice("dev0").interrupts());
		assertEquals(Map.of(VirtMemoryMap.GITS_TRANSLATER & ~0xfffL, m.guestAddress() & ~0xfffL), vm.guestDevice("dev0").msiPages());
		// the ITS saw DeviceID = pSID, EventID = vector
		MsiController.Delivery d = hw.msiController().deliveries().get(0);
		assertEquals(TestHost.sid(0, 0), d.deviceId());
		assertEquals(3, d.data());
		// another vector, another device, the other vSMMU: all delivered; the doorbell page mapped once per
		// nest parent (one in SHARED, one per SMMU in PER_SMMU)
		assertEquals("vm0:0", vm.msi("dev1", 0).deliveredTo());
		assertEquals("vm0:5", vm.msi("dev2", 5).deliveredTo());
		assertEquals("vm0:3", vm.msi("dev0", 3).deliveredTo());
		assertEquals(Map.of(3, 2L), vm.guestDevice("dev0").interrupts());
		assertEquals(mode == KernelMode.SHARED ? 1 : 2, vm.iommufd().swMsiPages());
	}

	@ParameterizedTest
	@EnumSource(KernelMode.class)
	void twoVmsWithTheSameVectorEachGetTheirOwnInterrupt(KernelMode mode) {
		host(mode);
		Vm a = vm("a", VirtMemoryMap.GITS_TRANSLATER);
		Vm b = new Vm("b", hw, iommufd, hw.userPages, RAM, kernel::awaitInterrupts);
		vms.add(b);
		b.addPxb("pcie.1", 1);
		b.addVsmmu("smmuv3.0", "pcie.1", new AccelVsmmu.Properties(44, false, true, 0, VirtMemoryMap.GITS_TRANSLATER));
		b.plug("dev0", TestHost.bdf(0, 2), "pcie.1", 0);
		a.boot();
		b.boot();
		// the same guest vector, the same host doorbell and the same SW MSI IOVA: the ITS tells them apart by DeviceID
		Msi ma = a.msi("dev0", 3), mb = b.msi("dev0", 3);
		assertEquals(ma.hostAddress(), mb.hostAddress());
		assertEquals(ma.hostPa(), mb.hostPa());
		assertEquals("a:3", ma.deliveredTo());
		assertEquals("b:3", mb.deliveredTo());
		assertEquals(Map.of(3, 1L), a.guestDevice("dev0").interrupts());
		assertEquals(Map.of(3, 1L), b.guestDevice("dev0").interrupts());
		// each VM's nest parent has its own copy of the doorbell page (its own stage 2 and VMID)
		assertEquals(1, a.iommufd().swMsiPages());
		assertEquals(1, b.iommufd().swMsiPages());
	}

	@Test
	void aGicv2mHostGivesTheVmAGicv2mDoorbell() {
		host(KernelMode.SHARED);
		hw.msi = new MsiController(MsiController.Kind.GICV2M, 0x2f00_0000L);
		Vm vm = vm("vm0", VirtMemoryMap.GICV2M_SETSPI);
		vm.virtualMsiDoorbell(VirtMemoryMap.GICV2M_SETSPI);
		vm.boot();
		Msi m = vm.msi("dev0", 1);
		assertEquals("vm0:1", m.deliveredTo(), m.toString());
		assertEquals(0x2f00_0040L, m.hostPa());
		assertEquals(0x802_0040L, m.routeAddress());
	}

	@Test
	void withoutTheRmrTheGuestsStage1FaultsAndTheGuestSeesTheEvent() {
		host(KernelMode.SHARED);
		Vm vm = vm("vm0", VirtMemoryMap.GITS_TRANSLATER);
		vm.kernel().honourRmr(false);
		vm.boot();
		Msi m = vm.msi("dev0", 3);
		assertFalse(m.delivered());
		Event e = m.fault();
		assertNotNull(e, m.toString());
		assertEquals(EventType.F_TRANSLATION, e.type());
		assertFalse(e.s2(), "stage 1: the guest never mapped the SW MSI window");
		assertEquals(0x800_0040L, e.address());
		assertEquals(TestHost.sid(0, 0), e.sid());
		// forwarded to the guest with the vSID
		List<Event> ev = vm.guestEvents("smmuv3.0");
		assertEquals(1, ev.size());
		assertEquals(0x100, ev.get(0).sid());
		assertEquals(0x800_0040L, ev.get(0).address());
		assertTrue(vm.guestDevice("dev0").interrupts().isEmpty());
		assertTrue(hw.msiController().deliveries().isEmpty());
	}

	@Test
	void withoutTheSwMsiMappingStage2FaultsAndTheHostKeepsTheEvent() {
		host(KernelMode.SHARED);
		Vm vm = vm("vm0", VirtMemoryMap.GITS_TRANSLATER);
		vm.boot();
		assertTrue(vm.msi("dev0", 3).delivered());
		// the doorbell page leaves the nest parent's stage 2 (as on a host whose driver has no SW_MSI region)
		unmapSwMsi(TestHost.bdf(0, 0));
		Msi m = vm.msi("dev0", 3);
		assertFalse(m.delivered());
		assertTrue(m.fault().s2(), m.toString());
		assertEquals(EventType.F_TRANSLATION, m.fault().type());
		assertTrue(vm.guestEvents("smmuv3.0").isEmpty(), "a stage-2 fault is the host's");
	}

	@Test
	void aRouteThatMissesTheVmsDoorbellIsNotInjected() {
		host(KernelMode.SHARED);
		// msi-gpa of a GICv2m while the VM's vGIC is a GICv3 ITS
		Vm vm = vm("vm0", VirtMemoryMap.GICV2M_SETSPI);
		vm.boot();
		Msi m = vm.msi("dev0", 3);
		assertNull(m.fault());
		assertFalse(m.delivered());
		assertEquals("KVM's route points at 0x8020040, not the VM's MSI doorbell 0x8090040", m.reason());
	}

	@Test
	void seed003sAlternativeTranslatesTheGuestsMsiIovaThroughTheVsmmusStage1() {
		host(KernelMode.SHARED);
		// no msi-gpa: the route comes from the guest's own tables
		Vm vm = vm("vm0", 0);
		vm.msiDesign(MsiDesign.TRANSLATE_STAGE1);
		vm.boot();
		Msi m = vm.msi("dev0", 3);
		assertEquals("vm0:3", m.deliveredTo(), m.toString());
		assertEquals(VirtMemoryMap.GITS_TRANSLATER, m.routeAddress(), "the guest's IOVA of its vITS page, walked by the VMM");
		assertEquals(2, m.translations(), "the VMM's software walk at route set-up, then the physical one");
		assertEquals(1, vm.msi("dev0", 3).translations(), "later MSIs: the physical translation only");
		long[] walks = vm.vmmMsiWalks();
		assertEquals(1, walks[0]);
		assertTrue(walks[1] >= 5, "STE, CD and at least three stage-1 descriptors: " + walks[1]);
		assertEquals(new smmu.accel.MsiRouteCost(MsiDesign.TRANSLATE_STAGE1, 1, 1, walks[1]), vm.msiRouteCost());
		// one more route (another vector): one more walk; the vector already routed costs none
		vm.msi("dev0", 4);
		vm.msi("dev0", 3);
		assertEquals(new smmu.accel.MsiRouteCost(MsiDesign.TRANSLATE_STAGE1, 2, 2, 2 * walks[1]), vm.msiRouteCost());
		// the merged design cannot run without msi-gpa (QEMU's g_assert)
		vm.msiDesign(MsiDesign.DIRECT_GPA);
		org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> vm.msi("dev1", 0));
	}

	/**
	 * The wrong VMID: two VMs whose devices sit behind the same physical SMMU use the same guest ASID, the
	 * same identity-mapped SW MSI IOVA (0x8000040) and the same host doorbell; only the STE's S2VMID (each
	 * nest parent's own VMID) tells their nested TLB entries apart. VM a's MSI warms the TLB with
	 * (VMID a, ASID, 0x8000000) -> doorbell; VM b's nest parent lost its SW MSI page before b's first MSI.
	 * An entry of the right IOVA under another VMID must not serve b: its write walks b's own stage 2 and
	 * faults there (F_TRANSLATION, s2=1, the host's), and nothing reaches either VM. A TLB that matched
	 * without the VMID would hand b a's doorbell translation and deliver.
	 */
	@ParameterizedTest
	@EnumSource(KernelMode.class)
	void aTlbEntryOfTheSameMsiIovaUnderAnotherVmidDoesNotServe(KernelMode mode) {
		host(mode);
		Vm a = vm("a", VirtMemoryMap.GITS_TRANSLATER);
		Vm b = new Vm("b", hw, iommufd, hw.userPages, RAM, kernel::awaitInterrupts);
		vms.add(b);
		b.addPxb("pcie.1", 1);
		b.addVsmmu("smmuv3.0", "pcie.1", new AccelVsmmu.Properties(44, false, true, 0, VirtMemoryMap.GITS_TRANSLATER));
		b.plug("dev0", TestHost.bdf(0, 2), "pcie.1", 0);
		a.boot();
		b.boot();
		// the premises: the same physical SMMU, the same guest ASID, different VMIDs
		assertEquals(a.guestDevice("dev0").asid(), b.guestDevice("dev0").asid(), "both guests' first domains take the same ASID");
		int vmidA = kernel.kernel().master(TestHost.bdf(0, 0)).nestedDomain().vsmmu().vmid();
		int vmidB = kernel.kernel().master(TestHost.bdf(0, 2)).nestedDomain().vsmmu().vmid();
		assertTrue(vmidA != vmidB, "each nest parent has its own VMID: " + vmidA);
		// b's route and SW MSI page are set up, then its stage 2 loses the page before any MSI of b ran
		long[] rb = b.msiEnable("dev0", 3);
		assertEquals(0x800_0040L, rb[3]);
		unmapSwMsi(TestHost.bdf(0, 2));
		// a's MSIs fill and then hit the nested TLB entry for (VMID a, ASID, 0x8000000)
		assertEquals("a:3", a.msi("dev0", 3).deliveredTo());
		assertEquals("a:3", a.msi("dev0", 3).deliveredTo());
		Msi mb = b.msi("dev0", 3);
		assertFalse(mb.delivered(), "b was served by a's TLB entry: " + mb);
		assertNotNull(mb.fault(), mb.toString());
		assertEquals(EventType.F_TRANSLATION, mb.fault().type());
		assertTrue(mb.fault().s2(), "b's own stage 2 has no doorbell page: " + mb.fault());
		assertEquals(TestHost.sid(0, 2), mb.fault().sid());
		assertEquals(0x800_0040L, mb.fault().address());
		assertTrue(b.guestDevice("dev0").interrupts().isEmpty());
		assertTrue(b.guestEvents("smmuv3.0").isEmpty(), "a stage-2 fault is the host's");
		assertEquals(Map.of(3, 2L), a.guestDevice("dev0").interrupts());
		// the ITS saw only a's two writes, each with a's DeviceID
		assertEquals(2, hw.msiController().deliveries().size());
		for (MsiController.Delivery d : hw.msiController().deliveries()) {
			assertEquals(TestHost.sid(0, 0), d.deviceId());
		}
		// a is unaffected afterwards
		assertEquals("a:3", a.msi("dev0", 3).deliveredTo());
	}

	/** Unmaps the SW MSI page from the nest parent the device's vSMMU uses (test only: breaks the chain). */
	void unmapSwMsi(String bdf) {
		kernel.kernel().master(bdf).nestedDomain().vsmmu().parent().unmap(0x800_0000L, 0x1000);
	}
}
