package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.hw.driver.Prot;
import smmu.iommufd.Errno;
import smmu.iommufd.IoasAllowIovas;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IovaRange;
import smmu.iommufd.Option;

/** IOMMU_IOAS_MAP: §1.4 success paths, automatic IOVA allocation and every errno. */
class IoasMapTest extends Fixture {
	@Test
	void fixedIovaMapsPinnedPagesAndWritesBackTheIova() {
		int ioas = ioas();
		IoasMap out = ctx.ioasMap(new IoasMap(FIXED_RW, ioas, VA + 0x1000, 0x3000, 0x100000));
		assertEquals(new IoasMap(FIXED_RW, ioas, VA + 0x1000, 0x3000, 0x100000), out);
		Area a = iopt(ioas).areas().get(0);
		assertEquals(0x100000, a.iova());
		assertEquals(0x102fffL, a.last());
		assertEquals(Prot.READ | Prot.WRITE | Prot.CACHE, a.prot());
		assertEquals(List.of("0x100000->0x100001000+0x3000"), segments(a));
		assertEquals(3, ctx.pinnedPages());
	}

	@Test
	void readOnlyMapHasNoWritePermission() {
		int ioas = ioas();
		ctx.ioasMap(new IoasMap(IoasMap.FIXED_IOVA | IoasMap.READABLE, ioas, RO_VA, 0x2000, 0x40000));
		Area a = iopt(ioas).areas().get(0);
		assertEquals(Prot.READ | Prot.CACHE, a.prot());
		assertEquals(List.of("0x40000->0x200000000+0x2000"), segments(a));
		ctx.ioasMap(new IoasMap(IoasMap.FIXED_IOVA | IoasMap.WRITEABLE, ioas, VA, 0x1000, 0x50000));
		assertEquals(Prot.WRITE | Prot.CACHE, iopt(ioas).areas().get(1).prot());
	}

	@Test
	void pinningFollowsPhysicalDiscontiguityAndSurvivesUserUnmap() {
		long va2 = 0x7f2000000000L;
		mm.map(va2, 0x2000, 0x300000000L, true);
		mm.map(va2 + 0x2000, 0x2000, 0x400000000L, true);
		int ioas = ioas();
		mapFixed(ioas, va2 + 0x800, 0x3000, 0x10000);
		mm.unmap(va2, 0x4000);
		Area a = iopt(ioas).areas().get(0);
		assertEquals(List.of("0x10000->0x300000800+0x1800", "0x11800->0x400000000+0x1800"), segments(a));
		assertEquals(0x800, a.pageOffset());
		assertEquals(va2 + 0x800, a.userVa());
		assertEquals(4, ctx.pinnedPages());
	}

	@Test
	void autoIovaIsNeverZeroAndPacksPages() {
		int ioas = ioas();
		assertEquals(0x1000, mapAuto(ioas, VA, 0x1000));
		assertEquals(0x2000, mapAuto(ioas, VA, 0x1000));
		assertEquals(0x3000, mapAuto(ioas, VA + 0x5000, 0x1000));
	}

