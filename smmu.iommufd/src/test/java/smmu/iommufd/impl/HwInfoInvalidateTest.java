package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import smmu.hw.arch.Regs;
import smmu.hw.driver.Commands;
import smmu.iommufd.Errno;
import smmu.iommufd.HwInfo;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.HwptInvalidate;
import smmu.iommufd.IommufdException;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.arm.ArmHwInfo;
import smmu.iommufd.arm.KernelMode;

/** IOMMU_GET_HW_INFO (§1.6) and IOMMU_HWPT_INVALIDATE (§1.5, §2.4): data_len rules, entry_num on every return. */
class HwInfoInvalidateTest extends DeviceFixture {
	static final int ARM = HwptInvalidate.DATA_ARM_SMMUV3;

	int d0;

	void setUp() {
		boot(KernelMode.SHARED);
		d0 = ctx.bindDevice(BDF0);
	}

	byte[] fill(long va, int n, int b) {
		byte[] x = new byte[n];
		Arrays.fill(x, (byte) b);
		mm.write(va, x);
		return x;
	}

	// ---- GET_HW_INFO

	@Test
	void hwInfoCarriesTheRawIdRegisters() {
		setUp();
		HwInfo out = ctx.getHwInfo(HwInfo.request(d0, ArmHwInfo.BYTES, SCRATCH));
		assertEquals(new HwInfo(0, d0, 40, SCRATCH, HwInfo.TYPE_ARM_SMMUV3, 0, HwInfo.CAP_PCI_ATS_NOT_SUPPORTED), out);
		ByteBuffer b = ByteBuffer.wrap(get(SCRATCH, 40)).order(ByteOrder.LITTLE_ENDIAN);
		assertEquals(0, b.getInt(0), "flags");
		assertEquals(0, b.getInt(4), "__reserved");
		for (int i = 0; i < 6; i++) {
			assertEquals(smmu(0).spec().idr(i), b.getInt(8 + 4 * i), "IDR" + i);
		}
		assertEquals(master(BDF0).smmu().driver().registers().read32(Regs.IIDR), b.getInt(32));
		assertEquals(master(BDF0).smmu().driver().registers().read32(Regs.AIDR), b.getInt(36));
		assertEquals(1, Regs.IDR0_S1P.get(b.getInt(8)));
	}

	@Test
	void hwInfoDataLenTruncatesAndZeroFills() {
		setUp();
		byte[] full = master(BDF0).smmu().hwInfo().toBytes();
		fill(SCRATCH, 64, 0xee);
		assertEquals(40, ctx.getHwInfo(HwInfo.request(d0, 16, SCRATCH)).dataLen(), "the kernel's length is written back");
		byte[] got = get(SCRATCH, 64);
		assertArrayEquals(Arrays.copyOf(full, 16), Arrays.copyOf(got, 16));
		assertEquals((byte) 0xee, got[16], "nothing beyond data_len");
		ctx.getHwInfo(HwInfo.request(d0, 64, SCRATCH));
		got = get(SCRATCH, 64);
		assertArrayEquals(full, Arrays.copyOf(got, 40));
		assertArrayEquals(new byte[24], Arrays.copyOfRange(got, 40, 64), "a bigger buffer's tail is zeroed");
		fill(SCRATCH, 64, 0xee);
		assertEquals(40, ctx.getHwInfo(HwInfo.request(d0, 0, 0)).dataLen(), "data_len 0 only asks the length");
		assertEquals((byte) 0xee, get(SCRATCH, 1)[0]);
	}

	@Test
	void hwInfoTypesAndErrnos() {
		setUp();
		// without INPUT_TYPE the type field is ignored
		assertEquals(HwInfo.TYPE_ARM_SMMUV3, ctx.getHwInfo(new HwInfo(0, d0, 40, SCRATCH, HwInfo.TYPE_INTEL_VTD, 0, 0)).dataType());
		assertEquals(HwInfo.TYPE_ARM_SMMUV3, ctx.getHwInfo(new HwInfo(HwInfo.FLAG_INPUT_TYPE, d0, 40, SCRATCH, HwInfo.TYPE_ARM_SMMUV3, 0, 0)).dataType());
		assertEquals(HwInfo.TYPE_ARM_SMMUV3, ctx.getHwInfo(new HwInfo(HwInfo.FLAG_INPUT_TYPE, d0, 40, SCRATCH, HwInfo.TYPE_DEFAULT, 0, 0)).dataType());
		fails(Errno.EOPNOTSUPP, () -> ctx.getHwInfo(new HwInfo(HwInfo.FLAG_INPUT_TYPE, d0, 40, SCRATCH, HwInfo.TYPE_TEGRA241_CMDQV, 0, 0)));
		fails(Errno.EOPNOTSUPP, () -> ctx.getHwInfo(new HwInfo(HwInfo.FLAG_INPUT_TYPE, d0, 40, SCRATCH, HwInfo.TYPE_INTEL_VTD, 0, 0)));
		fails(Errno.EOPNOTSUPP, () -> ctx.getHwInfo(new HwInfo(2, 99, 40, SCRATCH, 0, 0, 0)));
		fails(Errno.ENOENT, () -> ctx.getHwInfo(HwInfo.request(99, 40, SCRATCH)));
		fails(Errno.EFAULT, () -> ctx.getHwInfo(HwInfo.request(d0, 40, 0)));
		fails(Errno.EFAULT, () -> ctx.getHwInfo(HwInfo.request(d0, 40, RO)));
		fails(Errno.EFAULT, () -> ctx.getHwInfo(HwInfo.request(d0, 0x1000, RO - 0x800)));
	}

