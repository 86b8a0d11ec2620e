package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import smmu.hw.driver.Prot;
import smmu.iommufd.Errno;
import smmu.iommufd.IoasCopy;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IoasUnmap;

/**
 * IOMMU_IOAS_COPY: the source is two contiguous areas [0x100000, 0x104000) (VA) and
 * [0x104000, 0x106000) (VA + 0x10000).
 */
class IoasCopyTest extends Fixture {
	int src, dst;

	@BeforeEach
	void areas() {
		src = ioas();
		dst = ioas();
		mapFixed(src, VA, 0x4000, 0x100000);
		mapFixed(src, VA + 0x10000, 0x2000, 0x104000);
	}

	IoasCopy copy(int flags, long length, long dstIova, long srcIova) {
		return ctx.ioasCopy(new IoasCopy(flags, dst, src, length, dstIova, srcIova));
	}

	@Test
	void contiguousSubRangeAcrossTwoAreasMakesOneAreaPerSourceArea() {
		IoasCopy out = copy(FIXED_RW, 0x4000, 0x200000, 0x101000);
		assertEquals(0x200000, out.dstIova());
		List<Area> areas = iopt(dst).areas();
		assertEquals(2, areas.size());
		assertEquals(List.of("0x200000->0x100001000+0x3000"), segments(areas.get(0)));
		assertEquals(List.of("0x203000->0x100010000+0x1000"), segments(areas.get(1)));
		assertEquals(VA + 0x1000, areas.get(0).userVa());
		assertEquals(VA + 0x10000, areas.get(1).userVa());
		// shared pages: nothing more pinned
		assertEquals(6, ctx.pinnedPages());
	}

	@Test
	void automaticDestinationIovaUsesTheSourceUserVa() {
		// VA + 0x1000 has low bit 0x1000: alignment 0x1000
		assertEquals(0x1000, copy(RW, 0x2000, 0, 0x101000).dstIova());
		// VA: alignment min(0x4000, 2^40) = 0x4000, first fit after 0x2fff
		assertEquals(0x4000, copy(RW, 0x4000, 0, 0x100000).dstIova());
	}

	@Test
	void copyIntoTheSameIoas() {
		assertEquals(0x300000, ctx.ioasCopy(new IoasCopy(FIXED_RW, src, src, 0x6000, 0x300000, 0x100000)).dstIova());
		assertEquals(4, iopt(src).areas().size());
		fails(Errno.EEXIST, () -> ctx.ioasCopy(new IoasCopy(FIXED_RW, src, src, 0x1000, 0x103000, 0x100000)));
	}

	@Test
	void copiedPagesStayPinnedUntilTheLastAreaGoes() {
		copy(FIXED_RW, 0x6000, 0x200000, 0x100000);
		ctx.ioasUnmap(new IoasUnmap(src, 0, IoasUnmap.ALL));
		assertEquals(6, ctx.pinnedPages());
		assertEquals(List.of("0x200000->0x100000000+0x4000"), segments(iopt(dst).areas().get(0)));
		ctx.ioasUnmap(new IoasUnmap(dst, 0x200000, 0x4000));
		assertEquals(2, ctx.pinnedPages());
		ctx.destroy(dst);
		assertEquals(0, ctx.pinnedPages());
	}

	@Test
	void readOnlyCopyOfWritablePages() {
		copy(IoasMap.FIXED_IOVA | IoasMap.READABLE, 0x1000, 0x200000, 0x100000);
		assertEquals(Prot.READ | Prot.CACHE, iopt(dst).areas().get(0).prot());
	}

	@Test
	void gapOrUnmappedSourceIsEnoent() {
		mapFixed(src, VA, 0x1000, 0x107000);
		fails(Errno.ENOENT, () -> copy(FIXED_RW, 0x8000, 0x200000, 0x100000));
		fails(Errno.ENOENT, () -> copy(FIXED_RW, 0x1000, 0x200000, 0xff000));
		fails(Errno.ENOENT, () -> copy(FIXED_RW, 0x2000, 0x200000, 0xff000));
		fails(Errno.ENOENT, () -> copy(RW, 0x1000, 0, 0x500000));
	}

