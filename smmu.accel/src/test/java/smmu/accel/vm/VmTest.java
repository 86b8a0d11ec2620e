package smmu.accel.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import smmu.hw.testing.TestHost;
import smmu.accel.guest.DmaBuffer;
import smmu.accel.vsmmu.AccelVsmmu;
import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.ObjectType;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.impl.HostKernel;
import smmu.iommufd.impl.IommufdComponent;
import smmu.vfio.DmaResult;
import smmu.vfio.PciIommuOps;
import smmu.vfio.Vfio;
import smmu.vfio.VfioException;

/**
 * One VM with two accel vSMMUs on two pxb-pcie buses over two physical SMMUs, two vfio-pci devices
 * each, end to end through the host kernel, iommufd and the SMMUs: guest DMA mappings, faults reaching
 * the guest's event queue with the vSID, GBPA, unplug/replug, QEMU's compatibility refusals.
 */
class VmTest {
	static final long RAM = 64L << 20;
	static final String[] DEVS = { "dev0", "dev1", "dev2", "dev3" };

	TestHost hw;
	HostKernel kernel;
	IommufdComponent iommufd;
	final List<Vm> vms = new ArrayList<>();

	void host(KernelMode mode, UnaryOperator<int[]> idr) {
		hw = new TestHost(2, 4, idr);
		kernel = new HostKernel(hw, mode);
		iommufd = new IommufdComponent(kernel);
	}

	Vm vm(String name) {
		Vm vm = new Vm(name, hw, iommufd, hw.userPages, RAM, kernel::awaitInterrupts);
		vms.add(vm);
		return vm;
	}

