package smmu.accel.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import smmu.hw.testing.TestHost;
import smmu.accel.Dma;
import smmu.accel.GuestBuffer;
import smmu.accel.Topology;
import smmu.accel.VirtualMachine;
import smmu.accel.VmException;
import smmu.accel.service.VmManagerComponent;
import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.arch.Regs;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.impl.HostKernel;
import smmu.iommufd.impl.IommufdComponent;

/** The VmManager service over a two-SMMU host: descriptions to VMs, QEMU's refusals, the topology, DMA. */
class VmManagerTest {
	static final String TWO = "-m 64M -bios QEMU_EFI.fd -object iommufd,id=iommufd0"
			+ " -device pxb-pcie,id=pcie.1,bus_nr=1 -device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on"
			+ " -device pcie-root-port,id=rp0,bus=pcie.1,chassis=1 -device vfio-pci,host=0000:01:00.0,id=dev0,bus=rp0,iommufd=iommufd0"
			+ " -device pcie-root-port,id=rp1,bus=pcie.1,chassis=2 -device vfio-pci,host=0000:01:00.1,id=dev1,bus=rp1,iommufd=iommufd0"
			+ " -device pxb-pcie,id=pcie.2,bus_nr=8 -device arm-smmuv3,primary-bus=pcie.2,id=smmuv3.1,accel=on"
			+ " -device pcie-root-port,id=rp2,bus=pcie.2,chassis=3 -device vfio-pci,host=0000:02:00.0,id=dev2,bus=rp2,iommufd=iommufd0";

	TestHost hw;
	HostKernel kernel;
	VmManagerComponent manager;

	void host(UnaryOperator<int[]> idr) {
		hw = new TestHost(2, 2, idr);
		kernel = new HostKernel(hw, KernelMode.SHARED);
		manager = new VmManagerComponent(hw, new IommufdComponent(kernel), "shared", TestPolicies.SHARED, TestPolicies.PER_INSTANCE);
	}

	@AfterEach
	void shutdown() {
		if (manager != null) {
			for (VirtualMachine vm : manager.list()) {
				manager.destroy(vm.name());
			}
			kernel.deactivate();
		}
	}

	@Test
	void topologyShowsVsmmusOverPhysicalSmmusAndVsidToPsid() {
		host(UnaryOperator.identity());
		VirtualMachine vm = manager.create("vm1", TWO);
		Topology t = vm.topology();
		assertEquals(VirtualMachine.State.CREATED, t.state());
		assertEquals(List.of("pcie.0", "pcie.1", "rp0", "rp1", "pcie.2", "rp2"), t.buses().stream().map(Topology.Bus::id).toList());
		assertEquals(List.of(0, 1, 2, 3, 8, 9), t.buses().stream().map(Topology.Bus::number).toList());
		assertEquals("smmuv3.1", t.buses().get(5).vsmmu());
		assertEquals("root-port", t.buses().get(5).kind());
		Topology.Vsmmu v1 = t.vsmmus().get(1);
		assertEquals(0x0c020000L, v1.mmioBase());
		assertEquals(116, v1.firstSpi());
		assertEquals("smmu1", v1.physicalSmmu());
		Topology.Device d1 = t.devices().get(1);
		assertEquals("03:00.0", d1.guestBdf());
		assertEquals(0x300, d1.vsid());
		assertEquals(0x101, d1.psid());
		assertEquals("smmu0", d1.physicalSmmu());
		assertEquals("smmuv3.0", d1.vsmmu());
	}

