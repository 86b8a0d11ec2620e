package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.iommufd.Errno;
import smmu.iommufd.IoasCopy;
import smmu.iommufd.IoasIovaRanges;
import smmu.iommufd.IoasUnmap;
import smmu.iommufd.IovaRange;

/** The hooks a paging HWPT will use: attach/detach of a domain, area listeners, reservations, locks. */
class DomainHooksTest extends Fixture {
	static final long TOP48 = (1L << 48) - 1;

	@Test
	void attachFillsExistingAreasAndLaterMapsAndUnmapsAreMirrored() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x2000, 0x10000);
		Recorder d = new Recorder();
		iopt(ioas).attachDomain("d", 0, TOP48, 0x1000, d);
		assertEquals(List.of("map [0x10000->0x100000000+0x2000] prot 7"), d.events);
		mapFixed(ioas, VA + 0x8000, 0x1000, 0x20000);
		ctx.ioasUnmap(new IoasUnmap(ioas, 0x10000, 0x2000));
		assertEquals(List.of("map [0x10000->0x100000000+0x2000] prot 7", "map [0x20000->0x100008000+0x1000] prot 7",
				"unmap 0x10000+0x2000"), d.events);
		iopt(ioas).detachDomain("d");
		assertEquals("unmap 0x20000+0x1000", d.events.get(3));
		assertEquals(1, iopt(ioas).iovaAlignment());
		assertEquals(List.of(new IovaRange(0, ULONG_MAX)), ctx.ioasIovaRanges(IoasIovaRanges.request(ioas, 1)).allowedIovas());
	}

	@Test
	void attachReservesOutsideTheApertureAndRaisesTheAlignment() {
		int ioas = ioas();
		iopt(ioas).attachDomain("d", 0x1000, TOP48, 0x1000, new Recorder());
		IoasIovaRanges r = ctx.ioasIovaRanges(IoasIovaRanges.request(ioas, 4));
		assertEquals(new IoasIovaRanges(ioas, 1, List.of(new IovaRange(0x1000, TOP48)), 0x1000), r);
		fails(Errno.EINVAL, () -> mapFixed(ioas, VA, 0x1000, TOP48 + 1));
		fails(Errno.EINVAL, () -> mapFixed(ioas, VA, 0x1000, 0));
	}

	@Test
	void copyIsMirroredPerCreatedArea() {
		int src = ioas(), dst = ioas();
		mapFixed(src, VA, 0x1000, 0x10000);
		mapFixed(src, VA + 0x5000, 0x1000, 0x11000);
		Recorder d = new Recorder();
		iopt(dst).attachDomain("d", 0, TOP48, 0x1000, d);
		ctx.ioasCopy(new IoasCopy(FIXED_RW, dst, src, 0x2000, 0x40000, 0x10000));
		assertEquals(List.of("map [0x40000->0x100000000+0x1000] prot 7", "map [0x41000->0x100005000+0x1000] prot 7"), d.events);
	}

	@Test
	void aFailingDomainFailsTheMapAndEveryDomainIsRolledBack() {
		int ioas = ioas();
		Recorder a = new Recorder(), b = new Recorder();
		iopt(ioas).attachDomain("a", 0, ULONG_MAX, 0x1000, a);
		iopt(ioas).attachDomain("b", 0, ULONG_MAX, 0x1000, b);
		b.budget = 0;
		fails(Errno.ENOMEM, () -> mapFixed(ioas, VA, 0x1000, 0x10000));
		assertEquals(List.of("map [0x10000->0x100000000+0x1000] prot 7", "unmap 0x10000+0x1000"), a.events);
		assertEquals(List.of(), b.events);
		assertEquals(0, ctx.pinnedPages());
	}

	@Test
	void aFailingFillFailsTheAttachAndUndoesIt() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x1000, 0x10000);
		mapFixed(ioas, VA, 0x1000, 0x20000);
		Recorder d = new Recorder();
		d.budget = 1;
		String before = state();
		IommufdExceptionAssert.errno(Errno.ENOMEM, () -> iopt(ioas).attachDomain("d", 0x1000, TOP48, 0x1000, d));
		assertEquals(before, state());
		assertEquals(List.of("map [0x10000->0x100000000+0x1000] prot 7", "unmap 0x10000+0x1000"), d.events);
		assertEquals(false, iopt(ioas).hasDomains());
	}

	@Test
	void attachRejectsMisalignedAreasAreasOutsideTheApertureAndBigPages() {
		int ioas = ioas();
		mapFixed(ioas, VA + 0x800, 0x1000, 0x10000);
		IommufdExceptionAssert.errno(Errno.EADDRINUSE, () -> iopt(ioas).attachDomain("d", 0, TOP48, 0x1000, new Recorder()));
		ctx.ioasUnmap(new IoasUnmap(ioas, 0, IoasUnmap.ALL));
		mapFixed(ioas, VA, 0x1000, TOP48 + 1);
		IommufdExceptionAssert.errno(Errno.EADDRINUSE, () -> iopt(ioas).attachDomain("d", 0, TOP48, 0x1000, new Recorder()));
		assertEquals(List.of(), iopt(ioas).reservedRanges());
		IommufdExceptionAssert.errno(Errno.EINVAL, () -> iopt(ioas).attachDomain("d", 0, ULONG_MAX, 0x10000, new Recorder()));
		assertEquals(1, iopt(ioas).iovaAlignment());
	}

	@Test
	void attachOverAnAllowedRangeIsEaddrinuse() {
		int ioas = ioas();
		ctx.ioasAllowIovas(new smmu.iommufd.IoasAllowIovas(ioas, List.of(new IovaRange(TOP48 - 0xfff, TOP48 + 0x1000))));
		IommufdExceptionAssert.errno(Errno.EADDRINUSE, () -> iopt(ioas).attachDomain("d", 0, TOP48, 0x1000, new Recorder()));
	}

	@Test
	void swMsiReservationIsOwnedAndReleased() {
		int ioas = ioas();
		Object dev = new Object();
		iopt(ioas).reserveSwMsi(dev);
		assertEquals(List.of(new IovaRange(0x8000000, 0x80fffff)), iopt(ioas).reservedRanges());
		iopt(ioas).unreserve(new Object());
		assertEquals(1, iopt(ioas).reservedRanges().size());
		iopt(ioas).unreserve(dev);
		assertEquals(List.of(), iopt(ioas).reservedRanges());
	}

	@Test
	void lockNeedsAContiguouslyMappedRange() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x1000, 0x10000);
		mapFixed(ioas, VA, 0x1000, 0x12000);
		IommufdExceptionAssert.errno(Errno.ENOENT, () -> iopt(ioas).lock(0x10000, 0x3000));
		assertEquals("[]", iopt(ioas).areas().stream().filter(a -> a.locks != 0).toList().toString());
		List<Area> locked = iopt(ioas).lock(0x10000, 0x1000);
		assertEquals(1, locked.size());
		assertEquals(1, locked.get(0).locks);
	}
}
