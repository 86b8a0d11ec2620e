package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.hw.EventType;
import smmu.hw.arch.Ste;
import smmu.iommufd.Errno;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.IovaRange;
import smmu.iommufd.ObjectType;
import smmu.iommufd.arm.ArmDomain;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.arm.Master;

/** VFIO cdev bind / attach (automatic domains, replace) / detach / unbind over the arm-smmu-v3 driver. */
class DeviceTest extends DeviceFixture {
	static final long GPA = 0x4000_0000L;
	static final IovaRange SW_MSI = new IovaRange(0x800_0000L, 0x80f_ffffL);

	@Test
	void bindCreatesADeviceTheVfioDriverHolds() {
		boot(KernelMode.SHARED);
		int d0 = ctx.bindDevice(BDF0);
		int d1 = ctx.bindDevice(BDF1);
		assertEquals(List.of(new IommufdObject(d0, ObjectType.DEVICE, 1, List.of()), new IommufdObject(d1, ObjectType.DEVICE, 1, List.of())),
				ctx.objects().stream().map(IommufdObject::node).toList());
		assertEquals(Master.State.BLOCKED, master(BDF0).state());
		long[] ste = master(BDF0).smmu().driver().readSte(SID0);
		assertEquals(1, Ste.V.get(ste));
		assertEquals(Ste.CFG_ABORT, Ste.CONFIG.get(ste), "DMA blocked");
		fails(Errno.EBUSY, () -> ctx.destroy(d0));
	}

	@Test
	void bindErrnos() {
		boot(KernelMode.SHARED);
		fails(Errno.ENODEV, () -> ctx.bindDevice("0000:09:00.0"));
		int d0 = ctx.bindDevice(BDF0);
		fails(Errno.EBUSY, () -> ctx.bindDevice(BDF0));
		IommufdContext other = iommufd.open(mm, false);
		assertThrowsErrno(Errno.EBUSY, () -> other.bindDevice(BDF0));
		ctx.unbindDevice(d0);
		assertEquals(1, other.bindDevice(BDF0), "free again once unbound");
		other.close();
		assertEquals(1, ctx.bindDevice(BDF0), "closing a context unbinds its devices");
	}

	@Test
	void aContextWithoutAHostKernelHasNoDevices() {
		Context plain = (Context) new IommufdComponent().open(new smmu.iommufd.VmmAddressSpace(), false);
		assertThrowsErrno(Errno.ENODEV, () -> plain.bindDevice("0000:01:00.0"));
	}

	@Test
	void attachToAnIoasUsesAnAutomaticDomainThatTranslatesTheIoas() {
		boot(KernelMode.SHARED);
		int d0 = ctx.bindDevice(BDF0);
		int ioas = ioas();
		map(ioas, VA, RAM, GPA);
		int hwpt = ctx.attachDevice(d0, ioas);
		HwptPaging p = obj(hwpt, HwptPaging.class);
		assertTrue(p.autoDomain);
		assertEquals(ArmDomain.Stage.S1, p.domain.stage(), "flags 0: stage 1");
		assertEquals(new IommufdObject(hwpt, ObjectType.HWPT_PAGING, 1, List.of(ioas)), ctx.objects().get(hwpt - 1).node());
		assertEquals(List.of(hwpt), ctx.objects().get(d0 - 1).node().references());
		assertSame(p.domain, master(BDF0).pagingDomain());
		assertEquals(PA + 0x1234, translate(smmu(0), SID0, GPA + 0x1234));
		assertTrue(ctx.ioas(ioas).iopt().reservedRanges().contains(SW_MSI), "the device's SW MSI window is reserved");
		assertEquals(0x1000, ctx.ioas(ioas).iopt().iovaAlignment());
		fails(Errno.EBUSY, () -> ctx.destroy(hwpt));
		fails(Errno.EBUSY, () -> ctx.destroy(ioas));

		ctx.detachDevice(d0);
		assertNull(ctx.table().find(hwpt), "an automatic domain goes with its last device");
		assertEquals(Master.State.BLOCKED, master(BDF0).state());
		assertFalse(ctx.ioas(ioas).iopt().reservedRanges().contains(SW_MSI));
		aborts(smmu(0), SID0, GPA);
		ctx.detachDevice(d0);
		ctx.destroy(ioas);
	}