	@Test
	void guestMapDmaUnmapFaultReachesTheGuestWithTheVsid() {
		host(UnaryOperator.identity());
		VirtualMachine vm = manager.create("vm1", TWO);
		vm.boot();
		assertEquals(VirtualMachine.State.RUNNING, vm.state());
		GuestBuffer b = vm.guestMap("dev2", 8192);
		byte[] data = { 1, 2, 3, 4, 5 };
		Dma w = vm.dmaWrite("dev2", b.iova() + 4096, data);
		assertTrue(w.ok());
		assertArrayEquals(data, vm.readGuest(b.gpa() + 4096, 5));
		byte[] host = new byte[5];
		hw.memory.read(w.hostPas().get(0), host, 0, 5);
		assertArrayEquals(data, host);
		assertArrayEquals(data, vm.dmaRead("dev2", b.iova() + 4096, 5).data());
		assertEquals(8192, vm.guestUnmap("dev2", b.iova(), 8192));
		Dma f = vm.dmaRead("dev2", b.iova(), 4);
		assertFalse(f.ok());
		assertEquals(0x200, f.fault().sid());
		List<Event> ev = vm.guestEvents("smmuv3.1");
		assertEquals(1, ev.size());
		assertEquals(EventType.F_TRANSLATION, ev.get(0).type());
		assertEquals(0x900, ev.get(0).sid());
		assertEquals(b.iova(), ev.get(0).address());
	}

	@Test
	void withoutFirmwareAccelOnIsRefusedForDtAndModelRefusalsHaveNoQemuPrefix() {
		host(UnaryOperator.identity());
		String noBios = TWO.replace("-bios QEMU_EFI.fd ", "");
		VmException e = assertThrows(VmException.class, () -> manager.create("x", noBios));
		assertEquals("SMMUv3 with accel=on not supported for DT", e.getMessage());
		assertEquals("qemu-system-aarch64: -device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on: SMMUv3 with accel=on not supported for DT",
				e.qemuLine());
		// a -kernel boot is a DT boot too
		assertEquals("SMMUv3 with accel=on not supported for DT",
				assertThrows(VmException.class, () -> manager.create("x", noBios + " -kernel Image")).getMessage());
		// pflash firmware counts
		assertNotNull(manager.create("x", noBios + " -drive if=pflash,format=raw,file=efi.img"));
		manager.destroy("x");
		// QEMU runs an accel=off SMMU; the model does not, and says so without QEMU's prefix
		e = assertThrows(VmException.class, () -> manager.create("x", "-bios QEMU_EFI.fd -device arm-smmuv3,primary-bus=pcie.0,id=s"));
		assertEquals("model: -device arm-smmuv3,primary-bus=pcie.0,id=s: only accel=on arm-smmuv3 devices are modelled", e.qemuLine());
		assertTrue(manager.list().isEmpty());
	}

	@Test
	void anEmulatedEndpointOutsideEveryVsmmuIsAcceptedAndVirtioIommuConflictsAsQemuSays() {
		host(UnaryOperator.identity());
		VirtualMachine vm = manager.create("x", TWO + " -device virtio-net-pci,id=net0");
		vm.boot();
		assertEquals(3, vm.topology().devices().size(), "the three vfio-pci devices; virtio-net-pci is kept but not run");
		assertTrue(vm.topology().devices().stream().noneMatch(x -> "net0".equals(x.id())));
		manager.destroy("x");
		VmException e = assertThrows(VmException.class, () -> manager.create("x", TWO + " -device virtio-iommu-pci"));
		assertEquals("qemu-system-aarch64: -device virtio-iommu-pci: virt machine does not support multiple IOMMUs", e.qemuLine());
		e = assertThrows(VmException.class, () -> manager.create("x", "-device virtio-iommu-pci " + TWO));
		assertEquals("virt machine already has virtio-iommu set. Doesn't support incompatible iommus", e.getMessage());
		e = assertThrows(VmException.class, () -> manager.create("x", "-bios QEMU_EFI.fd -device virtio-iommu-pci"));
		assertEquals("model: -device virtio-iommu-pci: virtio-iommu-pci is not modelled", e.qemuLine());
	}

