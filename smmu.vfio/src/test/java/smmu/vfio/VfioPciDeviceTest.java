package smmu.vfio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import smmu.hw.testing.TestHost;
import smmu.hw.EventType;
import smmu.iommufd.HwInfo;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.ObjectType;
import smmu.iommufd.VmmAddressSpace;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.impl.HostKernel;
import smmu.iommufd.impl.IommufdComponent;

/**
 * vfio-pci realize over the real host kernel: one IOAS per AddressSpace shared by devices, automatic
 * HWPTs (shared across SMMUs or one per SMMU), the RAM listener at IOVA = GPA, the HostIOMMUDevice
 * handed to the vIOMMU, unwinding, teardown, device DMA through the SMMU, and the IOMMU-notifier path.
 */
class VfioPciDeviceTest {
	static final long GPA = 0x4000_0000L, RAM = 8L << 20, VA = 0x7f00_0000_0000L, SCRATCH = 0x7e00_0000_0000L;

	TestHost hw;
	HostKernel kernel;
	IommufdContext ctx;
	VmmAddressSpace mm;
	Vfio vfio;
	long ramPa;
	AddressSpace sysmem;

	void boot(KernelMode mode) {
		hw = new TestHost(2, 2, UnaryOperator.identity());
		kernel = new HostKernel(hw, mode);
		mm = new VmmAddressSpace(hw.memory);
		ramPa = hw.userPages.allocate(RAM, 1 << 21);
		mm.map(VA, RAM, ramPa, true);
		ctx = new IommufdComponent(kernel).open(mm, true);
		vfio = new Vfio(hw, ctx, new UserBuffer(mm, SCRATCH, hw.userPages.allocate(4096)));
		sysmem = AddressSpace.ram("sysmem", List.of(new AddressSpace.RamSection(GPA, RAM, VA, false)));
	}

	@AfterEach
	void shutdown() {
		if (kernel != null) {
			kernel.deactivate();
		}
	}

	/** A vIOMMU's callbacks as a test sees them. */
	static final class Ops implements PciIommuOps {
		final int flags;
		final List<String> calls = new ArrayList<>();
		final Map<Integer, HostIommuDevice> devices = new TreeMap<>();
		String refuse;

		Ops(int flags) {
			this.flags = flags;
		}

		@Override
		public boolean supportsAddressSpace(int bus, int devfn, DeviceKind kind) {
			return true;
		}

		@Override
		public AddressSpace getAddressSpace(int bus, int devfn) {
			throw new UnsupportedOperationException();
		}

		@Override
		public int viommuFlags() {
			return flags;
		}

		@Override
		public void setIommuDevice(int bus, int devfn, HostIommuDevice hiod) {
			calls.add("set " + bus + ":" + devfn);
			if (refuse != null) {
				throw new VfioException(refuse);
			}
			devices.put(bus << 8 | devfn, hiod);
		}

		@Override
		public void unsetIommuDevice(int bus, int devfn) {
			calls.add("unset " + bus + ":" + devfn);
			devices.remove(bus << 8 | devfn);
		}

		@Override
		public long msiDirectGpa(int bus, int devfn) {
			return 0;
		}
	}

	/** A vIOMMU with an IOMMU region: mappings iova -> gpa, MAP/UNMAP notifications, replay. */
	static class TestIommu implements AddressSpace.IommuRegion {
		final TreeMap<Long, long[]> maps = new TreeMap<>();
		final List<AddressSpace.IommuNotifier> notifiers = new ArrayList<>();

		@Override
		public void registerNotifier(AddressSpace.IommuNotifier n, int bus, int devfn) {
			notifiers.add(n);
		}

		@Override
		public void unregisterNotifier(AddressSpace.IommuNotifier n) {
			notifiers.remove(n);
		}

		@Override
		public void replay(AddressSpace.IommuNotifier n) {
			maps.forEach((iova, m) -> n.notify(new AddressSpace.IotlbEvent(iova, m[0], m[1] - 1, true, true)));
		}

