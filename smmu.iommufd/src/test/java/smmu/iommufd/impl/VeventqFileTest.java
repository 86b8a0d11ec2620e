package smmu.iommufd.impl;

import smmu.iommufd.testing.FakeProcess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import smmu.iommufd.Errno;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.Ioctls;
import smmu.iommufd.UserFile;
import smmu.iommufd.Vevent;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.arm.KernelMode;

/** IOMMU_VEVENTQ_ALLOC through the raw ioctl of a process: the queue's file, its read() and poll(). */
class VeventqFileTest extends DeviceFixture {
	FakeProcess proc;
	int v;

	@BeforeEach
	void setUp() {
		boot(KernelMode.PER_SMMU);
		proc = new FakeProcess(mm);
		int d0 = ctx.bindDevice(BDF0);
		int np = paging(HwptAlloc.NEST_PARENT, d0, ioas());
		v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
	}

	ByteBuffer alloc(int size, int flags, int viommu, int type, int depth, int reserved) {
		ByteBuffer b = ByteBuffer.allocate(Math.max(size, 32)).order(ByteOrder.LITTLE_ENDIAN);
		b.putInt(0, size).putInt(4, flags).putInt(8, viommu).putInt(12, type).putInt(16, depth).putInt(20, 0x5555).putInt(24, 0x6666).putInt(28, reserved);
		mm.write(SCRATCH, b.array());
		return b;
	}

	ByteBuffer back() {
		return ByteBuffer.wrap(get(SCRATCH, 32)).order(ByteOrder.LITTLE_ENDIAN);
	}

	@Test
	void theFileReadsWholeRecordsAndPollsReadable() {
		alloc(32, 0, v, 1, 2, 0);
		ctx.ioctl(Ioctls.IOMMU_VEVENTQ_ALLOC, SCRATCH, proc);
		int id = back().getInt(20), fd = back().getInt(24);
		Veventq q = obj(id, Veventq.class);
		UserFile f = proc.installed(fd);
		AtomicInteger woken = new AtomicInteger();
		f.onReadable(woken::incrementAndGet);
		assertFalse(f.readable());
		assertEquals(0, f.read(new byte[4096]), "an empty vEVENTQ reads 0 bytes: Linux's read never blocks");
		assertEquals(0, woken.get());

		q.deliver(new long[] { 0x42L << 32 | 0x10, 2, 3, 4 });
		assertEquals(1, woken.get());
		assertTrue(f.readable());
		assertEquals(0, f.read(new byte[Vevent.ARM_SMMUV3_BYTES - 1]), "a record that does not fit stays");
		byte[] buf = new byte[100];
		assertEquals(Vevent.ARM_SMMUV3_BYTES, f.read(buf));
		ByteBuffer r = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
		assertEquals(0, r.getInt(0), "flags");
		assertEquals(0, r.getInt(4), "sequence");
		assertEquals(0x42L << 32 | 0x10, r.getLong(8));
		assertEquals(4, r.getLong(32));
		assertFalse(f.readable());

		// overflow: two fit, the third leaves a LOST_EVENTS header at the tail
		for (int i = 0; i < 3; i++) {
			q.deliver(new long[4]);
		}
		byte[] all = new byte[4096];
		assertEquals(2 * Vevent.ARM_SMMUV3_BYTES + Vevent.HEADER_BYTES, f.read(all));
		ByteBuffer a = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
		assertEquals(Vevent.FLAG_LOST_EVENTS, a.getInt(2 * Vevent.ARM_SMMUV3_BYTES));
		assertEquals(3, a.getInt(2 * Vevent.ARM_SMMUV3_BYTES + 4));

		// the file holds the queue: DESTROY is EBUSY until it is closed (QEMU closes, then destroys)
		fails(Errno.EBUSY, () -> ctx.destroy(id));
		proc.close(fd);
		f.release();
		ctx.destroy(id);
		assertNull(ctx.table().find(id));
		assertEquals(0, f.read(new byte[64]));
	}

	@Test
	void allocRulesAndAFailedInstallLeaveNothing() {
		alloc(28, 0, v, 1, 2, 0);
		fails(Errno.EINVAL, () -> ctx.ioctl(Ioctls.IOMMU_VEVENTQ_ALLOC, SCRATCH, proc));
		alloc(32, 0, v, 1, 2, 1);
		fails(Errno.EOPNOTSUPP, () -> ctx.ioctl(Ioctls.IOMMU_VEVENTQ_ALLOC, SCRATCH, proc));
		alloc(32, 1, v, 1, 2, 0);
		fails(Errno.EOPNOTSUPP, () -> ctx.ioctl(Ioctls.IOMMU_VEVENTQ_ALLOC, SCRATCH, proc));
		alloc(32, 0, v, 1, 0, 0);
		fails(Errno.EINVAL, () -> ctx.ioctl(Ioctls.IOMMU_VEVENTQ_ALLOC, SCRATCH, proc));
		ByteBuffer big = alloc(40, 0, v, 1, 2, 0);
		mm.write(SCRATCH, big.array());
		mm.write(SCRATCH + 32, new byte[] { 0, 0, 0, 0, 0, 0, 0, 9 });
		fails(Errno.E2BIG, () -> ctx.ioctl(Ioctls.IOMMU_VEVENTQ_ALLOC, SCRATCH, proc));
		proc.tableFull = true;
		alloc(32, 0, v, 1, 2, 0);
		fails(Errno.EMFILE, () -> ctx.ioctl(Ioctls.IOMMU_VEVENTQ_ALLOC, SCRATCH, proc));
		proc.tableFull = false;
		ctx.ioctl(Ioctls.IOMMU_VEVENTQ_ALLOC, SCRATCH, proc);
		assertTrue(back().getInt(24) >= 3);
	}

	@Test
	void closingTheContextFirstOrphansTheFile() {
		alloc(32, 0, v, 1, 2, 0);
		ctx.ioctl(Ioctls.IOMMU_VEVENTQ_ALLOC, SCRATCH, proc);
		UserFile f = proc.installed(back().getInt(24));
		ctx.close();
		assertTrue(ctx.table().isEmpty());
		assertEquals(0, f.read(new byte[64]));
		assertFalse(f.readable());
		f.release();
	}
}
