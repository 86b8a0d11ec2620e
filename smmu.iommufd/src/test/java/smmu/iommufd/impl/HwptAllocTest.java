package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.iommufd.Errno;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.IoasUnmap;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.IovaRange;
import smmu.iommufd.ObjectType;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.arm.ArmDomain;
import smmu.iommufd.arm.KernelMode;

/** IOMMU_HWPT_ALLOC: the core's check order and errnos (§1.5), paging HWPTs on an IOAS, nested ones on a vIOMMU. */
class HwptAllocTest extends DeviceFixture {
	static final long GPA = 0x4000_0000L;
	static final int NP = HwptAlloc.NEST_PARENT;
	/** A valid guest STE: V, Config S1_TRANS, a CD pointer. */
	static final long VSTE0 = Ste.V.mask() | (long) Ste.CFG_S1_TRANS << 1 | 0x4000_1000L, VSTE1 = 0;

	int d0, d1, ioas;

	void setUp(KernelMode mode) {
		boot(mode);
		d0 = ctx.bindDevice(BDF0);
		d1 = ctx.bindDevice(BDF1);
		ioas = ioas();
	}

	static HwptAlloc req(int flags, int dev, int pt, int type, int len, long uptr) {
		return new HwptAlloc(flags, dev, pt, 0, type, len, uptr, 0);
	}

	@Test
	void coreChecksComeInOrder() {
		setUp(KernelMode.SHARED);
		// 2. data_type / data_len mismatch, before the device lookup
		fails(Errno.EINVAL, () -> ctx.hwptAlloc(req(0, 99, 99, HwptAlloc.DATA_NONE, 16, SCRATCH)));
		fails(Errno.EINVAL, () -> ctx.hwptAlloc(req(0, 99, 99, HwptAlloc.DATA_ARM_SMMUV3, 0, SCRATCH)));
		// 3. dev_id: ENOENT, also for an object of another type
		fails(Errno.ENOENT, () -> ctx.hwptAlloc(req(0, 99, 99, HwptAlloc.DATA_NONE, 0, 0)));
		fails(Errno.ENOENT, () -> ctx.hwptAlloc(req(0, ioas, ioas, HwptAlloc.DATA_NONE, 0, 0)));
		// 4. pt_id lookup failure is EINVAL, not ENOENT (even before the flags are looked at)
		fails(Errno.EINVAL, () -> ctx.hwptAlloc(req(0, d0, 99, HwptAlloc.DATA_NONE, 0, 0)));
		fails(Errno.EINVAL, () -> ctx.hwptAlloc(req(-1, d0, 0, HwptAlloc.DATA_NONE, 0, 0)));
		// 5. pt_id of a type that cannot be a parent
		fails(Errno.EINVAL, () -> ctx.hwptAlloc(req(0, d0, d1, HwptAlloc.DATA_NONE, 0, 0)));
	}

	@Test
	void pagingFlagErrnos() {
		setUp(KernelMode.SHARED);
		fails(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(req(1 << 4, d0, ioas, 0, 0, 0)));
		fails(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(req(HwptAlloc.DIRTY_TRACKING, d0, ioas, 0, 0, 0)));
		fails(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(req(HwptAlloc.FAULT_ID_VALID | NP, d0, ioas, 0, 0, 0)));
		put(SCRATCH, VSTE0, VSTE1);
		fails(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(req(0, d0, ioas, HwptAlloc.DATA_ARM_SMMUV3, 16, SCRATCH)));
		// the driver's own combinations
		fails(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(req(NP | HwptAlloc.PASID, d0, ioas, 0, 0, 0)));
		// no FAULT objects exist: the HWPT is allocated, then undone with ENOENT
		fails(Errno.ENOENT, () -> ctx.hwptAlloc(new HwptAlloc(HwptAlloc.FAULT_ID_VALID, d0, ioas, 0, 0, 0, 0, 7)));
		int pasid = paging(HwptAlloc.PASID, d0, ioas);
		assertEquals(ArmDomain.Stage.S1, obj(pasid, HwptPaging.class).domain.stage());
	}

