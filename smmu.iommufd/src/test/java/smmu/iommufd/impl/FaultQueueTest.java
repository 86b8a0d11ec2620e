package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.hw.arch.Ste;
import smmu.iommufd.Errno;
import smmu.iommufd.FaultAlloc;
import smmu.iommufd.HwQueueAlloc;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.IommufdException;
import smmu.iommufd.ObjectType;
import smmu.iommufd.PageFault;
import smmu.iommufd.PageResponse;
import smmu.iommufd.VdeviceAlloc;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.arm.KernelMode;

/**
 * FAULT objects (IOMMU_FAULT_QUEUE_ALLOC, eventq.c): HWPTs allocated with FAULT_ID_VALID, the
 * fault file's read and response write, and IOMMU_HW_QUEUE_ALLOC on a real vSMMU.
 */
class FaultQueueTest extends DeviceFixture {
	static final int FV = HwptAlloc.FAULT_ID_VALID;

	int d0, d1, ioas;

	void setUp(KernelMode mode) {
		boot(mode);
		d0 = ctx.bindDevice(BDF0);
		d1 = ctx.bindDevice(BDF1);
		ioas = ioas();
	}

	int fault() {
		return ctx.faultQueueAlloc(new FaultAlloc(0, 0, 0)).outFaultId();
	}

	static HwptAlloc paging(int flags, int dev, int pt, int faultId) {
		return new HwptAlloc(flags, dev, pt, 0, HwptAlloc.DATA_NONE, 0, 0, faultId);
	}

	@Test
	void faultQueueAllocFlagsAndObject() {
		setUp(KernelMode.SHARED);
		fails(Errno.EOPNOTSUPP, () -> ctx.faultQueueAlloc(new FaultAlloc(1, 0, 0)));
		int f = fault();
		assertEquals(ObjectType.FAULT, ctx.table().find(f).type());
		ctx.destroy(f);
		assertTrue(ctx.table().find(f) == null);
	}

	@Test
	void faultIdValidTakesAUserOfTheFault() {
		setUp(KernelMode.SHARED);
		int f = fault();
		// fault_id must name a FAULT: ENOENT for none and for another type, nothing left behind
		fails(Errno.ENOENT, () -> ctx.hwptAlloc(paging(FV, d0, ioas, 99)));
		fails(Errno.ENOENT, () -> ctx.hwptAlloc(paging(FV, d0, ioas, ioas)));
		// FAULT_ID_VALID with NEST_PARENT is refused before the fault is looked up
		fails(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(paging(FV | HwptAlloc.NEST_PARENT, d0, ioas, f)));
		int h = ctx.hwptAlloc(paging(FV, d0, ioas, f)).outHwptId();
		assertEquals(1, ctx.table().find(f).users());
		assertTrue(ctx.objects().stream().anyMatch(o -> o.id() == h && o.node().references().contains(f)));
		fails(Errno.EBUSY, () -> ctx.destroy(f));
		// the HWPT attaches as any other (no device of the model raises I/O page faults)
		ctx.attachDevice(d0, h);
		ctx.detachDevice(d0);
		ctx.destroy(h);
		assertEquals(0, ctx.table().find(f).users());
		ctx.destroy(f);
	}

	@Test
	void faultIdValidOnANestedHwpt() {
		setUp(KernelMode.PER_SMMU);
		int np = paging(HwptAlloc.NEST_PARENT, d0, ioas);
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
		ctx.vdeviceAlloc(VdeviceAlloc.request(v, d0, 1));
		int f = fault();
		long ste = put(SCRATCH, Ste.V.mask() | (long) Ste.CFG_S1_TRANS << 1 | 0x4000_1000L, 0);
		HwptAlloc nested = new HwptAlloc(FV, d0, v, 0, HwptAlloc.DATA_ARM_SMMUV3, 16, ste, f);
		int h = ctx.hwptAlloc(nested).outHwptId();
		assertEquals(ObjectType.HWPT_NESTED, ctx.table().find(h).type());
		assertEquals(1, ctx.table().find(f).users());
		fails(Errno.ENOENT, () -> ctx.hwptAlloc(new HwptAlloc(FV, d0, v, 0, HwptAlloc.DATA_ARM_SMMUV3, 16, ste, np)));
	}

	static PageFault pf(int grpid, long addr, boolean last) {
		return new PageFault(last ? PageFault.FLAG_LAST_PAGE : 0, 0, 0, grpid, PageFault.PERM_READ, addr, 0, 0);
	}

