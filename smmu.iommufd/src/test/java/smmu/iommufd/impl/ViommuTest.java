package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.hw.arch.Regs;
import smmu.iommufd.Errno;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.ObjectType;
import smmu.iommufd.VdeviceAlloc;
import smmu.iommufd.Vevent;
import smmu.iommufd.VeventqAlloc;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.arm.Master;

/** IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC, IOMMU_VEVENTQ_ALLOC and vEVENTQ reads (§1.7, §2.1). */
class ViommuTest extends DeviceFixture {
	static final int NP = HwptAlloc.NEST_PARENT;

	int d0, d1, ioas, np;

	void setUp(KernelMode mode) {
		boot(mode);
		d0 = ctx.bindDevice(BDF0);
		d1 = ctx.bindDevice(BDF1);
		ioas = ioas();
		np = paging(NP, d0, ioas);
	}

	ViommuAlloc viommu(int flags, int type, int dev, int hwpt) {
		return new ViommuAlloc(flags, type, dev, hwpt, 0, 0, 0);
	}

	@Test
	void viommuAllocChecksInOrder() {
		setUp(KernelMode.PER_SMMU);
		int plain = paging(0, d0, ioas);
		fails(Errno.EOPNOTSUPP, () -> ctx.viommuAlloc(viommu(1, ViommuAlloc.TYPE_ARM_SMMUV3, 99, 99)));
		fails(Errno.EOPNOTSUPP, () -> ctx.viommuAlloc(viommu(0, ViommuAlloc.TYPE_DEFAULT, 99, 99)));
		fails(Errno.ENOENT, () -> ctx.viommuAlloc(viommu(0, ViommuAlloc.TYPE_ARM_SMMUV3, 99, 99)));
		fails(Errno.EOPNOTSUPP, () -> ctx.viommuAlloc(viommu(0, ViommuAlloc.TYPE_TEGRA241_CMDQV, d0, 99)));
		fails(Errno.ENOENT, () -> ctx.viommuAlloc(viommu(0, ViommuAlloc.TYPE_ARM_SMMUV3, d0, 0)));
		fails(Errno.ENOENT, () -> ctx.viommuAlloc(viommu(0, ViommuAlloc.TYPE_ARM_SMMUV3, d0, ioas)));
		fails(Errno.EINVAL, () -> ctx.viommuAlloc(viommu(0, ViommuAlloc.TYPE_ARM_SMMUV3, d0, plain)));
		// arm_vsmmu_init: PER_SMMU, the parent belongs to smmu0, the device sits behind smmu1
		fails(Errno.EINVAL, () -> ctx.viommuAlloc(ViommuAlloc.arm(d1, np)));
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
		Viommu obj = obj(v, Viommu.class);
		assertEquals(new IommufdObject(v, ObjectType.VIOMMU, 0, List.of(np)), ctx.objects().get(v - 1).node());
		assertSame(master(BDF0).smmu(), obj.iommuDev);
		assertEquals(obj(np, HwptPaging.class).domain.tag(master(BDF0).smmu()), obj.vsmmu.vmid(), "mainline: the parent's VMID");
		fails(Errno.EBUSY, () -> ctx.destroy(np));
		ctx.destroy(v);
		assertTrue(obj.vsmmu.destroyed());
		ctx.destroy(np);
	}

	@Test
	void viommuNeedsNestingAndS2fwbOrCanwbs() {
		boot(KernelMode.SHARED, 1, idr -> {
			idr[3] = (int) Regs.IDR3_FWB.with(idr[3], 0);
			return idr;
		});
		int d = ctx.bindDevice(BDF0);
		int parent = paging(NP, d, ioas());
		fails(Errno.EOPNOTSUPP, () -> ctx.viommuAlloc(ViommuAlloc.arm(d, parent)));
		kernel.addMaster("0000:01:00.2", "smmu0", true, 0x102);
		int coherent = ctx.bindDevice("0000:01:00.2");
		ctx.viommuAlloc(ViommuAlloc.arm(coherent, parent));
	}

	@Test
	void sharedModeGivesEachViommuItsOwnVmid() {
		setUp(KernelMode.SHARED);
		ViommuAlloc a = ctx.viommuAlloc(ViommuAlloc.arm(d0, np));
		ViommuAlloc b = ctx.viommuAlloc(ViommuAlloc.arm(d1, np));
		assertEquals(2, obj(np, HwptPaging.class).users());
		assertNotEquals(obj(a.outViommuId(), Viommu.class).iommuDev, obj(b.outViommuId(), Viommu.class).iommuDev);
		assertTrue(obj(b.outViommuId(), Viommu.class).vsmmu.smmu().vmids().isAllocated(obj(b.outViommuId(), Viommu.class).vsmmu.vmid()));
	}