	@Test
	void twoVsmmusOnOneBusAreAcceptedAndTheLaterServesItsDevices() {
		host(UnaryOperator.identity());
		String line = "-m 64M -bios QEMU_EFI.fd -object iommufd,id=iommufd0 -device pxb-pcie,id=pcie.1,bus_nr=1"
				+ " -device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on -device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.1,accel=on"
				+ " -device pcie-root-port,id=rp0,bus=pcie.1,chassis=1 -device vfio-pci,host=0000:01:00.0,id=dev0,bus=rp0,iommufd=iommufd0";
		VirtualMachine vm = manager.create("x", line);
		vm.boot();
		Topology t = vm.topology();
		assertEquals(2, t.vsmmus().size());
		assertEquals("smmuv3.1", t.devices().get(0).vsmmu(), "pci_setup_iommu_per_bus: the last SMMU set on the bus wins");
		GuestBuffer b = vm.guestMap("dev0", 4096);
		assertTrue(vm.dmaWrite("dev0", b.iova(), new byte[] { 1 }).ok());
	}

	@Test
	void anMmu700R0p0HostCannotNestSoTheAccelVmIsRefused() {
		hw = TestHost.withSpecs(2, spec -> spec.withIds(smmu.hw.SmmuSpec.IIDR_MMU700_R0P0, 2));
		kernel = new HostKernel(hw, KernelMode.SHARED);
		manager = new VmManagerComponent(hw, new IommufdComponent(kernel), "shared", TestPolicies.SHARED, TestPolicies.PER_INSTANCE);
		String line = "-m 64M -bios QEMU_EFI.fd -object iommufd,id=iommufd0 -device pxb-pcie,id=pcie.1,bus_nr=1"
				+ " -device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on -device pcie-root-port,id=rp0,bus=pcie.1,chassis=1"
				+ " -device vfio-pci,host=0000:01:00.0,id=dev0,bus=rp0,iommufd=iommufd0";
		// arm_smmu_device_iidr_probe clears FEAT_NESTING (errata 2268618, 2812531): NEST_PARENT is EOPNOTSUPP
		VmException e = assertThrows(VmException.class, () -> manager.create("x", line));
		assertEquals("vfio 0000:01:00.0: Failed to allocate hwpt", e.getMessage());
		Throwable cause = e;
		while (cause.getCause() != null) {
			cause = cause.getCause();
		}
		assertTrue(cause.getMessage().contains("EOPNOTSUPP"), cause.getMessage());
		assertTrue(manager.list().isEmpty());
	}

	@Test
	void refusalsCarryQemusMessages() {
		host(UnaryOperator.identity());
		VmException e = assertThrows(VmException.class, () -> manager.create("x", TWO.replace("bus=rp2,", "bus=rp9,")));
		assertEquals("Bus 'rp9' not found", e.getMessage());
		e = assertThrows(VmException.class, () -> manager.create("x", TWO.replace("0000:02:00.0", "0000:07:00.0")));
		assertTrue(e.getMessage().contains("0000:07:00.0"), e.getMessage());
		assertTrue(manager.list().isEmpty());
		manager.create("vm1", TWO);
		e = assertThrows(VmException.class, () -> manager.create("vm2", TWO));
		assertTrue(e.getMessage().startsWith("vfio 0000:01:00.0: error bind device to iommufd"), e.getMessage());
		VirtualMachine vm = manager.get("vm1").orElseThrow();
		vm.boot();
		e = assertThrows(VmException.class, () -> vm.addDevice("arm-smmuv3,primary-bus=pcie.2,id=smmuv3.9,accel=on"));
		assertEquals("Device 'arm-smmuv3' does not support hotplugging", e.getMessage());
		vm.unplug("dev1");
		assertEquals(2, vm.topology().devices().size());
		assertEquals("dev1", vm.addDevice("vfio-pci,host=0000:01:00.1,id=dev1,bus=rp1,iommufd=iommufd0"));
		GuestBuffer b = vm.guestMap("dev1", 4096);
		assertTrue(vm.dmaWrite("dev1", b.iova(), new byte[] { 9 }).ok());
		assertTrue(manager.destroy("vm1"));
		assertNotNull(manager.create("vm2", TWO));
	}

