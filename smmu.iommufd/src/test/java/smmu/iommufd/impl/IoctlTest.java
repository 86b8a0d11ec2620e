package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import smmu.iommufd.Errno;
import smmu.iommufd.IoasMap;
import smmu.iommufd.Ioctls;
import smmu.iommufd.IovaRange;
import smmu.iommufd.Option;

/**
 * The raw ioctl: structs as little-endian bytes in the VMM's memory at {@link #ARG} (64 KiB
 * writable), {@link #ARG_RO} (one read-only page right after) and nothing after that.
 */
class IoctlTest extends Fixture {
	static final long ARG = 0x7f3000000000L, ARG_PA = 0x700000000L;
	static final long ARG_RO = ARG + 0x10000, ARG_RO_PA = 0x710000000L;

	@BeforeEach
	void structs() {
		mm.map(ARG, 0x10000, ARG_PA, true);
		mm.map(ARG_RO, 0x1000, ARG_RO_PA, false);
	}

	static ByteBuffer struct(int size) {
		return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN).putInt(0, size);
	}

	/** Stores bytes at a user VA of the struct pages, read-only ones included (the VMM wrote them before mprotect). */
	void put(long va, ByteBuffer b) {
		long pa = va < ARG_RO ? ARG_PA + (va - ARG) : ARG_RO_PA + (va - ARG_RO);
		memory.write(pa, b.array(), 0, b.capacity());
	}

	ByteBuffer get(long va, int size) {
		byte[] out = new byte[size];
		assertTrue(mm.read(va, out));
		return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
	}

	ByteBuffer call(int cmd, ByteBuffer b) {
		put(ARG, b);
		ctx.ioctl(cmd, ARG);
		return get(ARG, b.capacity());
	}

	ByteBuffer map(int flags, int ioas, long uva, long length, long iova) {
		return struct(40).putInt(4, flags).putInt(8, ioas).putLong(16, uva).putLong(24, length).putLong(32, iova);
	}

	int ioasByIoctl() {
		return call(Ioctls.IOMMU_IOAS_ALLOC, struct(12)).getInt(8);
	}

	@Test
	void ioasAllocWritesTheId() {
		assertEquals(1, ioasByIoctl());
		assertEquals(2, ioasByIoctl());
		assertEquals(2, ctx.objects().size());
	}

	@Test
	void mapWritesBackTheIovaAndUnmapTheLength() {
		int ioas = ioasByIoctl();
		ByteBuffer out = call(Ioctls.IOMMU_IOAS_MAP, map(RW, ioas, VA + 0x1000, 0x3000, 0));
		assertEquals(0x1000, out.getLong(32));
		assertEquals(40, out.getInt(0));
		out = call(Ioctls.IOMMU_IOAS_MAP, map(FIXED_RW, ioas, VA, 0x2000, 0x100000));
		assertEquals(0x100000, out.getLong(32));
		assertEquals(List.of("0x100000->0x100000000+0x2000"), segments(iopt(ioas).areas().get(1)));
		out = call(Ioctls.IOMMU_IOAS_UNMAP, struct(24).putInt(4, ioas).putLong(8, 0).putLong(16, -1L));
		assertEquals(0x5000, out.getLong(16));
	}

	@Test
	void copyWritesBackTheDestinationIova() {
		int src = ioasByIoctl(), dst = ioasByIoctl();
		mapFixed(src, VA, 0x2000, 0x100000);
		ByteBuffer out = call(Ioctls.IOMMU_IOAS_COPY,
				struct(40).putInt(4, RW).putInt(8, dst).putInt(12, src).putLong(16, 0x2000).putLong(24, 0).putLong(32, 0x100000));
		assertEquals(0x2000, out.getLong(24));
	}

	@Test
	void iovaRangesFillsTheUserArray() {
		int ioas = ioasByIoctl();
		iopt(ioas).reserveSwMsi("dev");
		ByteBuffer out = call(Ioctls.IOMMU_IOAS_IOVA_RANGES, struct(32).putInt(4, ioas).putInt(8, 4).putLong(16, ARG + 0x100));
		assertEquals(2, out.getInt(8));
		assertEquals(1, out.getLong(24));
		ByteBuffer ranges = get(ARG + 0x100, 48);
		assertEquals(0, ranges.getLong(0));
		assertEquals(0x7ffffffL, ranges.getLong(8));
		assertEquals(0x8100000L, ranges.getLong(16));
		assertEquals(-1L, ranges.getLong(24));
		assertEquals(0, ranges.getLong(32));
	}

	@Test
	void iovaRangesTooSmallWritesTheCountAndWhatFits() {
		int ioas = ioasByIoctl();
		iopt(ioas).reserveSwMsi("dev");
		put(ARG, struct(32).putInt(4, ioas).putInt(8, 1).putLong(16, ARG + 0x100));
		IommufdExceptionAssert.errno(Errno.EMSGSIZE, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_IOVA_RANGES, ARG));
		assertEquals(2, get(ARG, 32).getInt(8));
		assertEquals(0x7ffffffL, get(ARG + 0x100, 16).getLong(8));
		assertEquals(0, get(ARG + 0x110, 16).getLong(8));
		// capacity 0 needs no array at all
		put(ARG, struct(32).putInt(4, ioas).putInt(8, 0).putLong(16, 0));
		IommufdExceptionAssert.errno(Errno.EMSGSIZE, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_IOVA_RANGES, ARG));
		assertEquals(2, get(ARG, 32).getInt(8));
		// an unwritable array
		put(ARG, struct(32).putInt(4, ioas).putInt(8, 2).putLong(16, ARG_RO));
		IommufdExceptionAssert.errno(Errno.EFAULT, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_IOVA_RANGES, ARG));
	}

	@Test
	void allowIovasReadsTheUserArray() {
		int ioas = ioasByIoctl();
		put(ARG + 0x200, ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0x100000).putLong(8, 0x1fffff)
				.putLong(16, 0x400000).putLong(24, 0x4fffff));
		call(Ioctls.IOMMU_IOAS_ALLOW_IOVAS, struct(24).putInt(4, ioas).putInt(8, 2).putLong(16, ARG + 0x200));
		assertEquals(List.of(new IovaRange(0x100000, 0x1fffff), new IovaRange(0x400000, 0x4fffff)), iopt(ioas).allowedRanges());
	}

	@Test
	void allowIovasErrorsInKernelOrder() {
		int ioas = ioasByIoctl();
		long lastRange = ARG_RO + 0x1000 - 16;
		put(lastRange, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0x5000).putLong(8, 0x5000));
		put(ARG + 0x200, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0x1000).putLong(8, 0x1fff));
		// a bad range before the unreadable one wins
		put(ARG, struct(24).putInt(4, ioas).putInt(8, 2).putLong(16, lastRange));
		fails(Errno.EINVAL, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_ALLOW_IOVAS, ARG));
		put(ARG, struct(24).putInt(4, ioas).putInt(8, 2).putLong(16, ARG_RO + 0x1000));
		fails(Errno.EFAULT, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_ALLOW_IOVAS, ARG));
		// the IOAS is looked up before the array is read
		put(ARG, struct(24).putInt(4, 7).putInt(8, 2).putLong(16, ARG_RO + 0x1000));
		fails(Errno.ENOENT, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_ALLOW_IOVAS, ARG));
		put(ARG, struct(24).putInt(4, 7).putInt(8, 2).putInt(12, 1).putLong(16, ARG_RO + 0x1000));
		fails(Errno.EOPNOTSUPP, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_ALLOW_IOVAS, ARG));
	}

	@Test
	void optionWritesBackOnlyVal64() {
		int ioas = ioasByIoctl();
		ByteBuffer out = call(Ioctls.IOMMU_OPTION, struct(24).putInt(4, Option.HUGE_PAGES).putShort(8, (short) Option.OP_GET).putInt(12, ioas));
		assertEquals(1, out.getLong(16));
		call(Ioctls.IOMMU_OPTION, struct(24).putInt(4, Option.HUGE_PAGES).putShort(8, (short) Option.OP_SET).putInt(12, ioas).putLong(16, 0));
		assertEquals(0x1000, iopt(ioas).iovaAlignment());
		put(ARG, struct(24).putInt(4, Option.HUGE_PAGES).putShort(8, (short) Option.OP_GET).putShort(10, (short) 1).putInt(12, ioas));
		fails(Errno.EOPNOTSUPP, () -> ctx.ioctl(Ioctls.IOMMU_OPTION, ARG));
		put(ARG, struct(24).putInt(4, Option.HUGE_PAGES).putShort(8, (short) 0xffff).putInt(12, ioas));
		fails(Errno.EOPNOTSUPP, () -> ctx.ioctl(Ioctls.IOMMU_OPTION, ARG));
	}

	@Test
	void destroyByIoctl() {
		int ioas = ioasByIoctl();
		call(Ioctls.IOMMU_DESTROY, struct(8).putInt(4, ioas));
		assertTrue(ctx.objects().isEmpty());
		put(ARG, struct(8).putInt(4, ioas));
		fails(Errno.ENOENT, () -> ctx.ioctl(Ioctls.IOMMU_DESTROY, ARG));
	}

	@Test
	void mapReservedFieldIsEopnotsupp() {
		int ioas = ioasByIoctl();
		put(ARG, map(FIXED_RW, ioas, VA, 0x1000, 0x10000).putInt(12, 1));
		fails(Errno.EOPNOTSUPP, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_MAP, ARG));
	}

	@Test
	void sizeBelowTheMinimumIsEinval() {
		int ioas = ioasByIoctl();
		put(ARG, map(FIXED_RW, ioas, VA, 0x1000, 0x10000).putInt(0, 32));
		fails(Errno.EINVAL, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_MAP, ARG));
		put(ARG, struct(8).putInt(0, 0));
		fails(Errno.EINVAL, () -> ctx.ioctl(Ioctls.IOMMU_DESTROY, ARG));
		put(ARG, struct(12).putInt(0, 11));
		fails(Errno.EINVAL, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_ALLOC, ARG));
	}

	@Test
	void longerStructWithZeroTailIsTheSameAndOnlyTheKernelSizeIsWritten() {
		int ioas = ioasByIoctl();
		ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
		b.put(0, map(RW, ioas, VA, 0x1000, 0).putInt(0, 64).array());
		ByteBuffer out = call(Ioctls.IOMMU_IOAS_MAP, b);
		assertEquals(0x1000, out.getLong(32));
		assertEquals(0, out.getLong(40));
		assertEquals(0, out.getLong(56));
	}

	@Test
	void longerStructWithNonZeroTailIsE2big() {
		int ioas = ioasByIoctl();
		ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
		b.put(0, map(RW, ioas, VA, 0x1000, 0).putInt(0, 64).array());
		b.put(63, (byte) 1);
		put(ARG, b);
		fails(Errno.E2BIG, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_MAP, ARG));
	}

	@Test
	void unreadableStructOrTailIsEfault() {
		int ioas = ioasByIoctl();
		fails(Errno.EFAULT, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_ALLOC, 0x1000));
		// a huge size: the zero tail runs into unmapped memory
		put(ARG, map(RW, ioas, VA, 0x1000, 0).putInt(0, 0x20000));
		fails(Errno.EFAULT, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_MAP, ARG));
		// a non-zero byte met before the fault is E2BIG
		put(ARG_RO + 0xfff, ByteBuffer.allocate(1).put(0, (byte) 1));
		fails(Errno.E2BIG, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_MAP, ARG));
		// the size fits, the rest of the struct does not
		long at = ARG_RO + 0x1000 - 8;
		put(at, struct(8).putInt(0, 40));
		fails(Errno.EFAULT, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_MAP, at));
	}

	@Test
	void unknownRequestsAreEnotty() {
		ioasByIoctl();
		put(ARG, struct(40));
		fails(Errno.ENOTTY, () -> ctx.ioctl(0x3b7f, ARG));
		fails(Errno.ENOTTY, () -> ctx.ioctl(0x3b8b, ARG));
		fails(Errno.ENOTTY, () -> ctx.ioctl(0x3b8c, ARG));
		fails(Errno.ENOTTY, () -> ctx.ioctl(0x3b95, 0));
		fails(Errno.ENOTTY, () -> ctx.ioctl(0x4b80, ARG));
		fails(Errno.ENOTTY, () -> ctx.ioctl(0x40043b80, ARG));
		// the size is read before the request number is matched, in the kernel's table even when not modelled
		fails(Errno.EFAULT, () -> ctx.ioctl(0x4b80, 0x1000));
		fails(Errno.EFAULT, () -> ctx.ioctl(0x3b8b, 0));
	}

	@Test
	void unwritableResponseIsEfaultAbortingAnAllocButKeepingAMap() {
		put(ARG_RO, struct(12));
		IommufdExceptionAssert.errno(Errno.EFAULT, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_ALLOC, ARG_RO));
		assertTrue(ctx.objects().isEmpty());
		int ioas = ioasByIoctl();
		put(ARG_RO, map(RW, ioas, VA, 0x1000, 0));
		// as in Linux, the mapping made before iommufd_ucmd_respond failed stays
		IommufdExceptionAssert.errno(Errno.EFAULT, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_MAP, ARG_RO));
		assertEquals(1, iopt(ioas).areas().size());
	}

	@Test
	void typedErrorsPassThrough() {
		int ioas = ioasByIoctl();
		put(ARG, map(IoasMap.FIXED_IOVA, ioas, VA, 0x1000, 0x1000));
		fails(Errno.EINVAL, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_MAP, ARG));
		put(ARG, map(RW, ioas, VA + RAM, 0x1000, 0));
		fails(Errno.EFAULT, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_MAP, ARG));
	}
}
