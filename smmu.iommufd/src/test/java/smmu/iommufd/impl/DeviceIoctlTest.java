package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import smmu.hw.driver.Commands;
import smmu.iommufd.Errno;
import smmu.iommufd.HwInfo;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.HwptInvalidate;
import smmu.iommufd.Ioctls;
import smmu.iommufd.ObjectType;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.arm.KernelMode;

/** The raw ioctls of the device-facing uAPI: struct layouts, sizes, __reserved, what is copied back. */
class DeviceIoctlTest extends DeviceFixture {
	static final long ARG = SCRATCH + 0x8000;

	int d0, ioas;

	@BeforeEach
	void setUp() {
		boot(KernelMode.SHARED);
		d0 = ctx.bindDevice(BDF0);
		ioas = ioas();
	}

	static ByteBuffer struct(int size) {
		return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN).putInt(0, size);
	}

	ByteBuffer call(int cmd, ByteBuffer b) {
		mm.write(ARG, b.array());
		ctx.ioctl(cmd, ARG);
		return ByteBuffer.wrap(get(ARG, b.capacity())).order(ByteOrder.LITTLE_ENDIAN);
	}

	ByteBuffer hwptAlloc(int flags, int dev, int pt) {
		return struct(48).putInt(4, flags).putInt(8, dev).putInt(12, pt);
	}

	@Test
	void hwptAlloc() {
		int id = call(Ioctls.IOMMU_HWPT_ALLOC, hwptAlloc(HwptAlloc.NEST_PARENT, d0, ioas)).getInt(16);
		assertTrue(obj(id, HwptPaging.class).nestParent());
		// the first version of the struct ends at __reserved
		ByteBuffer min = struct(24).putInt(8, d0).putInt(12, ioas);
		assertEquals(ObjectType.HWPT_PAGING, ctx.table().find(call(Ioctls.IOMMU_HWPT_ALLOC, min).getInt(16)).type());
		mm.write(ARG, hwptAlloc(0, d0, ioas).putInt(0, 20).array());
		fails(Errno.EINVAL, () -> ctx.ioctl(Ioctls.IOMMU_HWPT_ALLOC, ARG));
		mm.write(ARG, hwptAlloc(0, d0, ioas).putInt(20, 1).array());
		fails(Errno.EOPNOTSUPP, () -> ctx.ioctl(Ioctls.IOMMU_HWPT_ALLOC, ARG));
		// a nested one from a vSTE at data_uptr
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d0, id)).outViommuId();
		put(SCRATCH, 0, 0);
		ByteBuffer nested = hwptAlloc(0, d0, v).putInt(24, HwptAlloc.DATA_ARM_SMMUV3).putInt(28, 16).putLong(32, SCRATCH);
		assertEquals(ObjectType.HWPT_NESTED, ctx.table().find(call(Ioctls.IOMMU_HWPT_ALLOC, nested).getInt(16)).type());
	}

	@Test
	void anUnwritableResponseUndoesTheAllocation() {
		hw.memory.write(RO_PA, hwptAlloc(0, d0, ioas).array(), 0, 48);
		String before = state();
		fails(Errno.EFAULT, () -> ctx.ioctl(Ioctls.IOMMU_HWPT_ALLOC, RO));
		assertEquals(before, state());
	}

	@Test
	void getHwInfo() {
		ByteBuffer out = call(Ioctls.IOMMU_GET_HW_INFO, struct(40).putInt(8, d0).putInt(12, 64).putLong(16, SCRATCH));
		assertEquals(40, out.getInt(12));
		assertEquals(HwInfo.TYPE_ARM_SMMUV3, out.getInt(24));
		assertEquals(0, out.get(28), "out_max_pasid_log2");
		assertEquals(HwInfo.CAP_PCI_ATS_NOT_SUPPORTED, out.getLong(32));
		assertEquals(smmu(0).spec().idr(0), ByteBuffer.wrap(get(SCRATCH, 40)).order(ByteOrder.LITTLE_ENDIAN).getInt(8));
		// a 32-byte struct (before out_capabilities) gets 32 bytes back
		mm.write(ARG + 32, new byte[] { 0x5a });
		call(Ioctls.IOMMU_GET_HW_INFO, struct(32).putInt(8, d0));
		assertEquals(0x5a, get(ARG + 32, 1)[0]);
		mm.write(ARG, struct(40).putInt(8, d0).put(30, (byte) 1).array());
		fails(Errno.EOPNOTSUPP, () -> ctx.ioctl(Ioctls.IOMMU_GET_HW_INFO, ARG));
	}

	@Test
	void hwptInvalidateWritesEntryNumBackOnErrors() {
		int np = ctx.hwptAlloc(HwptAlloc.paging(HwptAlloc.NEST_PARENT, d0, ioas)).outHwptId();
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
		long[] ok = Commands.tlbiNhAll(0), bad = Commands.cmdSync();
		put(SCRATCH, ok[0], ok[1], bad[0], bad[1], ok[0], ok[1]);
		ByteBuffer cmd = struct(32).putInt(4, v).putLong(8, SCRATCH).putInt(16, HwptInvalidate.DATA_ARM_SMMUV3).putInt(20, 16).putInt(24, 3);
		mm.write(ARG, cmd.array());
		fails(Errno.EIO, () -> ctx.ioctl(Ioctls.IOMMU_HWPT_INVALIDATE, ARG));
		assertEquals(1, ByteBuffer.wrap(get(ARG, 32)).order(ByteOrder.LITTLE_ENDIAN).getInt(24));
		mm.write(ARG, cmd.putInt(28, 1).array());
		fails(Errno.EOPNOTSUPP, () -> ctx.ioctl(Ioctls.IOMMU_HWPT_INVALIDATE, ARG));
		assertEquals(0, ByteBuffer.wrap(get(ARG, 32)).order(ByteOrder.LITTLE_ENDIAN).getInt(24));
		put(SCRATCH + 16, ok[0], ok[1]);
		assertEquals(3, call(Ioctls.IOMMU_HWPT_INVALIDATE, cmd.putInt(28, 0)).getInt(24));
	}

	@Test
	void viommuAndVdeviceAlloc() {
		int np = ctx.hwptAlloc(HwptAlloc.paging(HwptAlloc.NEST_PARENT, d0, ioas)).outHwptId();
		ByteBuffer va = struct(40).putInt(8, ViommuAlloc.TYPE_ARM_SMMUV3).putInt(12, d0).putInt(16, np);
		int v = call(Ioctls.IOMMU_VIOMMU_ALLOC, va).getInt(20);
		assertEquals(ObjectType.VIOMMU, ctx.table().find(v).type());
		mm.write(ARG, va.putInt(28, 1).array());
		fails(Errno.EOPNOTSUPP, () -> ctx.ioctl(Ioctls.IOMMU_VIOMMU_ALLOC, ARG));
		ByteBuffer vd = struct(24).putInt(4, v).putInt(8, d0).putLong(16, 0x42);
		int id = call(Ioctls.IOMMU_VDEVICE_ALLOC, vd).getInt(12);
		assertEquals(0x42, obj(id, Vdevice.class).virtId);
		// VEVENTQ_ALLOC installs a file: a model VMM has no file table (the queue it made is gone again)
		mm.write(ARG, struct(32).putInt(8, v).putInt(12, 1).putInt(16, 4).array());
		fails(Errno.ENOTTY, () -> ctx.ioctl(Ioctls.IOMMU_VEVENTQ_ALLOC, ARG));
	}
}