	@Test
	void oas48OverA44BitHostFailsTheCompatCheck() {
		host(idr -> {
			idr[5] = (int) Regs.IDR5_OAS.with(Integer.toUnsignedLong(idr[5]), 4);
			return idr;
		});
		VmException e = assertThrows(VmException.class, () -> manager.create("x", TWO.replace("id=smmuv3.0,accel=on", "id=smmuv3.0,accel=on,oas=48")));
		assertEquals("vfio 0000:01:00.0: Failed to set vIOMMU: Host SMMUv3 supports only 44-bit IPA, but the vSMMU OAS implies 48-bit IPA", e.getMessage());
		assertEquals("-device vfio-pci,host=0000:01:00.0,id=dev0,bus=rp0,iommufd=iommufd0", e.option());
		assertNull(manager.get("x").orElse(null));
	}

	/**
	 * QEMU does not check that a vSMMU's devices share a physical SMMU (reference §1.5): the VM builds,
	 * the host kernel refuses the second device's vDEVICE/nested HWPT at the guest's STE install, and the
	 * device stays on the vIOMMU's bypass HWPT: its IOVA is taken as an IPA and faults at stage 2.
	 */
	@Test
	void devicesOfOneVsmmuBehindTwoPhysicalSmmus() {
		host(UnaryOperator.identity());
		VirtualMachine vm = manager.create("x", TWO.replace("0000:01:00.1", "0000:02:00.1"));
		vm.boot();
		GuestBuffer b = vm.guestMap("dev1", 4096);
		Dma d = vm.dmaWrite("dev1", b.iova(), new byte[] { 1 });
		assertFalse(d.ok());
		assertEquals(EventType.F_TRANSLATION, d.fault().type());
		assertTrue(d.fault().s2());
		assertEquals(0x201, d.fault().sid());
		assertEquals(b.iova(), d.fault().address2());
		GuestBuffer b0 = vm.guestMap("dev0", 4096);
		Dma d0 = vm.dmaWrite("dev0", b0.iova(), new byte[] { 1 });
		assertTrue(d0.ok(), () -> "dev0: " + d0);
	}

	@Test
	void theConfiguredPolicyPlumbsNewAndRunningVmsAndNoPolicyRefusesNewOnes() {
		host(UnaryOperator.identity());
		IommufdComponent fd = new IommufdComponent(kernel);
		manager = new VmManagerComponent(hw, fd, "shared", TestPolicies.SHARED, TestPolicies.PER_INSTANCE);
		assertEquals(List.of("per-instance", "shared"), manager.policies());
		assertEquals("shared", manager.activePolicy().orElseThrow());
		VirtualMachine vm = manager.create("vm1", TWO);
		vm.boot();
		GuestBuffer b0 = vm.guestMap("dev0", 4096), b2 = vm.guestMap("dev2", 4096);
		assertEquals(1, count(fd, smmu.iommufd.ObjectType.IOAS));
		manager.setActivePolicy("per-instance");
		assertEquals(2, count(fd, smmu.iommufd.ObjectType.IOAS));
		assertEquals(2, count(fd, smmu.iommufd.ObjectType.VIOMMU));
		assertTrue(vm.dmaWrite("dev0", b0.iova(), new byte[] { 1 }).ok());
		assertTrue(vm.dmaWrite("dev2", b2.iova(), new byte[] { 2 }).ok());

		manager.setActivePolicy("gone");
		assertTrue(manager.activePolicy().isEmpty());
		VmException e = assertThrows(VmException.class, () -> manager.create("vm2", TWO));
		assertEquals("no stage-2 policy 'gone' is available (policy.name gone): install and start the bundle providing it", e.getMessage());
		assertEquals(2, count(fd, smmu.iommufd.ObjectType.IOAS), "the running VM keeps its plumbing");
		assertTrue(vm.dmaRead("dev0", b0.iova(), 1).ok());

		manager.setActivePolicy("shared");
		assertEquals(1, count(fd, smmu.iommufd.ObjectType.IOAS));
		assertArrayEquals(new byte[] { 2 }, vm.dmaRead("dev2", b2.iova(), 1).data());
		assertEquals(List.of(), manager.reported());
	}

	static long count(IommufdComponent fd, smmu.iommufd.ObjectType t) {
		return fd.contexts().stream().flatMap(c -> c.objects().stream()).filter(o -> o.type() == t).count();
	}
}