	@Test
	void writeableCopyOfReadOnlyPinnedPagesIsEperm() {
		ctx.ioasMap(new IoasMap(IoasMap.FIXED_IOVA | IoasMap.READABLE, src, VA, 0x1000, 0x400000));
		fails(Errno.EPERM, () -> copy(FIXED_RW, 0x1000, 0x200000, 0x400000));
		copy(IoasMap.FIXED_IOVA | IoasMap.READABLE, 0x1000, 0x200000, 0x400000);
	}

	@Test
	void flagErrorsComeFirst() {
		fails(Errno.EOPNOTSUPP, () -> copy(RW | 0x10, ULONG_MAX, 0, 0));
		fails(Errno.EOVERFLOW, () -> copy(FIXED_RW, ULONG_MAX, 0x200000, 0x100000));
		fails(Errno.EOVERFLOW, () -> copy(FIXED_RW, 0x1000, ULONG_MAX, 0x100000));
		fails(Errno.EOVERFLOW, () -> copy(FIXED_RW, 0x1000, 0x200000, ULONG_MAX));
		fails(Errno.EINVAL, () -> copy(IoasMap.FIXED_IOVA, 0x1000, 0x200000, 0x100000));
	}

	@Test
	void sourceRangeErrors() {
		fails(Errno.EINVAL, () -> copy(FIXED_RW, 0, 0x200000, 0x100000));
		fails(Errno.EOVERFLOW, () -> copy(FIXED_RW, 0x2000, 0x200000, 0xfffffffffffff000L));
	}

	@Test
	void unknownSourceOrDestinationIsEnoent() {
		fails(Errno.ENOENT, () -> ctx.ioasCopy(new IoasCopy(FIXED_RW, dst, 9, 0x1000, 0x200000, 0x100000)));
		fails(Errno.ENOENT, () -> ctx.ioasCopy(new IoasCopy(FIXED_RW, 9, src, 0x1000, 0x200000, 0x100000)));
		// the source is looked up (and its range checked) before the destination
		fails(Errno.ENOENT, () -> ctx.ioasCopy(new IoasCopy(FIXED_RW, 9, src, 0x1000, 0x200000, 0x900000)));
		fails(Errno.EINVAL, () -> ctx.ioasCopy(new IoasCopy(FIXED_RW, 9, src, 0, 0x200000, 0x100000)));
	}

	@Test
	void destinationFollowsMapRules() {
		mapFixed(dst, VA, 0x1000, 0x200000);
		iopt(dst).reserve(0x300000, 0x300fff, "resv");
		fails(Errno.EEXIST, () -> copy(FIXED_RW, 0x2000, 0x1ff000, 0x100000));
		fails(Errno.EINVAL, () -> copy(FIXED_RW, 0x1000, 0x300000, 0x100000));
		fails(Errno.EOVERFLOW, () -> copy(FIXED_RW, 0x2000, 0xfffffffffffff000L, 0x100000));
		ctx.option(smmu.iommufd.Option.set(smmu.iommufd.Option.HUGE_PAGES, dst, 0));
		fails(Errno.EINVAL, () -> copy(FIXED_RW, 0x1000, 0x400800, 0x100000));
	}

	@Test
	void destinationAlignmentAppliesToTheSourcePageOffset() {
		int odd = ioas();
		mapFixed(odd, VA + 0x234, 0x1000, 0x500000);
		ctx.option(smmu.iommufd.Option.set(smmu.iommufd.Option.HUGE_PAGES, dst, 0));
		fails(Errno.EINVAL, () -> ctx.ioasCopy(new IoasCopy(FIXED_RW, dst, odd, 0x1000, 0x600000, 0x500000)));
	}
}