		void map(long iova, long gpa, long size) {
			maps.put(iova, new long[] { gpa, size });
			notifiers.forEach(n -> n.notify(new AddressSpace.IotlbEvent(iova, gpa, size - 1, true, true)));
		}

		void unmap(long iova) {
			long size = maps.remove(iova)[1];
			notifiers.forEach(n -> n.notify(new AddressSpace.IotlbEvent(iova, 0, size - 1, false, false)));
		}
	}

	static byte[] bytes(int n, int seed) {
		byte[] b = new byte[n];
		for (int i = 0; i < n; i++) {
			b[i] = (byte) (seed + 31 * i);
		}
		return b;
	}

	List<IommufdObject> objects(ObjectType t) {
		return ctx.objects().stream().filter(o -> o.type() == t).toList();
	}

	@ParameterizedTest
	@EnumSource(KernelMode.class)
	void devicesOfOneAddressSpaceShareTheIoasAndGuestRamIsMappedAtIovaGpa(KernelMode mode) {
		boot(mode);
		Ops ops = new Ops(PciIommuOps.WANT_NESTING_PARENT);
		VfioPciDevice d0 = vfio.open(TestHost.bdf(0, 0)), d1 = vfio.open(TestHost.bdf(1, 0)), d2 = vfio.open(TestHost.bdf(0, 1));
		d0.realize(sysmem, ops, 1, 0);
		d1.realize(sysmem, ops, 8, 0);
		d2.realize(sysmem, ops, 1, 8);
		assertEquals(List.of("set 1:0", "set 8:0", "set 1:8"), ops.calls);

		assertEquals(1, objects(ObjectType.IOAS).size());
		List<Vfio.ContainerInfo> cs = vfio.containers();
		assertEquals(1, cs.size());
		int s2a = d0.hostIommuDevice().hwptId(), s2b = d1.hostIommuDevice().hwptId();
		assertEquals(s2a, d2.hostIommuDevice().hwptId(), "the same SMMU always shares");
		if (mode == KernelMode.SHARED) {
			assertEquals(s2a, s2b);
			assertEquals(Map.of(s2a, List.of(d0.bdf(), d1.bdf(), d2.bdf())), cs.get(0).hwpts());
		} else {
			assertNotEquals(s2a, s2b, "EINVAL on the first HWPT: the next one is allocated");
			assertEquals(Map.of(s2a, List.of(d0.bdf(), d2.bdf()), s2b, List.of(d1.bdf())), cs.get(0).hwpts());
			// QLIST_INSERT_HEAD: the newer HWPT is tried first
			assertEquals(List.of(s2b, s2a), List.copyOf(cs.get(0).hwpts().keySet()));
		}
		for (IommufdObject o : objects(ObjectType.HWPT_PAGING)) {
			assertTrue(o.id() == s2a || o.id() == s2b);
		}
		HostIommuDevice h = d0.hostIommuDevice();
		assertEquals(HwInfo.TYPE_ARM_SMMUV3, h.caps().type());
		assertEquals(1, (h.caps().idr(0) >> 27) & 3, "IDR0.ST_LEVEL of the host");
		assertEquals(5, h.caps().idr(5) & 7, "48-bit OAS reported");

		// DMA at IOVA = GPA lands in guest RAM's host page, from each device through its SMMU
		byte[] data = bytes(6000, 3);
		DmaResult w = d1.dmaWrite(GPA + 0x1ff0, data);
		assertTrue(w.ok(), () -> String.valueOf(w.fault()));
		assertArrayEquals(new long[] { ramPa + 0x1ff0, ramPa + 0x2000, ramPa + 0x3000 }, w.hostPas());
		byte[] back = new byte[6000];
		hw.memory.read(ramPa + 0x1ff0, back, 0, back.length);
		assertArrayEquals(data, back);
		byte[] r = new byte[6000];
		assertTrue(d2.dmaRead(GPA + 0x1ff0, r).ok());
		assertArrayEquals(data, r);
		// an MSI write: four little-endian bytes at the doorbell address
		DmaResult msi = d0.msiWrite(GPA + 0x40, 0x1234_5678);
		assertTrue(msi.ok());
		assertEquals(0x1234_5678, hw.memory.read32(ramPa + 0x40));
		// beyond guest RAM: the stage-2 fault of the SMMU
		DmaResult f = d0.dmaWrite(GPA + RAM - 8, new byte[16]);
		assertEquals(8, f.bytes());
		assertEquals(EventType.F_TRANSLATION, f.fault().event().type());
		assertTrue(f.fault().event().s2());

		// teardown: the HWPT goes with its last device, the IOAS with the container's last device
		d0.unrealize();
		assertEquals(List.of("set 1:0", "set 8:0", "set 1:8", "unset 1:0"), ops.calls);
		assertEquals(1, vfio.containers().size());
		d2.unrealize();
		assertEquals(mode == KernelMode.SHARED ? 1 : 1, objects(ObjectType.HWPT_PAGING).size());
		assertFalse(d0.dmaRead(GPA, new byte[4]).ok(), "an unbound device is blocked");
		d1.unrealize();
		assertEquals(List.of(), vfio.containers());
		assertEquals(List.of(), ctx.objects());
		d0.realize(sysmem, ops, 1, 0);
		assertEquals(1, vfio.containers().size());
	}