	/** pcie.1 (bus 1) with smmuv3.0, pcie.2 (bus 8) with smmuv3.1; two devices on each, from host functions fn and fn + 1. */
	Vm twoVsmmus(String name, int fn, AccelVsmmu.Properties props) {
		Vm vm = vm(name);
		vm.addPxb("pcie.1", 1);
		vm.addPxb("pcie.2", 8);
		vm.addVsmmu("smmuv3.0", "pcie.1", props);
		vm.addVsmmu("smmuv3.1", "pcie.2", props);
		vm.plug("dev0", TestHost.bdf(0, fn), "pcie.1", 0);
		vm.plug("dev1", TestHost.bdf(0, fn + 1), "pcie.1", 8);
		vm.plug("dev2", TestHost.bdf(1, fn), "pcie.2", 0);
		vm.plug("dev3", TestHost.bdf(1, fn + 1), "pcie.2", 8);
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

	static byte[] bytes(int n, int seed) {
		byte[] b = new byte[n];
		for (int i = 0; i < n; i++) {
			b[i] = (byte) (seed * 7 + i * 13);
		}
		return b;
	}

	static List<ObjectType> types(Vm vm) {
		return vm.iommufd().objects().stream().map(IommufdObject::type).toList();
	}

	@ParameterizedTest
	@EnumSource(KernelMode.class)
	void guestDmaLandsOnTheRightHostPageAndAnUnmapFaultsIntoTheGuestsEventQueue(KernelMode mode) {
		host(mode, UnaryOperator.identity());
		Vm vm = twoVsmmus("vm0", 0, AccelVsmmu.Properties.DEFAULT);
		vm.boot();
		assertEquals(0x100, vm.device("dev0").vsid());
		assertEquals(0x808, vm.device("dev3").vsid());

		// one container and IOAS for all four devices; one nest-parent S2 (shared) or one per SMMU
		List<Vfio.ContainerInfo> cs = vm.vfio().containers();
		assertEquals(1, cs.size());
		assertEquals("smmuv3-accel-as-sysmem", cs.get(0).addressSpace());
		assertEquals(mode == KernelMode.SHARED ? 1 : 2, cs.get(0).hwpts().size());
		// a vIOMMU per vSMMU, the vDEVICEs with the vSIDs, a nested s1 HWPT per device
		AccelVsmmu v0 = vm.vsmmu("smmuv3.0"), v1 = vm.vsmmu("smmuv3.1");
		assertNotEquals(0, v0.hostState().viommuId());
		assertNotEquals(v0.hostState().viommuId(), v1.hostState().viommuId());
		assertEquals(List.of(0x100, 0x108), List.copyOf(v0.hostState().devices().keySet()));
		for (int[] d : v0.hostState().devices().values()) {
			assertNotEquals(0, d[1], "s1 HWPT");
			assertNotEquals(0, d[2], "vDEVICE");
		}
		assertEquals(Ste.CFG_NESTED, Ste.CONFIG.get(hw.drivers.get("smmu1").readSte(TestHost.sid(1, 1))));
		assertNotEquals(0, v0.hostState().veventqId(), "the guest enabled EVENTQEN");

		GuestMemory gm = vm.ram().memory();
		List<DmaBuffer> bufs = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			String dev = DEVS[i];
			DmaBuffer b = vm.dmaMap(dev, 0x3000);
			bufs.add(b);
			byte[] data = bytes(0x1400, i);
			DmaResult w = vm.dmaWrite(dev, b.iova() + 0xe00, data);
			assertTrue(w.ok(), () -> dev + " " + w.fault());
			assertArrayEquals(new long[] { gm.hostPa(b.gpa() + 0xe00), gm.hostPa(b.gpa() + 0x1000), gm.hostPa(b.gpa() + 0x2000) }, w.hostPas());
			byte[] host = new byte[data.length];
			hw.memory.read(gm.hostPa(b.gpa() + 0xe00), host, 0, 0x200);
			hw.memory.read(gm.hostPa(b.gpa() + 0x1000), host, 0x200, 0x1000);
			hw.memory.read(gm.hostPa(b.gpa() + 0x2000), host, 0x1200, 0x200);
			assertArrayEquals(data, host, "the bytes are on the guest buffer's host pages");
			byte[] viaGuest = new byte[data.length];
			gm.read(b.gpa() + 0xe00, viaGuest, 0, viaGuest.length);
			assertArrayEquals(data, viaGuest);
			byte[] r = new byte[data.length];
			assertTrue(vm.dmaRead(dev, b.iova() + 0xe00, r).ok());
			assertArrayEquals(data, r);
		}

		// guest unmap: TLBI_NH_VA forwarded; the next DMA faults in the guest's stage 1
		assertEquals(List.of(), vm.guestEvents("smmuv3.0"));
		vm.dmaUnmap("dev1", bufs.get(1));
		DmaResult f = vm.dmaWrite("dev1", bufs.get(1).iova() + 0x10, new byte[8]);
		assertEquals(0, f.bytes());
		assertEquals(EventType.F_TRANSLATION, f.fault().event().type());
		assertFalse(f.fault().event().s2());
		List<Event> ev = vm.guestEvents("smmuv3.0");
		assertEquals(1, ev.size(), ev.toString());
		assertEquals(EventType.F_TRANSLATION, ev.get(0).type());
		assertEquals(0x108, ev.get(0).sid(), "the vSID");
		assertEquals(bufs.get(1).iova() + 0x10, ev.get(0).address());
		assertFalse(ev.get(0).read());
		assertEquals(List.of(), vm.guestEvents("smmuv3.1"));
		assertEquals(List.of(), vm.kernel().commandErrors());
		// the other devices still reach their buffers
		assertTrue(vm.dmaRead("dev0", bufs.get(0).iova(), new byte[16]).ok());
		assertTrue(vm.dmaRead("dev3", bufs.get(3).iova(), new byte[16]).ok());
	}

