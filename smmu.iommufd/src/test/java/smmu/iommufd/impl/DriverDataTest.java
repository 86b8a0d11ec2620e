package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import smmu.hw.arch.Ste;
import smmu.iommufd.Errno;
import smmu.iommufd.HwInfo;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.HwptInvalidate;
import smmu.iommufd.IommufdException;
import smmu.iommufd.VdeviceAlloc;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.arm.KernelMode;

/**
 * Driver data and user buffers whose size the caller picks (GET_HW_INFO's buffer, the HWPT_ALLOC
 * vSTE, HWPT_INVALIDATE's array): read before the context's lock, fast for huge sizes, and with the
 * kernel's order of checks intact.
 */
class DriverDataTest extends DeviceFixture {
	static final long BIG = 0x7c00_0000_0000L, BIG_PA = 0x10_0000_0000L, BIG_LEN = 4L << 30;
	static final int ARM = HwptInvalidate.DATA_ARM_SMMUV3;

	int d0, ioas, np, v;

	void setUp() {
		boot(KernelMode.SHARED);
		d0 = ctx.bindDevice(BDF0);
		ioas = ioas();
		np = paging(HwptAlloc.NEST_PARENT, d0, ioas);
		v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
		mm.map(BIG, BIG_LEN, BIG_PA, true);
	}

	static long millis(Runnable r) {
		long t0 = System.nanoTime();
		r.run();
		return (System.nanoTime() - t0) / 1_000_000;
	}

	@Test
	void hwInfoClearsAHugeBufferWithoutBackingIt() {
		setUp();
		long backed = hw.memory.backedBytes();
		long t = millis(() -> assertEquals(40, ctx.getHwInfo(HwInfo.request(d0, -1, BIG)).dataLen()));
		assertTrue(t < 2000, t + " ms");
		assertTrue(hw.memory.backedBytes() - backed < (1 << 20), "clearing 4 GiB backed " + (hw.memory.backedBytes() - backed) + " bytes");
		// a tail that runs into read-only memory: EFAULT, the bytes before it cleared (clear_user)
		mm.map(RO - 0x1000, 0x1000, RO_PA - 0x1000, true);
		put(RO - 8, 0x1234);
		fails(Errno.EFAULT, () -> ctx.getHwInfo(HwInfo.request(d0, 0x1100, RO - 0x100)));
		assertEquals(0, java.nio.ByteBuffer.wrap(get(RO - 8, 8)).getLong());
	}

	@Test
	void aHugeVsteTailIsCheckedBeforeTheLockInTheKernelsOrder() throws Exception {
		setUp();
		ctx.vdeviceAlloc(VdeviceAlloc.request(v, d0, 1));
		put(BIG, Ste.V.mask() | (long) Ste.CFG_S1_TRANS << 1 | 0x4000_1000L, 0);
		HwptAlloc big = new HwptAlloc(0, d0, v, 0, HwptAlloc.DATA_ARM_SMMUV3, -1, BIG, 0);
		Throwable[] failed = new Throwable[1];
		Thread t = new Thread(() -> {
			try {
				ctx.hwptAlloc(big);
			} catch (Throwable e) {
				failed[0] = e;
			}
		});
		t.start();
		while (t.isAlive()) {
			long one = millis(() -> ctx.objects());
			assertTrue(one < 500, "a call waited " + one + " ms for the vSTE's tail");
			Thread.sleep(1);
		}
		t.join();
		assertEquals(null, failed[0]);
		// an unreadable vSTE with a wrong pt_id: the lookup's EINVAL comes first, as in Linux
		fails(Errno.EINVAL, () -> ctx.hwptAlloc(new HwptAlloc(0, d0, 999, 0, HwptAlloc.DATA_ARM_SMMUV3, 16, 0x10, 0)));
		fails(Errno.EFAULT, () -> ctx.hwptAlloc(new HwptAlloc(0, d0, v, 0, HwptAlloc.DATA_ARM_SMMUV3, 16, 0x10, 0)));
		put(BIG + BIG_LEN - 16, 1L << 56);
		fails(Errno.E2BIG, () -> ctx.hwptAlloc(big));
	}

	@Test
	void invalidationCommandsAreReadBeforeTheLockInTheKernelsOrder() {
		setUp();
		// TLBI_NH_ALL + CMD_SYNC-free batch of two, entries of 4 KiB with zero tails
		put(BIG, 0x10, 0);
		put(BIG + 0x1000, 0x10, 0);
		HwptInvalidate wide = new HwptInvalidate(v, BIG, ARM, 0x1000, 2);
		assertEquals(2, ctx.hwptInvalidate(wide).entryNum());
		// unknown hwpt_id with unreadable commands: ENOENT, as Linux looks it up first
		IommufdException e = fails(Errno.ENOENT, () -> ctx.hwptInvalidate(new HwptInvalidate(99, 0x10, ARM, 16, 1)));
		assertEquals(0, ((HwptInvalidate) e.response()).entryNum());
		e = fails(Errno.EFAULT, () -> ctx.hwptInvalidate(new HwptInvalidate(v, 0x10, ARM, 16, 1)));
		assertEquals(0, ((HwptInvalidate) e.response()).entryNum());
		put(BIG + 0x1ff8, 1);
		fails(Errno.E2BIG, () -> ctx.hwptInvalidate(wide));
		// past KMALLOC_MAX_SIZE the copy is never tried: ENOMEM
		fails(Errno.ENOMEM, () -> ctx.hwptInvalidate(new HwptInvalidate(v, 0x10, ARM, 16, 1 << 20)));
	}
}