	@Test
	void dirtyTrackingNeedsTheCapabilityAndStage1() {
		boot(KernelMode.PER_SMMU, 1, idr -> {
			idr[0] = (int) Regs.IDR0_HTTU.with(idr[0], 2);
			return idr;
		});
		int d = ctx.bindDevice(BDF0);
		int ioas = ioas();
		HwptPaging p = obj(paging(HwptAlloc.DIRTY_TRACKING, d, ioas), HwptPaging.class);
		assertTrue(p.domain.dirtyTracking());
		fails(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(req(HwptAlloc.DIRTY_TRACKING | NP, d, ioas, 0, 0, 0)));
	}

	@Test
	void pagingHwptMirrorsItsIoas() {
		setUp(KernelMode.PER_SMMU);
		map(ioas, VA, 0x20_0000, GPA);
		int h = paging(NP, d0, ioas);
		HwptPaging p = obj(h, HwptPaging.class);
		assertEquals(ArmDomain.Stage.S2, p.domain.stage());
		assertTrue(p.nestParent());
		assertFalse(p.autoDomain);
		assertEquals(new IommufdObject(h, ObjectType.HWPT_PAGING, 0, List.of(ioas)), ctx.objects().get(h - 1).node());
		assertEquals(1, ctx.ioas(ioas).iopt().areas().size());
		// populated from the existing area
		assertEquals(PA + 0x1_2340, p.domain.iovaToPhys(GPA + 0x1_2340));
		// aperture [0, 2^ias - 1]: the rest is reserved; the domain's 4 KiB page sets the alignment
		assertEquals(List.of(new IovaRange(1L << p.domain.ias(), -1L)), ctx.ioas(ioas).iopt().reservedRanges());
		assertEquals(0x1000, ctx.ioas(ioas).iopt().iovaAlignment());
		// kept in sync: a new area is mapped, an unmapped one is gone
		map(ioas, VA + 0x40_0000, 0x1000, GPA + 0x100_0000);
		assertEquals(PA + 0x40_0000, p.domain.iovaToPhys(GPA + 0x100_0000));
		ctx.ioasUnmap(new IoasUnmap(ioas, GPA, 0x20_0000));
		assertEquals(0, p.domain.iovaToPhys(GPA + 0x1_2340));
		fails(Errno.EBUSY, () -> ctx.destroy(ioas));
		ctx.destroy(h);
		assertEquals(List.of(), ctx.ioas(ioas).iopt().reservedRanges());
		assertEquals(new IommufdObject(ioas, ObjectType.IOAS, 0, List.of()), ctx.objects().get(ioas - 1).node());
	}

	@Test
	void anIoasThatCannotTakeTheDomainFailsTheAllocation() {
		setUp(KernelMode.PER_SMMU);
		// an area beyond the 48-bit aperture
		map(ioas, VA, 0x1000, 1L << 48);
		fails(Errno.EADDRINUSE, () -> ctx.hwptAlloc(HwptAlloc.paging(NP, d0, ioas)));
		fails(Errno.EADDRINUSE, () -> ctx.attachDevice(d0, ioas));
	}

	@Test
	void nestingOnAParentHwptIsNotOfferedByArm() {
		setUp(KernelMode.SHARED);
		int np = paging(NP, d0, ioas);
		put(SCRATCH, VSTE0, VSTE1);
		fails(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(req(0, d0, np, HwptAlloc.DATA_ARM_SMMUV3, 16, SCRATCH)));
		fails(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(req(NP, d0, np, HwptAlloc.DATA_ARM_SMMUV3, 16, SCRATCH)));
		fails(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(req(0, d0, np, HwptAlloc.DATA_NONE, 0, 0)));
	}