	@Test
	void gbpaAbortAndBypassBeforeTheGuestEnablesItsVsmmu() {
		host(KernelMode.SHARED, UnaryOperator.identity());
		Vm vm = twoVsmmus("vm0", 0, AccelVsmmu.Properties.DEFAULT);
		long gpa = vm.ram().base() + 0x12_3000;
		long hpa = vm.ram().memory().hostPa(gpa);
		// reset GBPA = bypass: the first device is on the bypass HWPT, the second on the S2 parent; both see GPAs
		DmaResult w = vm.dmaWrite("dev0", gpa, new byte[] { 5, 6, 7 });
		assertTrue(w.ok(), () -> String.valueOf(w.fault()));
		assertArrayEquals(new long[] { hpa }, w.hostPas());
		assertTrue(vm.dmaWrite("dev1", gpa + 3, new byte[] { 8 }).ok());
		assertEquals(8, hw.memory.read8(hpa + 3));

		AccelVsmmu v0 = vm.vsmmu("smmuv3.0");
		v0.smmu().write32(Regs.GBPA, Regs.GBPA_UPDATE | Regs.GBPA_ABORT);
		for (String d : List.of("dev0", "dev1")) {
			DmaResult a = vm.dmaWrite(d, gpa, new byte[] { 1 });
			assertFalse(a.ok(), d + " aborted by GBPA");
		}
		assertTrue(vm.dmaWrite("dev2", gpa, new byte[] { 9 }).ok(), "the other vSMMU is still in bypass");
		assertEquals(9, hw.memory.read8(hpa));
		v0.smmu().write32(Regs.GBPA, Regs.GBPA_ABORT);
		assertFalse(vm.dmaWrite("dev0", gpa, new byte[] { 1 }).ok(), "a write without UPDATE changes nothing");
		v0.smmu().write32(Regs.GBPA, Regs.GBPA_UPDATE);
		assertTrue(vm.dmaWrite("dev1", gpa, new byte[] { 4 }).ok());
		assertEquals(4, hw.memory.read8(hpa));
		v0.smmu().write32(Regs.GBPA, Regs.GBPA_UPDATE | Regs.GBPA_ABORT);
		v0.reset();
		assertTrue(vm.dmaWrite("dev0", gpa, new byte[] { 3 }).ok(), "reset: bypass");
		assertEquals(List.of(), v0.reported());

		// once the guest has enabled the vSMMU, its STEs decide
		vm.boot();
		assertFalse(vm.dmaWrite("dev0", gpa, new byte[] { 1 }).ok(), "IOVA = GPA is not mapped by the guest");
		int s1 = v0.hostState().devices().get(0x100)[1];
		assertNotEquals(0, s1);
		// a device reset puts every device on the bypass HWPT; the s1 HWPT stays until the next install
		v0.reset();
		assertTrue(vm.dmaWrite("dev0", gpa, new byte[] { 6 }).ok());
		assertTrue(vm.dmaWrite("dev1", gpa + 1, new byte[] { 6 }).ok());
		assertEquals(s1, v0.hostState().devices().get(0x100)[1]);
		assertTrue(vm.iommufd().objects().stream().anyMatch(o -> o.id() == s1));
		assertEquals(0, v0.smmu().read32(Regs.CR0));
	}