	@Test
	void readGivesWholeGroupsWithCookiesAndResponsesAnswerThem() {
		setUp(KernelMode.SHARED);
		int f = fault();
		Fault obj = ctx.fault(f);
		assertEquals(List.of(), ctx.faultRead(f, 400), "an empty queue reads 0 bytes");
		fails(Errno.ESPIPE, () -> ctx.faultRead(f, 41));
		obj.deliver(new Fault.Group(d0, List.of(pf(1, 0x1000, false), pf(1, 0x2000, true))));
		obj.deliver(new Fault.Group(d1, List.of(pf(2, 0x3000, true))));
		// a group that does not fit whole stays queued
		assertEquals(List.of(), ctx.faultRead(f, PageFault.BYTES));
		List<PageFault> read = ctx.faultRead(f, 3 * PageFault.BYTES);
		assertEquals(3, read.size());
		assertEquals(List.of(d0, d0, d1), read.stream().map(PageFault::devId).toList());
		assertEquals(List.of(1, 1, 2), read.stream().map(PageFault::cookie).toList());
		assertEquals(0x2000, read.get(1).addr());
		// a bad code or an unknown cookie first: EINVAL; after a good one: the count so far
		fails(Errno.EINVAL, () -> ctx.faultRespond(f, List.of(new PageResponse(1, 2))));
		fails(Errno.EINVAL, () -> ctx.faultRespond(f, List.of(new PageResponse(9, PageResponse.SUCCESS))));
		assertEquals(1, ctx.faultRespond(f, List.of(new PageResponse(2, PageResponse.SUCCESS), new PageResponse(2, PageResponse.SUCCESS))));
		assertEquals(List.of(PageResponse.SUCCESS), obj.answered().stream().map(Fault.Answer::code).toList());
		// cookies are reused lowest first, as the xarray allocates them
		obj.deliver(new Fault.Group(d1, List.of(pf(3, 0x4000, true))));
		assertEquals(2, ctx.faultRead(f, PageFault.BYTES).get(0).cookie());
		// destroying the FAULT answers what was never answered: INVALID
		obj.deliver(new Fault.Group(d0, List.of(pf(4, 0x5000, true))));
		ctx.destroy(f);
		assertEquals(List.of(PageResponse.SUCCESS, PageResponse.INVALID, PageResponse.INVALID, PageResponse.INVALID),
				obj.answered().stream().map(Fault.Answer::code).toList());
		fails(Errno.ENOENT, () -> ctx.faultRead(f, 40));
	}

	@Test
	void hwQueueAllocOnTheArmVsmmuIsEopnotsuppAfterTheCoreChecks() {
		setUp(KernelMode.SHARED);
		int np = paging(HwptAlloc.NEST_PARENT, d0, ioas);
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
		fails(Errno.EINVAL, () -> ctx.hwQueueAlloc(new HwQueueAlloc(0, v, HwQueueAlloc.TYPE_TEGRA241_CMDQV, 0, 0, 0x1000, 0)));
		fails(Errno.ENOENT, () -> ctx.hwQueueAlloc(new HwQueueAlloc(0, np, HwQueueAlloc.TYPE_TEGRA241_CMDQV, 0, 0, 0x1000, 0x1000)));
		fails(Errno.EOPNOTSUPP, () -> ctx.hwQueueAlloc(new HwQueueAlloc(0, v, HwQueueAlloc.TYPE_TEGRA241_CMDQV, 0, 0, 0x1000, 0x1000)));
	}

	@Test
	void pasidAttachFollowsTheCoreAndEndsAtTheDevicesMissingPasidCapability() {
		setUp(KernelMode.SHARED);
		int plain = paging(0, d0, ioas);
		int pasidHwpt = paging(HwptAlloc.PASID, d0, ioas);
		int np = paging(HwptAlloc.NEST_PARENT, d0, ioas);
		fails(Errno.ENOENT, () -> ctx.attachDevicePasid(99, 1, pasidHwpt));
		fails(Errno.ENOENT, () -> ctx.attachDevicePasid(d0, 1, 99));
		int f = fault();
		fails(Errno.EINVAL, () -> ctx.attachDevicePasid(d0, 1, f));
		// iommufd_hwpt_pasid_compat: the HWPT must have been allocated with IOMMU_HWPT_ALLOC_PASID
		fails(Errno.EINVAL, () -> ctx.attachDevicePasid(d0, 1, plain));
		fails(Errno.EINVAL, () -> ctx.attachDevicePasid(d0, 1, np));
		// and so must the RID attachment
		ctx.attachDevice(d0, plain);
		fails(Errno.EINVAL, () -> ctx.attachDevicePasid(d0, 1, pasidHwpt));
		// compatible on both sides: the endpoint has no PASID capability (max_pasids 0)
		ctx.attachDevice(d0, pasidHwpt);
		IommufdException e = fails(Errno.EINVAL, () -> ctx.attachDevicePasid(d0, 1, pasidHwpt));
		assertTrue(e.getMessage().contains("PASID capability"), e.getMessage());
		fails(Errno.EINVAL, () -> ctx.attachDevicePasid(d0, 1, ioas));
		// pasid 0 is IOMMU_NO_PASID: the RID attach
		assertEquals(plain, ctx.attachDevicePasid(d0, 0, plain));
		ctx.detachDevicePasid(d0, 5);
		fails(Errno.ENOENT, () -> ctx.detachDevicePasid(99, 5));
	}
}