	@Test
	void nestedOnAViommu() {
		setUp(KernelMode.SHARED);
		int np = paging(NP, d0, ioas);
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
		long ste = put(SCRATCH, VSTE0, VSTE1);
		// the device must be behind the vIOMMU's SMMU: checked first
		fails(Errno.EINVAL, () -> ctx.hwptAlloc(req(HwptAlloc.PASID, d1, v, HwptAlloc.DATA_ARM_SMMUV3, 16, ste)));
		fails(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(req(NP, d0, v, HwptAlloc.DATA_ARM_SMMUV3, 16, ste)));
		fails(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(req(0, d0, v, HwptAlloc.DATA_NONE, 0, 0)));
		fails(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(req(HwptAlloc.PASID, d0, v, HwptAlloc.DATA_ARM_SMMUV3, 16, ste)));
		// iommu_copy_struct_from_user
		fails(Errno.EINVAL, () -> ctx.hwptAlloc(req(0, d0, v, HwptAlloc.DATA_VTD_S1, 16, ste)));
		fails(Errno.EINVAL, () -> ctx.hwptAlloc(req(0, d0, v, HwptAlloc.DATA_ARM_SMMUV3, 8, ste)));
		fails(Errno.EFAULT, () -> ctx.hwptAlloc(req(0, d0, v, HwptAlloc.DATA_ARM_SMMUV3, 16, 0)));
		fails(Errno.EFAULT, () -> ctx.hwptAlloc(req(0, d0, v, HwptAlloc.DATA_ARM_SMMUV3, 16, SCRATCH + 0x10000 - 8)));
		put(SCRATCH + 0x100, VSTE0, VSTE1, 0, 1);
		fails(Errno.E2BIG, () -> ctx.hwptAlloc(req(0, d0, v, HwptAlloc.DATA_ARM_SMMUV3, 32, SCRATCH + 0x100)));
		// arm_smmu_validate_vste
		long s2 = put(SCRATCH + 0x200, Ste.V.mask() | (long) Ste.CFG_S2_TRANS << 1, 0);
		fails(Errno.EIO, () -> ctx.hwptAlloc(req(0, d0, v, HwptAlloc.DATA_ARM_SMMUV3, 16, s2)));
		long res0 = put(SCRATCH + 0x300, VSTE0 | 1L << 55, 0);
		fails(Errno.EIO, () -> ctx.hwptAlloc(req(0, d0, v, HwptAlloc.DATA_ARM_SMMUV3, 16, res0)));
		fails(Errno.ENOENT, () -> ctx.hwptAlloc(new HwptAlloc(HwptAlloc.FAULT_ID_VALID, d0, v, 0, HwptAlloc.DATA_ARM_SMMUV3, 16, ste, 3)));

		int n = ctx.hwptAlloc(HwptAlloc.nestedArm(d0, v, ste)).outHwptId();
		assertEquals(new IommufdObject(n, ObjectType.HWPT_NESTED, 0, List.of(v)), ctx.objects().get(n - 1).node());
		assertEquals(1, obj(v, Viommu.class).users());
		assertEquals(List.of(VSTE0, VSTE1), List.of(obj(n, HwptNested.class).domain.vste()[0], obj(n, HwptNested.class).domain.vste()[1]));
		// a longer struct with a zero tail is fine; V = 0 is accepted whatever else is set
		put(SCRATCH + 0x100, VSTE0, VSTE1, 0, 0);
		ctx.hwptAlloc(req(0, d0, v, HwptAlloc.DATA_ARM_SMMUV3, 32, SCRATCH + 0x100));
		long v0 = put(SCRATCH + 0x400, -2L, -1L);
		int abort = ctx.hwptAlloc(req(0, d0, v, HwptAlloc.DATA_ARM_SMMUV3, 16, v0)).outHwptId();
		assertEquals(0, obj(abort, HwptNested.class).domain.vste()[0]);
		// no nesting on a nested HWPT
		fails(Errno.EINVAL, () -> ctx.hwptAlloc(req(0, d0, n, HwptAlloc.DATA_ARM_SMMUV3, 16, ste)));
		fails(Errno.EBUSY, () -> ctx.destroy(v));
		fails(Errno.EBUSY, () -> ctx.destroy(np));
	}
}