	@Test
	void aSecondDeviceStaysOnTheStage2ParentUntilTheNextGbpaWriteAndMsisGoToTheMsiGpa() {
		host(KernelMode.SHARED, UnaryOperator.identity());
		Vm vm = vm("vm0");
		vm.addPxb("pcie.1", 1);
		AccelVsmmu v0 = vm.addVsmmu("smmuv3.0", "pcie.1", AccelVsmmu.Properties.DEFAULT);
		v0.smmu().write32(Regs.GBPA, Regs.GBPA_UPDATE | Regs.GBPA_ABORT);
		vm.plug("dev0", TestHost.bdf(0, 0), "pcie.1", 0);
		long gpa = vm.ram().base() + 0x4000;
		assertFalse(vm.dmaWrite("dev0", gpa, new byte[] { 1 }).ok(), "the first device is put on the abort HWPT");
		vm.plug("dev1", TestHost.bdf(0, 1), "pcie.1", 8);
		assertTrue(vm.dmaWrite("dev1", gpa, new byte[] { 2 }).ok(), "QEMU leaves the second device on the S2 parent");
		v0.smmu().write32(Regs.GBPA, Regs.GBPA_UPDATE | Regs.GBPA_ABORT);
		assertFalse(vm.dmaWrite("dev1", gpa, new byte[] { 3 }).ok());
		assertEquals(2, hw.memory.read8(vm.ram().memory().hostPa(gpa)));

		assertEquals(VirtMemoryMap.GITS_TRANSLATER, vm.msiRoute("dev1"));
		// a device on pcie.0 without a vSMMU: address_space_memory, its own container, a plain S2, GPAs
		vm.plug("dev2", TestHost.bdf(1, 0), "pcie.0", 0x10);
		assertEquals(List.of("smmuv3-accel-as-sysmem", "memory"), vm.vfio().containers().stream().map(Vfio.ContainerInfo::addressSpace).toList());
		assertTrue(vm.dmaWrite("dev2", gpa, new byte[] { 7 }).ok());
		assertEquals(7, hw.memory.read8(vm.ram().memory().hostPa(gpa)));
		vm.unplug("dev2");
		AccelVsmmu noMsi = vm.addVsmmu("smmuv3.1", "pcie.0", new AccelVsmmu.Properties(44, false, true, 0, 0));
		assertThrows(IllegalStateException.class, () -> noMsi.msiDirectGpa(0, 8));
	}

	@Test
	void aVfioDeviceBehindAnEmulatedSmmuv3IsRefusedByItsMapNotifier() {
		host(KernelMode.SHARED, UnaryOperator.identity());
		Vm vm = vm("vm0");
		smmu.vfio.AddressSpace as = smmu.vfio.AddressSpace.iommu("smmuv3-iommu-memory-region-16-0", new smmu.accel.vsmmu.SmmuV3IommuRegion(),
				vm.sharedAddressSpace());
		PciIommuOps emulated = new PciIommuOps() {
			@Override
			public boolean supportsAddressSpace(int bus, int devfn, DeviceKind kind) {
				return true;
			}

			@Override
			public smmu.vfio.AddressSpace getAddressSpace(int bus, int devfn) {
				return as;
			}

			@Override
			public int viommuFlags() {
				return 0;
			}

			@Override
			public void setIommuDevice(int bus, int devfn, smmu.vfio.HostIommuDevice hiod) {
			}

			@Override
			public void unsetIommuDevice(int bus, int devfn) {
			}

			@Override
			public long msiDirectGpa(int bus, int devfn) {
				return 0;
			}
		};
		VfioException e = assertThrows(VfioException.class, () -> vm.vfio().open(TestHost.bdf(0, 0)).realize(as, emulated, 0, 0x10));
		assertEquals("vfio 0000:01:00.0: device 00.02.0 requires iommu MAP notifier which is not currently supported", e.getMessage());
		assertEquals(List.of(), vm.iommufd().objects());
	}