	@ParameterizedTest
	@EnumSource(KernelMode.class)
	void anMsiIsAWriteThroughTheSmmuToTheItsDoorbellMappedAtTheSwMsiWindow(KernelMode mode) {
		boot(mode);
		Ops ops = new Ops(PciIommuOps.WANT_NESTING_PARENT);
		VfioPciDevice d0 = vfio.open(TestHost.bdf(0, 0)), d1 = vfio.open(TestHost.bdf(0, 1)), d2 = vfio.open(TestHost.bdf(1, 0));
		d0.realize(sysmem, ops, 1, 0);
		d1.realize(sysmem, ops, 1, 8);
		d2.realize(sysmem, ops, 8, 0);
		smmu.hw.irq.MsiController its = hw.msiController();
		assertEquals(0x2f03_0040L, its.doorbell());
		smmu.hw.irq.MsiController.Target t = new smmu.hw.irq.MsiController.Target("vm", 5);
		// iommufd_sw_msi: the ITS page at the first page of the window, the doorbell's offset kept
		assertEquals(0x800_0040L, d0.enableMsi(3, t));
		assertEquals(1, ctx.swMsiPages());
		MsiResult r = d0.raiseMsi(3);
		assertTrue(r.delivered(), r.toString());
		assertEquals(0x2f03_0040L, r.pa());
		assertEquals(new smmu.hw.irq.MsiController.Delivery(TestHost.sid(0, 0), 3, t), r.delivery());
		// the same doorbell page for another device of the same domain: nothing new mapped
		d1.enableMsi(0, new smmu.hw.irq.MsiController.Target("vm", 6));
		assertEquals(1, ctx.swMsiPages());
		assertTrue(d1.raiseMsi(0).delivered());
		// a device behind the other SMMU: one more page in PER_SMMU (its own HWPT), none when shared
		d2.enableMsi(1, new smmu.hw.irq.MsiController.Target("vm", 7));
		assertEquals(mode == KernelMode.SHARED ? 1 : 2, ctx.swMsiPages());
		assertEquals(7, d2.raiseMsi(1).delivery().target().vector());
		// an EventID the ITS has no mapping for is dropped
		d1.disableMsi(0);
		assertThrows(IllegalStateException.class, () -> d1.raiseMsi(0));
		assertEquals(3, its.deliveries().size());
	}

	@Test
	void aGicv2mHostTakesTheSpiAsDataWhoeverWrites() {
		boot(KernelMode.SHARED);
		hw.msi = new smmu.hw.irq.MsiController(smmu.hw.irq.MsiController.Kind.GICV2M, 0x2f00_0000L);
		VfioPciDevice d0 = vfio.open(TestHost.bdf(0, 0));
		d0.realize(sysmem, new Ops(PciIommuOps.WANT_NESTING_PARENT), 1, 0);
		assertEquals(0x800_0040L, d0.enableMsi(2, new smmu.hw.irq.MsiController.Target("vm", 2)));
		MsiResult r = d0.raiseMsi(2);
		assertEquals(0x2f00_0040L, r.pa());
		assertEquals(VfioPciDevice.GICV2M_FIRST_SPI + 2, r.data());
		assertEquals(-1, r.delivery().deviceId());
		assertTrue(r.delivered());
	}