	@Test
	void vdeviceAllocRules() {
		setUp(KernelMode.SHARED);
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
		fails(Errno.ENOENT, () -> ctx.vdeviceAlloc(VdeviceAlloc.request(99, d0, 1)));
		fails(Errno.ENOENT, () -> ctx.vdeviceAlloc(VdeviceAlloc.request(np, d0, 1)));
		fails(Errno.ENOENT, () -> ctx.vdeviceAlloc(VdeviceAlloc.request(v, 99, 1)));
		fails(Errno.EINVAL, () -> ctx.vdeviceAlloc(VdeviceAlloc.request(v, d1, 1)));
		VdeviceAlloc vd = ctx.vdeviceAlloc(VdeviceAlloc.request(v, d0, 0x42));
		assertEquals(new IommufdObject(vd.outVdeviceId(), ObjectType.VDEVICE, 0, List.of(v)), ctx.objects().get(vd.outVdeviceId() - 1).node());
		assertSame(master(BDF0), obj(v, Viommu.class).vsmmu.vdevice(0x42));
		fails(Errno.EEXIST, () -> ctx.vdeviceAlloc(VdeviceAlloc.request(v, d0, 0x43)));
		kernel.addMaster("0000:01:00.1", "smmu0", false, 0x101);
		kernel.addMaster("0000:01:00.7", "smmu0", false, 0x107, 0x108);
		int d2 = ctx.bindDevice("0000:01:00.1"), d3 = ctx.bindDevice("0000:01:00.7");
		fails(Errno.EEXIST, () -> ctx.vdeviceAlloc(VdeviceAlloc.request(v, d2, 0x42)));
		fails(Errno.EOPNOTSUPP, () -> ctx.vdeviceAlloc(VdeviceAlloc.request(v, d3, 0x44)));
		// virt_id is a u64
		assertEquals(-1L, ctx.vdeviceAlloc(VdeviceAlloc.request(v, d2, -1L)).virtId());
		fails(Errno.EBUSY, () -> ctx.destroy(v));
		ctx.destroy(vd.outVdeviceId());
		assertNull(obj(v, Viommu.class).vsmmu.vdevice(0x42));
		ctx.vdeviceAlloc(VdeviceAlloc.request(v, d0, 0x42));
	}

	@Test
	void unbindTombstonesTheVdevice() {
		setUp(KernelMode.SHARED);
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
		int vd = ctx.vdeviceAlloc(VdeviceAlloc.request(v, d0, 0x42)).outVdeviceId();
		ctx.unbindDevice(d0);
		assertNull(ctx.table().find(vd));
		assertNull(obj(v, Viommu.class).vsmmu.vdevice(0x42));
		assertEquals(0, obj(v, Viommu.class).users());
		fails(Errno.ENOENT, () -> ctx.destroy(vd));
		// the tombstoned ID is not handed out again; the freed device ID is
		assertEquals(d0, ctx.ioasAlloc(smmu.iommufd.IoasAlloc.request()).outIoasId());
		int next = ctx.ioasAlloc(smmu.iommufd.IoasAlloc.request()).outIoasId();
		assertTrue(next > vd, "ID " + next + " after the tombstone " + vd);
		ctx.destroy(v);
	}

	@Test
	void veventqAllocRules() {
		setUp(KernelMode.SHARED);
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
		fails(Errno.EOPNOTSUPP, () -> ctx.veventqAlloc(new VeventqAlloc(1, 99, VeventqAlloc.TYPE_ARM_SMMUV3, 0, 0)));
		fails(Errno.EOPNOTSUPP, () -> ctx.veventqAlloc(new VeventqAlloc(0, 99, VeventqAlloc.TYPE_DEFAULT, 0, 0)));
		fails(Errno.EINVAL, () -> ctx.veventqAlloc(VeventqAlloc.arm(99, 0)));
		fails(Errno.ENOENT, () -> ctx.veventqAlloc(VeventqAlloc.arm(99, 4)));
		fails(Errno.ENOENT, () -> ctx.veventqAlloc(VeventqAlloc.arm(np, 4)));
		int q = ctx.veventqAlloc(VeventqAlloc.arm(v, 4)).outVeventqId();
		assertEquals(new IommufdObject(q, ObjectType.VEVENTQ, 0, List.of(v)), ctx.objects().get(q - 1).node());
		fails(Errno.EEXIST, () -> ctx.veventqAlloc(VeventqAlloc.arm(v, 8)));
		int t = ctx.veventqAlloc(new VeventqAlloc(0, v, VeventqAlloc.TYPE_TEGRA241_CMDQV, 1, 0)).outVeventqId();
		fails(Errno.EBUSY, () -> ctx.destroy(v));
		Veventq arm = obj(q, Veventq.class);
		assertTrue(arm.deliver(new long[] { 1, 2, 3, 4 }));
		ctx.destroy(q);
		assertFalse(arm.deliver(new long[4]), "a destroyed queue takes nothing: the host keeps the event");
		fails(Errno.ENOENT, () -> ctx.veventqRead(q, 4096));
		fails(Errno.ENOENT, () -> ctx.veventqRead(v, 4096));
		ctx.veventqAlloc(VeventqAlloc.arm(v, 8));
		ctx.destroy(t);
	}