	@Test
	void hwInfoReportsDirtyTracking() {
		boot(KernelMode.SHARED, 1, idr -> {
			idr[0] = (int) Regs.IDR0_HTTU.with(idr[0], 2);
			return idr;
		});
		int d = ctx.bindDevice(BDF0);
		assertEquals(HwInfo.CAP_DIRTY_TRACKING | HwInfo.CAP_PCI_ATS_NOT_SUPPORTED, ctx.getHwInfo(HwInfo.request(d, 0, 0)).outCapabilities());
	}

	// ---- HWPT_INVALIDATE

	int viommu() {
		int ioas = ioas();
		int np = ctx.hwptAlloc(HwptAlloc.paging(HwptAlloc.NEST_PARENT, d0, ioas)).outHwptId();
		return ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
	}

	/** Asserts the failure, its errno, that nothing changed and the entry_num written back. */
	void invalidateFails(Errno errno, HwptInvalidate cmd, int entryNum) {
		IommufdException e = fails(errno, () -> ctx.hwptInvalidate(cmd));
		assertEquals(cmd.withEntryNum(entryNum), e.response(), "entry_num is written back on errors too");
	}

	@Test
	void invalidateCoreErrnosReportZeroHandled() {
		setUp();
		int v = viommu();
		int np = v - 1, ioas = np - 1;
		int nested = ctx.hwptAlloc(HwptAlloc.nestedArm(d0, v, put(SCRATCH, 0, 0))).outHwptId();
		invalidateFails(Errno.EINVAL, new HwptInvalidate(v, 0, ARM, 16, 3), 0);
		invalidateFails(Errno.EINVAL, new HwptInvalidate(v, SCRATCH, ARM, 0, 3), 0);
		invalidateFails(Errno.ENOENT, new HwptInvalidate(99, SCRATCH, ARM, 16, 1), 0);
		invalidateFails(Errno.EOPNOTSUPP, new HwptInvalidate(nested, SCRATCH, ARM, 16, 1), 0);
		invalidateFails(Errno.EINVAL, new HwptInvalidate(np, SCRATCH, ARM, 16, 1), 0);
		invalidateFails(Errno.EINVAL, new HwptInvalidate(ioas, SCRATCH, ARM, 16, 1), 0);
		invalidateFails(Errno.EINVAL, new HwptInvalidate(d0, SCRATCH, ARM, 16, 1), 0);
		// the driver: wrong type, entry_num 0 (kcalloc(0)), unreadable array, too many entries
		invalidateFails(Errno.EINVAL, new HwptInvalidate(v, SCRATCH, HwptInvalidate.DATA_VTD_S1, 16, 1), 0);
		invalidateFails(Errno.EINVAL, new HwptInvalidate(v, 0, ARM, 0, 0), 0);
		invalidateFails(Errno.EFAULT, new HwptInvalidate(v, SCRATCH + 0x10000 - 16, ARM, 16, 2), 0);
		invalidateFails(Errno.ENOMEM, new HwptInvalidate(v, SCRATCH, ARM, 16, -1), 0);
		// the EOPNOTSUPP of a nested HWPT comes before anything about the array
		invalidateFails(Errno.EOPNOTSUPP, new HwptInvalidate(nested, SCRATCH, 7, 16, 0), 0);
	}

	@Test
	void invalidateConvertsAndCountsCommands() {
		setUp();
		int v = viommu();
		Viommu obj = obj(v, Viommu.class);
		long[] a = Commands.tlbiNhAsid(0x55, 3), b = Commands.tlbiNhAll(0x55);
		put(SCRATCH, a[0], a[1], b[0], b[1]);
		HwptInvalidate cmd = new HwptInvalidate(v, SCRATCH, ARM, 16, 2);
		assertEquals(cmd, ctx.hwptInvalidate(cmd));
		assertEquals(2, obj.vsmmu.issuedCommands());
		// command 2 is not accepted (CMD_SYNC): entry_num 2, EIO
		long[] sync = Commands.cmdSync();
		put(SCRATCH, a[0], a[1], b[0], b[1], sync[0], sync[1], a[0], a[1]);
		invalidateFails(Errno.EIO, new HwptInvalidate(v, SCRATCH, ARM, 16, 4), 2);
		assertEquals(2, obj.vsmmu.issuedCommands(), "upstream quirk: the commands before the bad one in its batch were never issued");
		// an unknown vSID in CFGI_CD
		long[] cfgi = Commands.cfgiCdAll(0x77);
		put(SCRATCH, cfgi[0], cfgi[1]);
		invalidateFails(Errno.EIO, new HwptInvalidate(v, SCRATCH, ARM, 16, 1), 0);
	}

	@Test
	void invalidateEntryLenOtherThanTheStruct() {
		setUp();
		int v = viommu();
		long[] a = Commands.tlbiNhAsid(0, 3);
		// 24-byte entries with zero tails are copied one by one
		put(SCRATCH, a[0], a[1], 0, a[0], a[1], 0);
		assertEquals(2, ctx.hwptInvalidate(new HwptInvalidate(v, SCRATCH, ARM, 24, 2)).entryNum());
		put(SCRATCH, a[0], a[1], 0, a[0], a[1], 9);
		invalidateFails(Errno.E2BIG, new HwptInvalidate(v, SCRATCH, ARM, 24, 2), 0);
		// shorter entries are zero-extended: 8 bytes of NH_ALL (opcode 0x10) is a whole command
		long nhAll = Commands.tlbiNhAll(0)[0];
		put(SCRATCH, nhAll, nhAll);
		assertEquals(2, ctx.hwptInvalidate(new HwptInvalidate(v, SCRATCH, ARM, 8, 2)).entryNum());
	}
}
