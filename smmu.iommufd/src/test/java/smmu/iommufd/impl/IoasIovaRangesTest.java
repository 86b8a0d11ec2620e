package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.iommufd.Errno;
import smmu.iommufd.IoasAllowIovas;
import smmu.iommufd.IoasIovaRanges;
import smmu.iommufd.IovaRange;
import smmu.iommufd.Option;

/** IOMMU_IOAS_IOVA_RANGES and IOMMU_IOAS_ALLOW_IOVAS. */
class IoasIovaRangesTest extends Fixture {
	static final IovaRange ALL = new IovaRange(0, ULONG_MAX);

	@Test
	void newIoasHasTheWholeSpaceAndAlignmentOne() {
		int ioas = ioas();
		assertEquals(new IoasIovaRanges(ioas, 1, List.of(ALL), 1), ctx.ioasIovaRanges(IoasIovaRanges.request(ioas, 4)));
	}

	@Test
	void reservedRangesAreHoles() {
		int ioas = ioas();
		iopt(ioas).reserveSwMsi("dev");
		iopt(ioas).reserve(0xfffffffffff00000L, ULONG_MAX, "top");
		List<IovaRange> want = List.of(new IovaRange(0, 0x7ffffff), new IovaRange(0x8100000, 0xffffffffffefffffL));
		assertEquals(new IoasIovaRanges(ioas, 2, want, 1), ctx.ioasIovaRanges(IoasIovaRanges.request(ioas, 2)));
	}

	@Test
	void overlappingAndAdjacentReservationsMerge() {
		int ioas = ioas();
		iopt(ioas).reserve(0x1000, 0x4fff, "a");
		iopt(ioas).reserve(0x3000, 0x7fff, "b");
		iopt(ioas).reserve(0x8000, 0x8fff, "c");
		iopt(ioas).reserve(0, 0, "zero");
		List<IovaRange> want = List.of(new IovaRange(1, 0xfff), new IovaRange(0x9000, ULONG_MAX));
		assertEquals(want, ctx.ioasIovaRanges(IoasIovaRanges.request(ioas, 8)).allowedIovas());
		iopt(ioas).unreserve("b");
		want = List.of(new IovaRange(1, 0xfff), new IovaRange(0x5000, 0x7fff), new IovaRange(0x9000, ULONG_MAX));
		assertEquals(want, ctx.ioasIovaRanges(IoasIovaRanges.request(ioas, 8)).allowedIovas());
	}

	@Test
	void tooSmallCapacityIsEmsgsizeWithTheRequiredCount() {
		int ioas = ioas();
		iopt(ioas).reserveSwMsi("dev");
		IoasIovaRanges back = (IoasIovaRanges) fails(Errno.EMSGSIZE, () -> ctx.ioasIovaRanges(IoasIovaRanges.request(ioas, 1))).response();
		assertEquals(new IoasIovaRanges(ioas, 2, List.of(new IovaRange(0, 0x7ffffff)), 1), back);
		back = (IoasIovaRanges) fails(Errno.EMSGSIZE, () -> ctx.ioasIovaRanges(IoasIovaRanges.request(ioas, 0))).response();
		assertEquals(new IoasIovaRanges(ioas, 2, List.of(), 1), back);
	}

	@Test
	void alignmentReflectsHugePagesOption() {
		int ioas = ioas();
		ctx.option(Option.set(Option.HUGE_PAGES, ioas, 0));
		assertEquals(0x1000, ctx.ioasIovaRanges(IoasIovaRanges.request(ioas, 1)).outIovaAlignment());
		ctx.option(Option.set(Option.HUGE_PAGES, ioas, 1));
		assertEquals(1, ctx.ioasIovaRanges(IoasIovaRanges.request(ioas, 1)).outIovaAlignment());
	}

	@Test
	void unknownIoasIsEnoent() {
		fails(Errno.ENOENT, () -> ctx.ioasIovaRanges(IoasIovaRanges.request(3, 1)));
	}

	@Test
	void allowListIsReplacedAndClearedWhole() {
		int ioas = ioas();
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x200000, 0x2fffff), new IovaRange(0x100000, 0x1fffff))));
		assertEquals(List.of(new IovaRange(0x100000, 0x1fffff), new IovaRange(0x200000, 0x2fffff)), iopt(ioas).allowedRanges());
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x400000, 0x4fffff))));
		assertEquals(0x400000, mapAuto(ioas, VA, 0x1000));
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of()));
		assertEquals(List.of(), iopt(ioas).allowedRanges());
		assertEquals(0x1000, mapAuto(ioas, VA, 0x1000));
		// the allowed list does not touch usable ranges
		assertEquals(List.of(ALL), ctx.ioasIovaRanges(IoasIovaRanges.request(ioas, 1)).allowedIovas());
	}

	@Test
	void existingAreasOutsideTheNewListStay() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x1000, 0x10000);
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x100000, 0x1fffff))));
		assertEquals(1, iopt(ioas).areas().size());
	}

	@Test
	void emptyOrInvertedRangeIsEinval() {
		int ioas = ioas();
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x100000, 0x1fffff))));
		fails(Errno.EINVAL, () -> ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x5000, 0x5000)))));
		fails(Errno.EINVAL, () -> ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x300000, 0x3fffff), new IovaRange(0x6000, 0x5000)))));
		// unsigned: 0x8000000000000000 is above 0x1000
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x1000, 0x8000000000000000L))));
		fails(Errno.EINVAL, () -> ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x8000000000000000L, 0x1000)))));
	}

	@Test
	void overlappingRangesInTheListAreEinval() {
		int ioas = ioas();
		fails(Errno.EINVAL, () -> ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x1000, 0x2fff), new IovaRange(0x2fff, 0x3fff)))));
		fails(Errno.EINVAL, () -> ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x1000, 0x8fff), new IovaRange(0x2000, 0x3fff)))));
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x1000, 0x2fff), new IovaRange(0x3000, 0x3fff))));
	}

	@Test
	void rangeOnReservedIsEaddrinuseAndKeepsTheOldList() {
		int ioas = ioas();
		iopt(ioas).reserveSwMsi("dev");
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x100000, 0x1fffff))));
		fails(Errno.EADDRINUSE, () -> ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x1000, 0x1fff), new IovaRange(0x80fffff, 0x9000000)))));
		assertEquals(List.of(new IovaRange(0x100000, 0x1fffff)), iopt(ioas).allowedRanges());
		assertEquals(0x100000, mapAuto(ioas, VA, 0x1000));
	}

	@Test
	void reservingInsideAnAllowedRangeIsEaddrinuse() {
		int ioas = ioas();
		ctx.ioasAllowIovas(new IoasAllowIovas(ioas, List.of(new IovaRange(0x8000000, 0x80fffff))));
		fails(Errno.EADDRINUSE, () -> iopt(ioas).reserveSwMsi("dev"));
		iopt(ioas).reserve(0x8100000, 0x81fffff, "dev");
	}

	@Test
	void reservingOverAnAreaIsEaddrinuse() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x1000, 0x80ff000L);
		fails(Errno.EADDRINUSE, () -> iopt(ioas).reserveSwMsi("dev"));
	}

	@Test
	void allowIovasOnUnknownIoasIsEnoent() {
		fails(Errno.ENOENT, () -> ctx.ioasAllowIovas(new IoasAllowIovas(1, List.of())));
	}
}