	static long[] evt(long n) {
		return new long[] { n, n + 1, n + 2, n + 3 };
	}

	@Test
	void overflowKeepsOneLostEventsHeaderAtTheTail() {
		setUp(KernelMode.SHARED);
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
		int q = ctx.veventqAlloc(VeventqAlloc.arm(v, 2)).outVeventqId();
		Veventq queue = obj(q, Veventq.class);
		// e0, e1 fit; e2, e3, e4 are lost: each moves the header to the next sequence number
		for (int i = 0; i < 5; i++) {
			assertTrue(queue.deliver(evt(10 * i)));
		}
		assertEquals(List.of(), ctx.veventqRead(q, Vevent.ARM_SMMUV3_BYTES - 1), "nothing fits");
		assertEquals(List.of(new Vevent(0, 0, evt(0))), ctx.veventqRead(q, Vevent.ARM_SMMUV3_BYTES + 7));
		// room for one again: the next event replaces the header, the gap 1 -> 5 shows the loss
		queue.deliver(evt(50));
		assertEquals(List.of(new Vevent(0, 1, evt(10)), new Vevent(0, 5, evt(50))), ctx.veventqRead(q, 4096));
		assertEquals(List.of(), ctx.veventqRead(q, 4096));
		// a header left at the tail is read on its own: 8 bytes
		queue.deliver(evt(60));
		queue.deliver(evt(70));
		queue.deliver(evt(80));
		assertEquals(List.of(new Vevent(0, 6, evt(60)), new Vevent(0, 7, evt(70))), ctx.veventqRead(q, 2 * Vevent.ARM_SMMUV3_BYTES + 7));
		assertEquals(List.of(new Vevent(Vevent.FLAG_LOST_EVENTS, 8, null)), ctx.veventqRead(q, Vevent.HEADER_BYTES));
		queue.deliver(evt(90));
		assertEquals(List.of(new Vevent(0, 9, evt(90))), ctx.veventqRead(q, 4096));
	}

	@Test
	void sequenceWrapsAtIntMax() {
		setUp(KernelMode.SHARED);
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
		int q = ctx.veventqAlloc(VeventqAlloc.arm(v, -1)).outVeventqId();
		Veventq queue = obj(q, Veventq.class);
		queue.startSequenceAt(Integer.MAX_VALUE - 1);
		for (int i = 0; i < 3; i++) {
			queue.deliver(evt(i));
		}
		List<Integer> seq = new ArrayList<>();
		for (Vevent e : ctx.veventqRead(q, 4096)) {
			seq.add(e.sequence());
		}
		assertEquals(List.of(Integer.MAX_VALUE - 1, Integer.MAX_VALUE, 0), seq);
	}

	@Test
	void detachingTheNestedDeviceDropsNothingElse() {
		setUp(KernelMode.SHARED);
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
		ctx.vdeviceAlloc(VdeviceAlloc.request(v, d0, 0x42));
		int bypass = ctx.hwptAlloc(HwptAlloc.nestedArm(d0, v, put(SCRATCH, 0x1 | 4L << 1, 0))).outHwptId();
		assertEquals(bypass, ctx.attachDevice(d0, bypass));
		assertEquals(Master.State.NESTED, master(BDF0).state());
		assertEquals(new Master.Vmaster(obj(v, Viommu.class).vsmmu, 0x42), master(BDF0).vmaster());
		fails(Errno.EBUSY, () -> ctx.destroy(bypass));
		ctx.detachDevice(d0);
		assertEquals(Master.State.BLOCKED, master(BDF0).state());
		assertNull(master(BDF0).vmaster());
		ctx.destroy(bypass);
	}
}