	@Test
	void theListenerMapsEveryRamLikeSectionRomsReadOnlyAndOnlyReportsAFailedRamDevice() {
		boot(KernelMode.SHARED);
		long romGpa = 0x1000_0000L, romVa = 0x7d00_0000_0000L, barGpa = 0x8000_0000_00L, unmappedVa = 0x7c00_0000_0000L;
		long romPa = hw.userPages.allocate(0x10000, 0x10000);
		mm.map(romVa, 0x10000, romPa, true);
		AddressSpace as = AddressSpace.ram("sysmem", List.of(new AddressSpace.RamSection(GPA, RAM, VA, false),
				new AddressSpace.RamSection(romGpa, 0x10000, romVa, false, AddressSpace.Kind.ROM),
				// a BAR mmap the VMM never mapped: IOAS_MAP fails, P2P to it will not work, the device still attaches
				new AddressSpace.RamSection(barGpa, 0x1000, unmappedVa, false, AddressSpace.Kind.RAM_DEVICE)));
		VfioPciDevice d0 = vfio.open(TestHost.bdf(0, 0));
		d0.realize(as, new Ops(PciIommuOps.WANT_NESTING_PARENT), 1, 0);
		assertTrue(d0.dmaRead(romGpa + 0x100, new byte[8]).ok(), "the ROM is mapped");
		assertEquals(EventType.F_PERMISSION, d0.dmaWrite(romGpa + 0x100, new byte[8]).fault().event().type(), "read-only");
		assertEquals(1, vfio.reported().size());
		assertTrue(vfio.reported().get(0).startsWith(String.format("vfio_container_dma_map(0x%x, 0x1000, 0x%x) = -14", barGpa, unmappedVa)),
				vfio.reported().get(0));
		assertTrue(d0.dmaWrite(GPA, new byte[8]).ok());
	}

	@Test
	void withoutNestingTheHwptIsAPlainPagingOneAndAnotherAddressSpaceGetsItsOwnIoas() {
		boot(KernelMode.SHARED);
		Ops ops = new Ops(0);
		VfioPciDevice d0 = vfio.open(TestHost.bdf(0, 0)), d1 = vfio.open(TestHost.bdf(0, 1));
		d0.realize(sysmem, ops, 0, 8);
		AddressSpace other = AddressSpace.ram("other", List.of(new AddressSpace.RamSection(GPA, RAM, VA, true)));
		d1.realize(other, ops, 0, 16);
		assertEquals(2, objects(ObjectType.IOAS).size());
		assertEquals(2, vfio.containers().size());
		assertNotEquals(d0.hostIommuDevice().hwptId(), d1.hostIommuDevice().hwptId());
		assertTrue(d1.dmaRead(GPA, new byte[8]).ok());
		DmaResult ro = d1.dmaWrite(GPA, new byte[8]);
		assertEquals(EventType.F_PERMISSION, ro.fault().event().type(), "a read-only section is mapped without WRITEABLE");
		int flags = kernelFlags(d0.hostIommuDevice().hwptId());
		assertEquals(0, flags & HwptAlloc.NEST_PARENT);
	}

	int kernelFlags(int hwpt) {
		// the HWPT's flags are not visible through the uAPI; a vIOMMU on a non-parent HWPT is refused
		try {
			ctx.viommuAlloc(smmu.iommufd.ViommuAlloc.arm(1, hwpt));
			return HwptAlloc.NEST_PARENT;
		} catch (smmu.iommufd.IommufdException e) {
			return 0;
		}
	}

