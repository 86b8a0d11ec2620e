package smmu.vfio.impl;

import smmu.iommufd.testing.FakeProcess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static smmu.vfio.VfioIoctls.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import smmu.hw.PciFunction;
import smmu.hw.testing.TestHost;
import smmu.iommufd.Errno;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;
import smmu.iommufd.ObjectType;
import smmu.iommufd.VmmAddressSpace;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.impl.HostKernel;
import smmu.iommufd.impl.IommufdComponent;
import smmu.vfio.VfioCdev;

/** The vfio-pci device file for a real process: bind, attach, info, config space, BARs, INTx, reset, release. */
class VfioCdevTest {
	static final long ARG = 0x7e00_0000_0000L;
	static final String BDF = TestHost.bdf(0);

	TestHost hw;
	HostKernel kernel;
	IommufdComponent iommufd;
	VfioCdevsComponent cdevs;
	VmmAddressSpace mm;
	IommufdContext ctx;
	FakeProcess proc;
	int ictxFd;
	PciFunction fn;

	@BeforeEach
	void boot() {
		hw = new TestHost(2, 2, UnaryOperator.identity());
		kernel = new HostKernel(hw, KernelMode.SHARED);
		iommufd = new IommufdComponent(kernel);
		cdevs = new VfioCdevsComponent(hw, iommufd);
		mm = new VmmAddressSpace(hw.memory);
		mm.map(ARG, 0x10000, hw.userPages.allocate(0x10000), true);
		ctx = iommufd.open(new VmmAddressSpace(), false);
		proc = new FakeProcess(mm);
		ictxFd = proc.open(ctx);
		fn = hw.function(BDF).orElseThrow();
	}

	@AfterEach
	void shutdown() {
		kernel.deactivate();
	}

