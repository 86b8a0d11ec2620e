package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import smmu.iommufd.Errno;
import smmu.iommufd.IoasUnmap;

/** IOMMU_IOAS_UNMAP: whole areas only, unmap-all, and every errno of §1.4. */
class IoasUnmapTest extends Fixture {
	@Test
	void unmapsAnExactAreaAndReturnsTheLength() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x3000, 0x10000);
		assertEquals(new IoasUnmap(ioas, 0x10000, 0x3000), ctx.ioasUnmap(new IoasUnmap(ioas, 0x10000, 0x3000)));
		assertTrue(iopt(ioas).areas().isEmpty());
		assertEquals(0, ctx.pinnedPages());
	}

	@Test
	void aLargerRangeUnmapsEveryAreaInsideIt() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x3000, 0x10000);
		mapFixed(ioas, VA, 0x1000, 0x20000);
		mapFixed(ioas, VA, 0x1000, 0x30000);
		assertEquals(0x4000, ctx.ioasUnmap(new IoasUnmap(ioas, 0x8000, 0x20000)).length());
		assertEquals(1, iopt(ioas).areas().size());
		assertEquals(0x30000, iopt(ioas).areas().get(0).iova());
	}

	@Test
	void unmapAllSucceedsEvenWhenEmpty() {
		int ioas = ioas();
		assertEquals(0, ctx.ioasUnmap(new IoasUnmap(ioas, 0, IoasUnmap.ALL)).length());
		mapFixed(ioas, VA, 0x3000, 0x10000);
		mapFixed(ioas, VA, 0x1000, 0xfffffffffffff000L);
		assertEquals(0x4000, ctx.ioasUnmap(new IoasUnmap(ioas, 0, IoasUnmap.ALL)).length());
		assertTrue(iopt(ioas).areas().isEmpty());
		assertEquals(0, ctx.pinnedPages());
	}

	@Test
	void theTopPageCanBeUnmappedExactly() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x1000, 0xfffffffffffff000L);
		assertEquals(0x1000, ctx.ioasUnmap(new IoasUnmap(ioas, 0xfffffffffffff000L, 0x1000)).length());
	}

	@Test
	void zeroLengthIsEinval() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x1000, 0x10000);
		fails(Errno.EINVAL, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0x10000, 0)));
		fails(Errno.EINVAL, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0, 0)));
	}

	@Test
	void overflowIsEoverflow() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x1000, 0x10000);
		fails(Errno.EOVERFLOW, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0xfffffffffffff000L, 0x2000)));
		fails(Errno.EOVERFLOW, () -> ctx.ioasUnmap(new IoasUnmap(ioas, ULONG_MAX, 1)));
		// U64_MAX length means "all" only with iova 0
		fails(Errno.EOVERFLOW, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0x10000, IoasUnmap.ALL)));
	}

	@Test
	void splittingOrTruncatingAnAreaIsEnoent() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x4000, 0x10000);
		fails(Errno.ENOENT, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0x10000, 0x1000)));
		fails(Errno.ENOENT, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0x11000, 0x3000)));
		fails(Errno.ENOENT, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0xf000, 0x2000)));
		fails(Errno.ENOENT, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0x13fff, 0x2)));
	}

	@Test
	void aStraddlingAreaAfterWholeOnesUnmapsNothing() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x1000, 0x10000);
		mapFixed(ioas, VA, 0x4000, 0x20000);
		fails(Errno.ENOENT, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0x10000, 0x12000)));
		assertEquals(2, iopt(ioas).areas().size());
	}

	@Test
	void nothingMappedIsEnoent() {
		int ioas = ioas();
		fails(Errno.ENOENT, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0x10000, 0x1000)));
		mapFixed(ioas, VA, 0x1000, 0x10000);
		fails(Errno.ENOENT, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0x11000, 0x1000)));
		fails(Errno.ENOENT, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0xf000, 0x1000)));
	}

	@Test
	void lockedAreaIsEbusyAlsoForUnmapAll() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x2000, 0x10000);
		mapFixed(ioas, VA, 0x1000, 0x20000);
		var locked = iopt(ioas).lock(0x11000, 0x800);
		fails(Errno.EBUSY, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0x10000, 0x2000)));
		fails(Errno.EBUSY, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0, IoasUnmap.ALL)));
		iopt(ioas).unlock(locked);
		assertEquals(0x3000, ctx.ioasUnmap(new IoasUnmap(ioas, 0, IoasUnmap.ALL)).length());
	}

	@Test
	void unknownIoasIsEnoent() {
		fails(Errno.ENOENT, () -> ctx.ioasUnmap(new IoasUnmap(7, 0, IoasUnmap.ALL)));
		fails(Errno.ENOENT, () -> ctx.ioasUnmap(new IoasUnmap(0, 0x1000, 0x1000)));
	}
}