	@Test
	void unplugFreesTheVirtualIommuWithTheLastDeviceAndReplugRecreatesIt() {
		host(KernelMode.PER_SMMU, UnaryOperator.identity());
		Vm vm = twoVsmmus("vm0", 0, AccelVsmmu.Properties.DEFAULT);
		vm.boot();
		AccelVsmmu v0 = vm.vsmmu("smmuv3.0");
		AccelVsmmu.HostState before = v0.hostState();
		vm.unplug("dev0");
		assertEquals(before.viommuId(), v0.hostState().viommuId(), "dev1 keeps the vIOMMU");
		assertEquals(List.of(0x108), List.copyOf(v0.hostState().devices().keySet()));
		vm.unplug("dev1");
		AccelVsmmu.HostState gone = v0.hostState();
		assertEquals(0, gone.viommuId());
		List<Integer> live = vm.iommufd().objects().stream().map(IommufdObject::id).toList();
		for (int id : new int[] { before.viommuId(), before.abortHwpt(), before.bypassHwpt(), before.veventqId() }) {
			assertFalse(live.contains(id), "object " + id + " destroyed");
		}
		assertEquals(1, types(vm).stream().filter(t -> t == ObjectType.VIOMMU).count(), "smmuv3.1's only");
		assertEquals(0x808, vm.device("dev3").vsid());

		// replug on the running guest (hotplug): a new vIOMMU, proxies and vEVENTQ, the guest attaches it
		vm.plug("dev0", TestHost.bdf(0, 0), "pcie.1", 0);
		AccelVsmmu.HostState again = v0.hostState();
		assertNotEquals(0, again.viommuId());
		assertNotEquals(0, again.veventqId(), "EVENTQEN is set: the vEVENTQ comes with the vIOMMU");
		assertNotEquals(0, again.devices().get(0x100)[1], "the guest's CFGI_STE installed a nested HWPT");
		DmaBuffer b = vm.dmaMap("dev0", 0x1000);
		assertTrue(vm.dmaWrite("dev0", b.iova(), new byte[] { 42 }).ok());
		assertEquals(42, hw.memory.read8(vm.ram().memory().hostPa(b.gpa())));
		vm.dmaUnmap("dev0", b);
		assertFalse(vm.dmaRead("dev0", b.iova(), new byte[1]).ok());
		List<Event> ev = vm.guestEvents("smmuv3.0");
		assertEquals(1, ev.size(), ev.toString());
		assertEquals(0x100, ev.get(0).sid());
		assertEquals(List.of(), v0.reported());
	}

	@Test
	void hostCompatibilityRefusalsCarryQemusMessagesAndLeaveNothingBehind() {
		// host SMMUs with a 44-bit OAS and no range invalidation
		host(KernelMode.SHARED, idr -> {
			idr[5] = (int) Regs.IDR5_OAS.with(idr[5], 4);
			idr[3] = (int) Regs.IDR3_RIL.with(idr[3], 0);
			return idr;
		});
		Vm vm = vm("vm0");
		vm.addPxb("pcie.1", 1);
		vm.addPxb("pcie.2", 2);
		vm.addPxb("pcie.3", 3);
		vm.addVsmmu("smmuv3.0", "pcie.1", new AccelVsmmu.Properties(48, false, false, 0, 0x0809_0040L));
		vm.addVsmmu("smmuv3.1", "pcie.2", new AccelVsmmu.Properties(44, false, true, 0, 0x0809_0040L));
		vm.addVsmmu("smmuv3.2", "pcie.3", new AccelVsmmu.Properties(44, true, false, 0, 0x0809_0040L));
		VfioException oas = assertThrows(VfioException.class, () -> vm.plug("dev0", TestHost.bdf(0, 0), "pcie.1", 0));
		assertEquals("vfio 0000:01:00.0: Failed to set vIOMMU: Host SMMUv3 supports only 44-bit IPA, but the vSMMU OAS implies 48-bit IPA",
				oas.getMessage());
		VfioException ril = assertThrows(VfioException.class, () -> vm.plug("dev0", TestHost.bdf(0, 0), "pcie.2", 0));
		assertEquals("vfio 0000:01:00.0: Failed to set vIOMMU: Host SMMUv3 doesn't support Range Invalidation", ril.getMessage());
		VfioException ats = assertThrows(VfioException.class, () -> vm.plug("dev0", TestHost.bdf(0, 0), "pcie.3", 0));
		assertEquals("vfio 0000:01:00.0: Failed to set vIOMMU: Host SMMUv3 doesn't support Address Translation Services", ats.getMessage());
		assertEquals(List.of(), vm.iommufd().objects());
		assertEquals(List.of(), vm.vfio().containers());
		assertEquals(List.of(), vm.devices());

		AccelVsmmu v = vm.vsmmu("smmuv3.1");
		assertEquals("vfio-pci endpoint devices without an iommufd backend not allowed when using arm-smmuv3,accel=on",
				assertThrows(VfioException.class, () -> v.supportsAddressSpace(2, 0, PciIommuOps.DeviceKind.VFIO_LEGACY)).getMessage());
		assertEquals("Emulated endpoint devices are not allowed when using arm-smmuv3,accel=on",
				assertThrows(VfioException.class, () -> v.supportsAddressSpace(2, 0, PciIommuOps.DeviceKind.EMULATED)).getMessage());
		assertTrue(v.supportsAddressSpace(2, 0, PciIommuOps.DeviceKind.BRIDGE));
		assertTrue(v.supportsAddressSpace(2, 0, null));
		assertEquals(PciIommuOps.WANT_NESTING_PARENT, v.viommuFlags());
		assertEquals(PciIommuOps.WANT_NESTING_PARENT | PciIommuOps.PASID_SUPPORTED,
				new AccelVsmmu("x", 0, new AccelVsmmu.Properties(44, false, true, 8, 0), vm.ram().memory(), vm.sharedAddressSpace(), vm.iommufd(),
						null).viommuFlags());
		assertEquals(0x0809_0040L, v.msiDirectGpa(2, 0));
	}