	@Test
	void automaticDomainIsSharedAcrossSmmusOnlyInSharedMode() {
		for (KernelMode mode : KernelMode.values()) {
			boot(mode);
			int d0 = ctx.bindDevice(BDF0), d1 = ctx.bindDevice(BDF1);
			int ioas = ioas();
			map(ioas, VA, RAM, GPA);
			int h0 = ctx.attachDevice(d0, ioas);
			int h1 = ctx.attachDevice(d1, ioas);
			if (mode == KernelMode.SHARED) {
				assertEquals(h0, h1, mode.toString());
				assertEquals(2, obj(h0, HwptPaging.class).users());
			} else {
				assertNotEquals(h0, h1, "EINVAL from the other SMMU's domain: a new automatic domain");
				assertSame(smmu(1), obj(h1, HwptPaging.class).domain.smmu().smmu());
			}
			assertEquals(PA + 0x5000, translate(smmu(0), SID0, GPA + 0x5000));
			assertEquals(PA + 0x6000, translate(smmu(1), SID1, GPA + 0x6000));
			// the IOAS keeps the domains in sync
			ctx.ioasUnmap(new smmu.iommufd.IoasUnmap(ioas, GPA, RAM));
			assertEquals(EventType.F_TRANSLATION, aborts(smmu(1), SID1, GPA + 0x6000).event().type());
			ctx.detachDevice(d0);
			ctx.detachDevice(d1);
			assertEquals(List.of(ObjectType.DEVICE, ObjectType.DEVICE, ObjectType.IOAS), ctx.objects().stream().map(IommufdObject::type).toList());
			shutdown();
		}
	}

	@Test
	void attachToAHwptAndReplace() {
		boot(KernelMode.PER_SMMU);
		int d0 = ctx.bindDevice(BDF0), d1 = ctx.bindDevice(BDF1);
		int ioasA = ioas(), ioasB = ioas();
		map(ioasA, VA, 0x10_0000, GPA);
		map(ioasB, VA + 0x10_0000, 0x10_0000, GPA);
		int a = paging(0, d0, ioasA), b = paging(0, d0, ioasB);
		assertEquals(a, ctx.attachDevice(d0, a));
		assertEquals(PA, translate(smmu(0), SID0, GPA));
		assertEquals(a, ctx.attachDevice(d0, a), "the same HWPT again: nothing to do");
		assertEquals(1, obj(a, HwptPaging.class).users());
		assertEquals(b, ctx.attachDevice(d0, b), "replace");
		assertEquals(PA + 0x10_0000, translate(smmu(0), SID0, GPA));
		assertEquals(0, obj(a, HwptPaging.class).users());
		assertEquals(1, obj(b, HwptPaging.class).users());
		assertFalse(ctx.ioas(ioasA).iopt().reservedRanges().contains(SW_MSI));
		assertTrue(ctx.ioas(ioasB).iopt().reservedRanges().contains(SW_MSI));
		assertNotEquals(null, ctx.table().find(a), "an explicit HWPT stays");
		ctx.destroy(a);
		// PER_SMMU: smmu0's domain cannot serve smmu1's device
		fails(Errno.EINVAL, () -> ctx.attachDevice(d1, b));
		ctx.attachDevice(d1, ctx.attachDevice(d1, ioasB));
		fails(Errno.EINVAL, () -> ctx.attachDevice(d1, b));
	}

	@Test
	void attachErrnos() {
		boot(KernelMode.SHARED);
		int d0 = ctx.bindDevice(BDF0);
		int ioas = ioas();
		fails(Errno.ENOENT, () -> ctx.attachDevice(99, ioas));
		fails(Errno.ENOENT, () -> ctx.attachDevice(d0, 99));
		fails(Errno.EINVAL, () -> ctx.attachDevice(d0, d0));
		// an area over the SW MSI window: reserving it fails, the new automatic domain is undone
		map(ioas, VA, 0x1000, SW_MSI.start());
		fails(Errno.EADDRINUSE, () -> ctx.attachDevice(d0, ioas));
		int h = paging(0, d0, ioas);
		fails(Errno.EADDRINUSE, () -> ctx.attachDevice(d0, h));
	}

	@Test
	void unbindDetachesAndFreesTheDevice() {
		boot(KernelMode.SHARED);
		int d0 = ctx.bindDevice(BDF0);
		int ioas = ioas();
		map(ioas, VA, RAM, GPA);
		int hwpt = ctx.attachDevice(d0, ioas);
		ctx.unbindDevice(d0);
		assertNull(ctx.table().find(hwpt));
		assertEquals(List.of(new IommufdObject(ioas, ObjectType.IOAS, 0, List.of())), ctx.objects().stream().map(IommufdObject::node).toList());
		assertEquals(Master.State.BLOCKED, master(BDF0).state());
		assertThrowsErrno(Errno.ENOENT, () -> ctx.unbindDevice(d0));
		assertThrowsErrno(Errno.ENOENT, () -> ctx.detachDevice(d0));
		assertEquals(Ste.CFG_ABORT, Ste.CONFIG.get(master(BDF0).smmu().driver().readSte(SID0)));
	}

	static void assertThrowsErrno(Errno errno, org.junit.jupiter.api.function.Executable e) {
		smmu.iommufd.IommufdException x = org.junit.jupiter.api.Assertions.assertThrows(smmu.iommufd.IommufdException.class, e);
		assertEquals(errno, x.errno(), x.getMessage());
	}
}