	static ByteBuffer struct(int size) {
		return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN).putInt(0, size);
	}

	ByteBuffer call(VfioCdev dev, int cmd, ByteBuffer in) {
		mm.write(ARG, in.array());
		assertEquals(0, dev.ioctl(cmd, ARG, proc));
		return back(in.capacity());
	}

	ByteBuffer back(int n) {
		byte[] b = new byte[n];
		mm.read(ARG, b);
		return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
	}

	static IommufdException fails(Errno errno, Executable call) {
		IommufdException e = assertThrows(IommufdException.class, call);
		assertEquals(errno, e.errno(), e.getMessage());
		return e;
	}

	void failsIoctl(Errno errno, VfioCdev dev, int cmd, ByteBuffer in) {
		mm.write(ARG, in.array());
		fails(errno, () -> dev.ioctl(cmd, ARG, proc));
	}

	VfioCdev bound() {
		VfioCdev dev = cdevs.open(BDF);
		call(dev, VFIO_DEVICE_BIND_IOMMUFD, struct(16).putInt(8, ictxFd));
		return dev;
	}

	int cfg32(VfioCdev dev, int off) {
		byte[] b = new byte[4];
		assertEquals(4, dev.pread(regionOffset(PCI_CONFIG_REGION_INDEX) + off, b));
		return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
	}

	void cfgWrite32(VfioCdev dev, int off, int v) {
		byte[] b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
		assertEquals(4, dev.pwrite(regionOffset(PCI_CONFIG_REGION_INDEX) + off, b));
	}

	boolean hasDevice() {
		return ctx.objects().stream().anyMatch(o -> o.type() == ObjectType.DEVICE);
	}

	@Test
	void openIsExclusiveAndNeedsAKnownFunction() {
		fails(Errno.ENODEV, () -> cdevs.open("0000:7f:00.0"));
		VfioCdev dev = cdevs.open(BDF);
		fails(Errno.EBUSY, () -> cdevs.open(BDF));
		assertEquals(List.of(dev), cdevs.opened());
		dev.close();
		assertEquals(List.of(), cdevs.opened());
		// a VMM of the model holds the function
		int id = ctx.bindDevice(BDF);
		fails(Errno.EBUSY, () -> cdevs.open(BDF));
		ctx.unbindDevice(id);
		cdevs.open(BDF).close();
	}

	@Test
	void bindAttachDetachAndReleaseTheBind() {
		VfioCdev dev = cdevs.open(BDF);
		fails(Errno.EINVAL, () -> dev.ioctl(VFIO_DEVICE_GET_INFO, ARG, proc));
		fails(Errno.EINVAL, () -> dev.pread(regionOffset(PCI_CONFIG_REGION_INDEX), new byte[4]));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_BIND_IOMMUFD, struct(16).putInt(0, 12).putInt(8, ictxFd));
		ByteBuffer tail = struct(24).putInt(8, ictxFd).putInt(20, 1);
		failsIoctl(Errno.E2BIG, dev, VFIO_DEVICE_BIND_IOMMUFD, tail);
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_BIND_IOMMUFD, struct(16).putInt(4, 1).putInt(8, ictxFd));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_BIND_IOMMUFD, struct(16).putInt(8, -1));
		failsIoctl(Errno.EBADF, dev, VFIO_DEVICE_BIND_IOMMUFD, struct(16).putInt(8, 99));
		failsIoctl(Errno.EBADFD, dev, VFIO_DEVICE_BIND_IOMMUFD, struct(16).putInt(8, proc.open(Path.of("/dev/shm/ram"))));
		assertFalse(hasDevice());
		int devid = call(dev, VFIO_DEVICE_BIND_IOMMUFD, struct(24).putInt(8, ictxFd)).getInt(12);
		assertEquals(ObjectType.DEVICE, ctx.objects().stream().filter(o -> o.id() == devid).findFirst().orElseThrow().type());
		assertTrue(iommufd.isBound(BDF));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_BIND_IOMMUFD, struct(16).putInt(8, ictxFd));

		int ioas = ctx.ioasAlloc(IoasAlloc.request()).outIoasId();
		int hwpt = call(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, struct(12).putInt(8, ioas)).getInt(8);
		assertEquals(ObjectType.HWPT_PAGING, ctx.objects().stream().filter(o -> o.id() == hwpt).findFirst().orElseThrow().type());
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, struct(16).putInt(4, 1).putInt(8, ioas));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, struct(12).putInt(4, 2).putInt(8, ioas));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, struct(12).putInt(0, 8).putInt(8, ioas));
		failsIoctl(Errno.ENOENT, dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, struct(12).putInt(8, 99));
		call(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, struct(8));
		call(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, struct(12).putInt(8, ioas));

		dev.close();
		assertFalse(hasDevice(), "release unbinds: the DEVICE object is gone");
		assertFalse(iommufd.isBound(BDF));
		assertEquals(List.of(ObjectType.IOAS), ctx.objects().stream().map(o -> o.type()).toList(), "the automatic HWPT went with its device");
		fails(Errno.EBADF, () -> dev.ioctl(VFIO_DEVICE_GET_INFO, ARG, proc));
		dev.close();
		cdevs.open(BDF);
	}

	@Test
	void infoRegionsAndIrqs() {
		VfioCdev dev = bound();
		ByteBuffer info = call(dev, VFIO_DEVICE_GET_INFO, struct(24));
		assertEquals(DEVICE_FLAGS_PCI | DEVICE_FLAGS_RESET, info.getInt(4));
		assertEquals(9, info.getInt(8));
		assertEquals(5, info.getInt(12));
		mm.write(ARG, struct(24).putInt(0, 16).putInt(16, 0x77).array());
		dev.ioctl(VFIO_DEVICE_GET_INFO, ARG, proc);
		assertEquals(0x77, back(24).getInt(16), "only argsz bytes are written back");
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_GET_INFO, struct(8));

		long[][] want = { { 16 << 10, REGION_INFO_FLAG_READ | REGION_INFO_FLAG_WRITE }, { 0, 0 }, { 1 << 20, REGION_INFO_FLAG_READ | REGION_INFO_FLAG_WRITE },
				{ 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 4096, REGION_INFO_FLAG_READ | REGION_INFO_FLAG_WRITE } };
		for (int i = 0; i < want.length; i++) {
			ByteBuffer r = call(dev, VFIO_DEVICE_GET_REGION_INFO, struct(32).putInt(8, i));
			assertEquals(want[i][1], r.getInt(4), "flags of region " + i + ": no MMAP, QEMU uses pread/pwrite");
			assertEquals(want[i][0], r.getLong(16), "size of region " + i);
			assertEquals((long) i << 40, r.getLong(24));
		}
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_GET_REGION_INFO, struct(32).putInt(8, PCI_VGA_REGION_INDEX));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_GET_REGION_INFO, struct(32).putInt(8, 9));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_GET_REGION_INFO, struct(32).putInt(0, 24));

		int[][] irqs = { { 1, IRQ_INFO_EVENTFD | IRQ_INFO_MASKABLE | IRQ_INFO_AUTOMASKED }, { 1, IRQ_INFO_EVENTFD | IRQ_INFO_NORESIZE },
				{ 0, IRQ_INFO_EVENTFD | IRQ_INFO_NORESIZE }, { 1, IRQ_INFO_EVENTFD | IRQ_INFO_NORESIZE }, { 1, IRQ_INFO_EVENTFD | IRQ_INFO_NORESIZE } };
		for (int i = 0; i < irqs.length; i++) {
			ByteBuffer r = call(dev, VFIO_DEVICE_GET_IRQ_INFO, struct(16).putInt(8, i));
			assertEquals(irqs[i][0], r.getInt(12), "count of irq index " + i);
			assertEquals(irqs[i][1], r.getInt(4), "flags of irq index " + i);
		}
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_GET_IRQ_INFO, struct(16).putInt(8, 5));
		failsIoctl(Errno.ENOTTY, dev, 0x3b99, struct(16));
		// QEMU probes migration: ENOTTY is what it tolerates
		failsIoctl(Errno.ENOTTY, dev, VFIO_DEVICE_FEATURE, struct(8).putInt(4, 1 | 1 << 16 | 1 << 18));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_FEATURE, struct(8).putInt(4, 1 | 1 << 16 | 1 << 17));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_FEATURE, struct(8).putInt(4, 1 << 20));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_FEATURE, struct(8).putInt(0, 4));
	}

	@Test
	void configSpaceAsVfioPciVirtualizesIt() {
		VfioCdev dev = bound();
		byte[] all = new byte[4096];
		assertEquals(4096, dev.pread(regionOffset(PCI_CONFIG_REGION_INDEX), all));
		ByteBuffer c = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
		assertEquals(0x1b36, c.getShort(0) & 0xffff);
		assertEquals(0x0005, c.getShort(2) & 0xffff);
		assertEquals(0x00ff00, c.getInt(8) >>> 8);
		assertEquals(PciFunction.STATUS_CAP_LIST, c.getShort(6) & PciFunction.STATUS_CAP_LIST);
		assertEquals(1, c.get(0x3d), "INTA#");
		// capability list: PCI Express (FLR advertised), then MSI
		int p = c.get(0x34) & 0xff;
		assertEquals(PciFunction.CAP_ID_EXP, c.get(p));
		assertTrue((c.getInt(p + 4) & 1 << 28) != 0);
		int q = c.get(p + 1) & 0xff;
		assertEquals(PciFunction.CAP_ID_MSI, c.get(q));
		assertEquals(0, c.get(q + 1));

		// BAR sizing: all-ones reads back the size mask with the type bits; the hardware's BARs never change
		cfgWrite32(dev, 0x10, -1);
		assertEquals(0xffffc000, cfg32(dev, 0x10));
		cfgWrite32(dev, 0x14, -1);
		assertEquals(0, cfg32(dev, 0x14), "BAR 1 is not implemented");
		cfgWrite32(dev, 0x18, -1);
		cfgWrite32(dev, 0x1c, -1);
		assertEquals(0xfff0000c, cfg32(dev, 0x18), "1 MiB, 64-bit, prefetchable");
		assertEquals(0xffffffff, cfg32(dev, 0x1c));
		cfgWrite32(dev, 0x10, 0x1000_4000);
		assertEquals(0x1000_4000, cfg32(dev, 0x10));
		assertEquals(0, fn.readConfig(0x10, 4));
		// writes to read-only IDs are dropped; the interrupt line is virtual
		cfgWrite32(dev, 0, 0x12345678);
		assertEquals(0x00051b36, cfg32(dev, 0));
		dev.pwrite(regionOffset(PCI_CONFIG_REGION_INDEX) + 0x3c, new byte[] { 0x2a });
		assertEquals(0x2a, cfg32(dev, 0x3c) & 0xff);
		assertEquals(0, fn.readConfig(0x3c, 1));
		// MSI enable is virtual: SET_IRQS enables the hardware's
		dev.pwrite(regionOffset(PCI_CONFIG_REGION_INDEX) + q + 2, new byte[] { 1, 0 });
		assertEquals(1, (cfg32(dev, q) >>> 16) & 1);
		assertEquals(0, fn.readConfig(q + 2, 2) & 1);
		fails(Errno.EFAULT, () -> dev.pread(regionOffset(PCI_CONFIG_REGION_INDEX) + 4094, new byte[4]));
		fails(Errno.EINVAL, () -> dev.pread(regionOffset(PCI_NUM_REGIONS), new byte[4]));
	}

	@Test
	void barsNeedMemoryDecodingAndStopAtTheirEnd() {
		VfioCdev dev = bound();
		long bar0 = regionOffset(0);
		fails(Errno.EIO, () -> dev.pread(bar0, new byte[4]));
		cfgWrite32(dev, 4, PciFunction.COMMAND_MEMORY);
		assertTrue(fn.memoryEnabled(), "the command register reaches the hardware");
		byte[] v = { 1, 2, 3, 4, 5, 6, 7, 8 };
		assertEquals(8, dev.pwrite(bar0 + 8, v));
		assertEquals(0x0807060504030201L, fn.barRead(0, 8, 8));
		byte[] tail = new byte[16];
		assertEquals(8, dev.pread(bar0 + (16 << 10) - 8, tail), "truncated at the BAR's end");
		fails(Errno.EINVAL, () -> dev.pread(bar0 + (16 << 10), new byte[4]));
		fails(Errno.EINVAL, () -> dev.pread(regionOffset(1), new byte[4]));
		fails(Errno.EINVAL, () -> dev.pwrite(regionOffset(PCI_ROM_REGION_INDEX), new byte[4]));
		// reset: BAR contents gone, the header restored (memory decoding stays on)
		call(dev, VFIO_DEVICE_RESET, struct(4));
		assertEquals(0, fn.barRead(0, 8, 8));
		assertTrue(fn.memoryEnabled());
		dev.pwrite(bar0, v);
		// an FLR requested in the PCI Express capability resets too
		int exp = fn.capability(PciFunction.CAP_ID_EXP);
		dev.pwrite(regionOffset(PCI_CONFIG_REGION_INDEX) + exp + 9, new byte[] { (byte) 0x80 });
		assertEquals(0, fn.barRead(0, 0, 8));
		assertEquals(0, cfg32(dev, exp + 8) & 1 << 15, "Initiate FLR reads 0");
	}

	ByteBuffer irqSet(int flags, int index, int start, int count, int... data) {
		ByteBuffer b = struct(20 + 4 * data.length).putInt(4, flags).putInt(8, index).putInt(12, start).putInt(16, count);
		for (int i = 0; i < data.length; i++) {
			b.putInt(20 + 4 * i, data[i]);
		}
		return b;
	}

	@Test
	void intxSignalsTheEventfdAutomaskedUntilUnmasked() {
		VfioCdev dev = bound();
		int efd = proc.open("eventfd");
		failsIoctl(Errno.EBADF, dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_EVENTFD | IRQ_SET_ACTION_TRIGGER, 0, 0, 1, 99));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_EVENTFD | IRQ_SET_ACTION_TRIGGER, 0, 0, 1, ictxFd));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_EVENTFD | IRQ_SET_ACTION_TRIGGER, 0, 1, 1, efd));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_EVENTFD | IRQ_SET_DATA_BOOL | IRQ_SET_ACTION_TRIGGER, 0, 0, 1, efd));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_EVENTFD | IRQ_SET_ACTION_TRIGGER, 0, 0, 1).putInt(0, 20));
		failsIoctl(Errno.ENOTTY, dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_NONE | IRQ_SET_ACTION_TRIGGER | IRQ_SET_ACTION_MASK, 0, 0, 1));
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_NONE | IRQ_SET_ACTION_UNMASK, 0, 0, 1));
		call(dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_EVENTFD | IRQ_SET_ACTION_TRIGGER, 0, 0, 1, efd));

		fn.setIntx(true);
		assertEquals(List.of(efd), proc.takeSignals());
		assertTrue((fn.readConfig(4, 2) & PciFunction.COMMAND_INTX_DISABLE) != 0, "automasked at the function");
		fn.setIntx(false);
		fn.setIntx(true);
		assertEquals(List.of(), proc.takeSignals(), "masked until the user unmasks");
		call(dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_NONE | IRQ_SET_ACTION_UNMASK, 0, 0, 1));
		assertEquals(List.of(efd), proc.takeSignals(), "still asserted: it fires again at unmask");
		fn.setIntx(false);
		call(dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_NONE | IRQ_SET_ACTION_UNMASK, 0, 0, 1));
		assertEquals(List.of(), proc.takeSignals());
		// loopback: DATA_BOOL / DATA_NONE on TRIGGER signal the eventfd
		ByteBuffer bool = struct(21).putInt(4, IRQ_SET_DATA_BOOL | IRQ_SET_ACTION_TRIGGER).putInt(16, 1).put(20, (byte) 1);
		call(dev, VFIO_DEVICE_SET_IRQS, bool);
		assertEquals(List.of(efd), proc.takeSignals());
		// the guest's INTx disable bit masks too
		cfgWrite32(dev, 4, PciFunction.COMMAND_INTX_DISABLE);
		fn.setIntx(true);
		assertEquals(List.of(), proc.takeSignals());
		cfgWrite32(dev, 4, 0);
		assertEquals(List.of(efd), proc.takeSignals());
		fn.setIntx(false);
		call(dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_NONE | IRQ_SET_ACTION_UNMASK, 0, 0, 1));
		// MSI while INTx is on: EINVAL; INTx off, then MSI
		int m = proc.open("eventfd");
		failsIoctl(Errno.EINVAL, dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_EVENTFD | IRQ_SET_ACTION_TRIGGER, 1, 0, 1, m));
		call(dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_NONE | IRQ_SET_ACTION_TRIGGER, 0, 0, 0));
		fn.setIntx(true);
		assertEquals(List.of(), proc.takeSignals(), "INTx disabled");
		call(dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_EVENTFD | IRQ_SET_ACTION_TRIGGER, 1, 0, 1, m));
		call(dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_NONE | IRQ_SET_ACTION_TRIGGER, 1, 0, 1));
		assertEquals(List.of(m), proc.takeSignals());
		failsIoctl(Errno.ENOTTY, dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_NONE | IRQ_SET_ACTION_MASK, 1, 0, 1));
		// ERR and REQ: one eventfd each
		int err = proc.open("eventfd");
		call(dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_EVENTFD | IRQ_SET_ACTION_TRIGGER, PCI_REQ_IRQ_INDEX, 0, 1, err));
		call(dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_NONE | IRQ_SET_ACTION_TRIGGER, PCI_REQ_IRQ_INDEX, 0, 1));
		assertEquals(List.of(err), proc.takeSignals());
		// release: nothing is signalled any more
		fn.setIntx(false);
		dev.close();
		fn.setIntx(true);
		assertEquals(List.of(), proc.takeSignals());
	}

	@Test
	void aLineAssertedBeforeIntxIsEnabledFiresAtEnable() {
		VfioCdev dev = bound();
		int efd = proc.open("eventfd");
		fn.setIntx(true);
		call(dev, VFIO_DEVICE_SET_IRQS, irqSet(IRQ_SET_DATA_EVENTFD | IRQ_SET_ACTION_TRIGGER, 0, 0, 1, efd));
		assertEquals(List.of(efd), proc.takeSignals());
	}

	@Test
	void anIommufdClosedFirstHasReleasedTheBind() {
		VfioCdev dev = bound();
		ctx.close();
		assertFalse(iommufd.isBound(BDF));
		dev.close();
		assertEquals(List.of(), cdevs.opened());
	}
}
