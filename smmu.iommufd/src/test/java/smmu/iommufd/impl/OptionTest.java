package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import smmu.iommufd.Errno;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;
import smmu.iommufd.Option;

/** IOMMU_OPTION: RLIMIT_MODE (global) and HUGE_PAGES (per IOAS). */
class OptionTest extends Fixture {
	@Test
	void rlimitModeDefaultsToZeroAndIsSetOnAnEmptyContext() {
		assertEquals(0, ctx.option(Option.get(Option.RLIMIT_MODE, 0)).val64());
		assertEquals(1, ctx.option(Option.set(Option.RLIMIT_MODE, 0, 1)).val64());
		assertEquals(1, ctx.option(Option.get(Option.RLIMIT_MODE, 0)).val64());
		ctx.option(Option.set(Option.RLIMIT_MODE, 0, 0));
		assertEquals(0, ctx.option(Option.get(Option.RLIMIT_MODE, 0)).val64());
	}

	@Test
	void rlimitModeSetNeedsCapSysResource() {
		IommufdContext plain = iommufd.open(mm, false);
		IommufdException e = org.junit.jupiter.api.Assertions.assertThrows(IommufdException.class,
				() -> plain.option(Option.set(Option.RLIMIT_MODE, 0, 1)));
		assertEquals(Errno.EPERM, e.errno());
		assertEquals(0, plain.option(Option.get(Option.RLIMIT_MODE, 0)).val64());
	}

	@Test
	void rlimitModeSetWithObjectsIsEbusy() {
		int ioas = ioas();
		fails(Errno.EBUSY, () -> ctx.option(Option.set(Option.RLIMIT_MODE, 0, 1)));
		ctx.destroy(ioas);
		ctx.option(Option.set(Option.RLIMIT_MODE, 0, 1));
	}

	@Test
	void rlimitModeBadValueOpOrObjectId() {
		fails(Errno.EINVAL, () -> ctx.option(Option.set(Option.RLIMIT_MODE, 0, 2)));
		fails(Errno.EOPNOTSUPP, () -> ctx.option(new Option(Option.RLIMIT_MODE, 2, 0, 0)));
		fails(Errno.EOPNOTSUPP, () -> ctx.option(Option.get(Option.RLIMIT_MODE, 1)));
		assertEquals(0, ctx.option(Option.get(Option.RLIMIT_MODE, 0)).val64());
	}

	@Test
	void unknownOptionIsEopnotsupp() {
		fails(Errno.EOPNOTSUPP, () -> ctx.option(Option.get(2, 0)));
		fails(Errno.EOPNOTSUPP, () -> ctx.option(Option.get(-1, 0)));
	}

	@Test
	void hugePagesDefaultsToOneAndZeroForcesPageAlignment() {
		int ioas = ioas();
		assertEquals(new Option(Option.HUGE_PAGES, Option.OP_GET, ioas, 1), ctx.option(Option.get(Option.HUGE_PAGES, ioas)));
		ctx.option(Option.set(Option.HUGE_PAGES, ioas, 0));
		assertEquals(0, ctx.option(Option.get(Option.HUGE_PAGES, ioas)).val64());
		assertEquals(0x1000, iopt(ioas).iovaAlignment());
		ctx.option(Option.set(Option.HUGE_PAGES, ioas, 0));
		ctx.option(Option.set(Option.HUGE_PAGES, ioas, 1));
		assertEquals(1, iopt(ioas).iovaAlignment());
		assertEquals(1, ctx.option(Option.get(Option.HUGE_PAGES, ioas)).val64());
	}

	@Test
	void hugePagesOffWithAlignedAreasSucceeds() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x2000, 0x10000);
		ctx.option(Option.set(Option.HUGE_PAGES, ioas, 0));
		assertEquals(0x1000, iopt(ioas).iovaAlignment());
	}

	@Test
	void hugePagesOffWithMisalignedAreasIsEaddrinuse() {
		int ioas = ioas();
		int other = ioas();
		mapFixed(ioas, VA, 0x1800, 0x10000);
		mapFixed(other, VA + 0x800, 0x1000, 0x10000);
		fails(Errno.EADDRINUSE, () -> ctx.option(Option.set(Option.HUGE_PAGES, ioas, 0)));
		fails(Errno.EADDRINUSE, () -> ctx.option(Option.set(Option.HUGE_PAGES, other, 0)));
		assertEquals(1, ctx.option(Option.get(Option.HUGE_PAGES, ioas)).val64());
	}

	@Test
	void hugePagesOffWithDomainsHoldingMappingsIsEinval() {
		int ioas = ioas();
		iopt(ioas).attachDomain("domain", 0, ULONG_MAX, 0x1000, new Recorder());
		ctx.option(Option.set(Option.HUGE_PAGES, ioas, 0));
		ctx.option(Option.set(Option.HUGE_PAGES, ioas, 1));
		assertEquals(0x1000, iopt(ioas).iovaAlignment());
		mapFixed(ioas, VA, 0x1000, 0x10000);
		fails(Errno.EINVAL, () -> ctx.option(Option.set(Option.HUGE_PAGES, ioas, 0)));
	}

	@Test
	void hugePagesBadValueOpOrObject() {
		int ioas = ioas();
		fails(Errno.EINVAL, () -> ctx.option(Option.set(Option.HUGE_PAGES, ioas, 2)));
		fails(Errno.EOPNOTSUPP, () -> ctx.option(new Option(Option.HUGE_PAGES, 5, ioas, 0)));
		fails(Errno.ENOENT, () -> ctx.option(Option.get(Option.HUGE_PAGES, 0)));
		fails(Errno.ENOENT, () -> ctx.option(Option.set(Option.HUGE_PAGES, ioas + 1, 0)));
	}
}