	@Test
	void illegalConfigurationsAndStage2CommandsAreCommandErrors() {
		host(KernelMode.SHARED, UnaryOperator.identity());
		Vm vm = twoVsmmus("vm0", 0, AccelVsmmu.Properties.DEFAULT);
		vm.boot();
		AccelVsmmu v0 = vm.vsmmu("smmuv3.0");
		smmu.hw.driver.SmmuDriver d = vm.kernel().smmus().get(0).driver();
		assertThrows(smmu.hw.driver.CommandQueueException.class, () -> d.submitAndSync(smmu.hw.driver.Commands.tlbiS2Ipa(0, 0x1000, true)));
		assertThrows(smmu.hw.driver.CommandQueueException.class, () -> d.submitAndSync(smmu.hw.driver.Commands.tlbiS12Vmall(0)));
		// an S2-translate STE for dev1: QEMU's "Invalid STE config", CERROR_ILL, the previous HWPT kept
		int s1 = v0.hostState().devices().get(0x108)[1];
		long[] ste = smmu.hw.driver.SteBuilder.abort();
		ste[0] = Ste.CONFIG.with(ste[0], Ste.CFG_S2_TRANS) | 1;
		long addr = d.steAddress(0x108);
		for (int i = 0; i < 8; i++) {
			vm.ram().memory().write64(addr + 8L * i, ste[i]);
		}
		assertThrows(smmu.hw.driver.CommandQueueException.class, () -> d.submitAndSync(smmu.hw.driver.Commands.cfgiSte(0x108, true)));
		assertTrue(v0.reported().contains("Invalid STE config for sid 0x108"), v0.reported().toString());
		assertEquals(s1, v0.hostState().devices().get(0x108)[1]);
		// an abort STE: the abort HWPT, the s1 HWPT freed
		ste = smmu.hw.driver.SteBuilder.abort();
		for (int i = 0; i < 8; i++) {
			vm.ram().memory().write64(addr + 8L * i, ste[i]);
		}
		d.submitAndSync(smmu.hw.driver.Commands.cfgiSte(0x108, true));
		assertEquals(0, v0.hostState().devices().get(0x108)[1]);
		assertFalse(vm.iommufd().objects().stream().anyMatch(o -> o.id() == s1));
		assertFalse(vm.dmaRead("dev1", vm.guestDevice("dev1").buffers().isEmpty() ? 0x1000 : 0, new byte[1]).ok());
		// CFGI for a SID behind no device of this vSMMU is ignored
		d.submitAndSync(smmu.hw.driver.Commands.cfgiSte(0x700, true));
		assertNotNull(vm.guestDevice("dev0"));
		assertNull(vm.guestDevice("nope"));
	}
}