	@Test
	void aRefusedSetIommuDeviceUndoesEverythingWithQemusPrefix() {
		boot(KernelMode.SHARED);
		Ops ops = new Ops(PciIommuOps.WANT_NESTING_PARENT);
		ops.refuse = "Host SMMUv3 doesn't support Range Invalidation";
		VfioPciDevice d0 = vfio.open(TestHost.bdf(0, 0));
		VfioException e = assertThrows(VfioException.class, () -> d0.realize(sysmem, ops, 1, 0));
		assertEquals("vfio 0000:01:00.0: Failed to set vIOMMU: Host SMMUv3 doesn't support Range Invalidation", e.getMessage());
		assertEquals(List.of(), ctx.objects());
		assertEquals(List.of(), vfio.containers());
		assertFalse(d0.realized());
		assertEquals(0, d0.devId());
		ops.refuse = null;
		d0.realize(sysmem, ops, 1, 0);
		assertTrue(d0.realized());
		VfioException dup = assertThrows(VfioException.class, () -> vfio.open(TestHost.bdf(0, 0)).realize(sysmem, ops, 1, 0));
		assertTrue(dup.getMessage().startsWith("vfio 0000:01:00.0: error bind device to iommufd: errno EBUSY"), dup.getMessage());
		assertThrows(VfioException.class, () -> vfio.open("0000:7f:00.0"));
	}

	@Test
	void theIommuNotifierPathShadowsTheVirtualIommuIntoTheIoas() {
		boot(KernelMode.SHARED);
		TestIommu viommu = new TestIommu();
		viommu.map(0x10_0000L, GPA + 0x5000, 0x2000);
		AddressSpace as = AddressSpace.iommu("viommu-as", viommu, sysmem);
		Ops ops = new Ops(0);
		VfioPciDevice d0 = vfio.open(TestHost.bdf(1, 1));
		d0.realize(as, ops, 0, 8);
		assertEquals(1, viommu.notifiers.size());
		// replayed at realize
		byte[] data = bytes(0x1800, 9);
		DmaResult w = d0.dmaWrite(0x10_0800L, data);
		assertTrue(w.ok());
		assertArrayEquals(new long[] { ramPa + 0x5800, ramPa + 0x6000 }, w.hostPas());
		// a new MAP, then its UNMAP
		viommu.map(0x20_0000L, GPA + 0x7000, 0x1000);
		assertTrue(d0.dmaWrite(0x20_0010L, new byte[] { 1, 2 }).ok());
		assertEquals(2, hw.memory.read8(ramPa + 0x7011));
		viommu.unmap(0x20_0000L);
		DmaResult gone = d0.dmaWrite(0x20_0010L, new byte[] { 1 });
		assertEquals(EventType.F_TRANSLATION, gone.fault().event().type());
		// outside RAM: only reported
		viommu.map(0x30_0000L, 0x0900_0000L, 0x1000);
		assertEquals(List.of("iommu map to non memory area 9000000"), vfio.reported());
		assertFalse(d0.dmaRead(0x30_0000L, new byte[1]).ok());
		d0.unrealize();
		assertEquals(List.of(), viommu.notifiers);
		assertEquals(List.of(), ctx.objects());
	}

	@Test
	void aVirtualIommuThatRefusesMapNotifiersFailsTheRealize() {
		boot(KernelMode.SHARED);
		AddressSpace.IommuRegion refusing = new TestIommu() {
			@Override
			public void registerNotifier(AddressSpace.IommuNotifier n, int bus, int devfn) {
				throw new VfioException(String.format("device %02x.%02x.%x requires iommu MAP notifier which is not currently supported", bus,
						devfn >> 3, devfn & 7));
			}
		};
		VfioPciDevice d0 = vfio.open(TestHost.bdf(0, 0));
		VfioException e = assertThrows(VfioException.class, () -> d0.realize(AddressSpace.iommu("emulated", refusing, sysmem), new Ops(0), 0, 0x10));
		assertEquals("vfio 0000:01:00.0: device 00.02.0 requires iommu MAP notifier which is not currently supported", e.getMessage());
		assertEquals(List.of(), ctx.objects());
		assertNull(d0.hostIommuDevice());
	}
}