	@Test
	void autoIovaAlignmentIsMinOfRoundupLengthAndUserVaLowBit() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x1000, 0x1000);
		// roundup_pow_of_two(0x3000) = 0x4000, VA bit 40: align 0x4000, first fit after 0x1fff
		assertEquals(0x4000, mapAuto(ioas, VA, 0x3000));
		// VA + 0x1000: the low bit 0x1000 wins over 0x4000
		assertEquals(0x2000, mapAuto(ioas, VA + 0x1000, 0x2000));
		// 2 MiB from a 2 MiB aligned VA: aligned to 2 MiB after the areas below 0x8000
		assertEquals(0x200000, mapAuto(ioas, VA + 0x200000, 0x200000));
	}

	@Test
	void autoIovaAlignmentIsCappedAtTheHugePageSize() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x1000, 0x1000);
		assertEquals(0x200000, mapAuto(ioas, VA, 0x800000));
		assertEquals(0xa00000, mapAuto(ioas, VA, 0x400000));
	}

	@Test
	void autoIovaKeepsTheUserPageOffset() {
		int ioas = ioas();
		long iova = mapAuto(ioas, VA + 0x234, 0x100);
		assertEquals(0x1234, iova);
		Area a = iopt(ioas).areas().get(0);
		assertEquals(List.of("0x1234->0x100000234+0x100"), segments(a));
		assertEquals(1, ctx.pinnedPages());
		// crossing a page: two pages pinned; align min(0x200, 0x100): ALIGN(0x1334, 0x100) | 0xf00
		assertEquals(0x1f00, mapAuto(ioas, VA + 0x10f00, 0x200));
		assertEquals(3, ctx.pinnedPages());
	}

	@Test
	void autoIovaFromUserVaZeroUsesTheLengthAlignment() {
		mm.map(0, 0x10000, 0x500000000L, true);
		int ioas = ioas();
		mapFixed(ioas, VA, 0x1000, 0x1000);
		assertEquals(0x4000, mapAuto(ioas, 0, 0x3000));
	}

	@Test
	void autoIovaSkipsReservedRangesAndAreas() {
		int ioas = ioas();
		iopt(ioas).reserve(0x1000, 0x1fff, "resv");
		mapFixed(ioas, VA, 0x1000, 0x3000);
		assertEquals(0x2000, mapAuto(ioas, VA, 0x1000));
		assertEquals(0x4000, mapAuto(ioas, VA, 0x1000));
	}

	@Test
	void autoIovaStaysInsideAllowedRangesAndMergesAdjacentOnes() {
		int ioas = ioas();
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x100000, 0x100fff), new IovaRange(0x101000, 0x101fff))));
		assertEquals(0x100000, mapAuto(ioas, VA, 0x2000));
		fails(Errno.ENOSPC, () -> mapAuto(ioas, VA, 0x1000));
	}

	@Test
	void allowedRangeStartingAtZeroIsClippedToPageSize() {
		int ioas = ioas();
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0, 0xffff))));
		assertEquals(0x1000, mapAuto(ioas, VA, 0x1000));
	}

	@Test
	void searchEndsOnePageBelowTheTop() {
		int ioas = ioas();
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0xffffffffffff0000L, ULONG_MAX))));
		assertEquals(0xffffffffffff0000L, mapAuto(ioas, VA + 0x100000, 0xf000));
		fails(Errno.ENOSPC, () -> mapAuto(ioas, VA, 0x1000));
		ctx.ioasUnmap(new smmu.iommufd.IoasUnmap(ioas, 0, smmu.iommufd.IoasUnmap.ALL));
		fails(Errno.ENOSPC, () -> mapAuto(ioas, VA, 0x10000));
	}

	@Test
	void noHoleGivesEnospc() {
		int ioas = ioas();
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x100000, 0x1fffff))));
		fails(Errno.ENOSPC, () -> mapAuto(ioas, VA, 0x200000));
	}

	@Test
	void autoAlignmentBelowTheIoasAlignmentIsEinval() {
		int ioas = ioas();
		ctx.option(Option.set(Option.HUGE_PAGES, ioas, 0));
		fails(Errno.EINVAL, () -> mapAuto(ioas, VA + 0x234, 0x1000));
	}

	@Test
	void hugeLengthForAutoAllocationIsEoverflow() {
		mm.map(0, 0x1000, 0x500000000L, true);
		int ioas = ioas();
		fails(Errno.EOVERFLOW, () -> mapAuto(ioas, 0, 0x8000000000000000L));
	}

	@Test
	void hugeLengthsAlignUnsigned() {
		long length = 0x4000000000001000L;
		mm.map(0x1000, length, 0x800000000L, true);
		int ioas = ioas();
		// roundup_pow_of_two(length) = 2^63 (unsigned), the VA's 0x1000 wins
		assertEquals(0x1000, mapAuto(ioas, 0x1000, length));
		assertEquals(List.of("0x1000->0x800000000+0x4000000000001000"), segments(iopt(ioas).areas().get(0)));
		assertEquals(0x4000000000001L, ctx.pinnedPages());
	}

	@Test
	void fixedIovaIgnoresAllowedRanges() {
		int ioas = ioas();
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x100000, 0x1fffff))));
		assertEquals(0x5000, mapFixed(ioas, VA, 0x1000, 0x5000));
	}

	@Test
	void fixedIovaMayDifferInPageOffsetWhileAlignmentIsOne() {
		int ioas = ioas();
		assertEquals(0x5000, mapFixed(ioas, VA + 0x234, 0x100, 0x5000));
		assertEquals(List.of("0x5000->0x100000234+0x100"), segments(iopt(ioas).areas().get(0)));
	}

	@Test
	void unsupportedFlagsAreEopnotsuppBeforeEverythingElse() {
		int ioas = ioas();
		fails(Errno.EOPNOTSUPP, () -> ctx.ioasMap(new IoasMap(RW | 8, ioas, VA, 0x1000, 0)));
		fails(Errno.EOPNOTSUPP, () -> ctx.ioasMap(new IoasMap(0x80000000 | RW, 99, VA, 0, ULONG_MAX)));
	}

	@Test
	void ulongMaxIovaOrLengthIsEoverflow() {
		int ioas = ioas();
		fails(Errno.EOVERFLOW, () -> ctx.ioasMap(new IoasMap(FIXED_RW, ioas, VA, 0x1000, ULONG_MAX)));
		fails(Errno.EOVERFLOW, () -> ctx.ioasMap(new IoasMap(RW, ioas, VA, ULONG_MAX, 0)));
		// checked before the R/W rule and before the IOAS lookup
		fails(Errno.EOVERFLOW, () -> ctx.ioasMap(new IoasMap(0, 99, VA, ULONG_MAX, 0)));
	}

	@Test
	void neitherReadableNorWriteableIsEinval() {
		int ioas = ioas();
		fails(Errno.EINVAL, () -> ctx.ioasMap(new IoasMap(IoasMap.FIXED_IOVA, ioas, VA, 0x1000, 0x1000)));
		fails(Errno.EINVAL, () -> ctx.ioasMap(new IoasMap(0, 99, VA, 0x1000, 0)));
	}

	@Test
	void unknownOrZeroIoasIsEnoent() {
		fails(Errno.ENOENT, () -> mapFixed(1, VA, 0x1000, 0x1000));
		int ioas = ioas();
		fails(Errno.ENOENT, () -> mapFixed(0, VA, 0x1000, 0x1000));
		fails(Errno.ENOENT, () -> mapFixed(ioas + 1, VA, 0x1000, 0x1000));
	}

	@Test
	void zeroLengthIsEinval() {
		int ioas = ioas();
		fails(Errno.EINVAL, () -> mapFixed(ioas, VA, 0, 0x1000));
		fails(Errno.EINVAL, () -> mapAuto(ioas, VA, 0));
	}

	@Test
	void userRangeWrapIsEoverflowAndHugeLengthEinval() {
		int ioas = ioas();
		fails(Errno.EOVERFLOW, () -> mapFixed(ioas, 0xfffffffffffff000L, 0x1000, 0x1000));
		fails(Errno.EINVAL, () -> mapFixed(ioas, 0, 0xfffffffffffff800L, 0x1000));
	}

	@Test
	void lengthNotMultipleOfIoasAlignmentIsEinval() {
		int ioas = ioas();
		ctx.option(Option.set(Option.HUGE_PAGES, ioas, 0));
		fails(Errno.EINVAL, () -> mapFixed(ioas, VA, 0x1800, 0x10000));
		fails(Errno.EINVAL, () -> mapAuto(ioas, VA, 0x800));
	}

	@Test
	void misalignedFixedIovaIsEinval() {
		int ioas = ioas();
		ctx.option(Option.set(Option.HUGE_PAGES, ioas, 0));
		fails(Errno.EINVAL, () -> mapFixed(ioas, VA, 0x1000, 0x1800));
	}

	@Test
	void userPageOffsetBreakingTheAlignmentIsEinval() {
		int ioas = ioas();
		ctx.option(Option.set(Option.HUGE_PAGES, ioas, 0));
		fails(Errno.EINVAL, () -> mapFixed(ioas, VA + 0x234, 0x1000, 0x10000));
	}

	@Test
	void fixedRangeWrappingIsEoverflow() {
		int ioas = ioas();
		fails(Errno.EOVERFLOW, () -> mapFixed(ioas, VA, 0x2000, 0xfffffffffffff000L));
	}

	@Test
	void fixedRangeOnReservedIsEinval() {
		int ioas = ioas();
		iopt(ioas).reserveSwMsi("dev");
		fails(Errno.EINVAL, () -> mapFixed(ioas, VA, 0x2000, 0x80ff000L));
		fails(Errno.EINVAL, () -> mapFixed(ioas, VA, 0x1000, 0x7fff000L + 0x1000));
		assertEquals(0x7fff000L, mapFixed(ioas, VA, 0x1000, 0x7fff000L));
		assertEquals(0x8100000L, mapFixed(ioas, VA, 0x1000, 0x8100000L));
	}

	@Test
	void fixedRangeOnAnAreaIsEexistAndNeverReplaces() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x4000, 0x10000);
		fails(Errno.EEXIST, () -> mapFixed(ioas, VA, 0x1000, 0x13000));
		fails(Errno.EEXIST, () -> mapFixed(ioas, VA, 0x2000, 0xf000));
		fails(Errno.EEXIST, () -> mapFixed(ioas, VA, 0x10000, 0x8000));
		assertEquals(0x14000, mapFixed(ioas, VA, 0x1000, 0x14000));
	}

	@Test
	void iovaErrorsComeBeforePinning() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x1000, 0x10000);
		fails(Errno.EEXIST, () -> mapFixed(ioas, VA + RAM, 0x1000, 0x10000));
	}

	@Test
	void unmappedUserPagesAreEfault() {
		int ioas = ioas();
		fails(Errno.EFAULT, () -> mapFixed(ioas, VA + RAM, 0x1000, 0x10000));
		fails(Errno.EFAULT, () -> mapAuto(ioas, 0x1000, 0x1000));
	}

	@Test
	void userPagesUnmappedPartWayAreEfaultAndNothingStaysPinned() {
		int ioas = ioas();
		fails(Errno.EFAULT, () -> mapFixed(ioas, VA + RAM - 0x1000, 0x2000, 0x10000));
		fails(Errno.EFAULT, () -> mapFixed(ioas, VA + RAM - 0x800, 0x1000, 0x10000));
		assertEquals(0, ctx.pinnedPages());
	}

	@Test
	void writeOnReadOnlyUserPagesIsEperm() {
		int ioas = ioas();
		fails(Errno.EPERM, () -> mapFixed(ioas, RO_VA, 0x1000, 0x10000));
		mm.map(RO_VA + (1L << 20), 0x1000, 0x600000000L, true);
		fails(Errno.EPERM, () -> mapFixed(ioas, RO_VA + (1L << 20) - 0x1000, 0x2000, 0x10000));
	}
}
