package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.iommufd.Errno;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IoasIovaRanges;
import smmu.iommufd.IoasUnmap;
import smmu.iommufd.IommufdException;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.ObjectType;
import smmu.iommufd.Option;

/** IOMMU_DESTROY, IOMMU_IOAS_ALLOC, the object table and the context's lifetime. */
class ObjectsTest extends Fixture {
	/** A stand-in for a later object type that holds a reference, e.g. a paging HWPT on its IOAS. */
	static final class User extends Obj {
		User(ObjectType type, Obj... refs) {
			super(type, List.of(refs));
		}

		@Override
		protected void destroyed() {
		}
	}

	@Test
	void idsStartAtOneAndTheLowestFreeIsReused() {
		assertEquals(new IoasAlloc(0, 1), ctx.ioasAlloc(IoasAlloc.request()));
		assertEquals(2, ioas());
		assertEquals(3, ioas());
		ctx.destroy(2);
		assertEquals(List.of(new IommufdObject(1, ObjectType.IOAS, 0, List.of()), new IommufdObject(3, ObjectType.IOAS, 0, List.of())),
				ctx.objects().stream().map(IommufdObject::node).toList());
		assertEquals(2, ioas());
		assertEquals(4, ioas());
	}

	@Test
	void idsArePerContext() {
		ioas();
		ioas();
		Context other = (Context) iommufd.open(mm, false);
		assertEquals(1, other.ioasAlloc(IoasAlloc.request()).outIoasId());
	}

	@Test
	void ioasAllocWithFlagsIsEopnotsupp() {
		fails(Errno.EOPNOTSUPP, () -> ctx.ioasAlloc(new IoasAlloc(1, 0)));
		fails(Errno.EOPNOTSUPP, () -> ctx.ioasAlloc(new IoasAlloc(0x80000000, 0)));
		assertEquals(1, ioas());
	}

	@Test
	void destroyUnknownZeroOrAlreadyDestroyedIsEnoent() {
		fails(Errno.ENOENT, () -> ctx.destroy(0));
		fails(Errno.ENOENT, () -> ctx.destroy(1));
		int ioas = ioas();
		ctx.destroy(ioas);
		fails(Errno.ENOENT, () -> ctx.destroy(ioas));
		fails(Errno.ENOENT, () -> ctx.destroy(-1));
	}

	@Test
	void aDestroyedIoasIsGoneForEveryIoctl() {
		int ioas = ioas();
		mapFixed(ioas, VA, 0x2000, 0x10000);
		ctx.destroy(ioas);
		assertEquals(0, ctx.pinnedPages());
		fails(Errno.ENOENT, () -> mapFixed(ioas, VA, 0x1000, 0x10000));
		fails(Errno.ENOENT, () -> ctx.ioasUnmap(new IoasUnmap(ioas, 0, IoasUnmap.ALL)));
		fails(Errno.ENOENT, () -> ctx.ioasIovaRanges(IoasIovaRanges.request(ioas, 1)));
		fails(Errno.ENOENT, () -> ctx.option(Option.get(Option.HUGE_PAGES, ioas)));
	}

	@Test
	void destroyWhileReferencedIsEbusy() {
		int ioas = ioas();
		User hwpt = new User(ObjectType.HWPT_PAGING, ctx.ioas(ioas));
		int hwptId = ctx.table().add(hwpt);
		assertEquals(2, hwptId);
		assertEquals(List.of(new IommufdObject(1, ObjectType.IOAS, 1, List.of()), new IommufdObject(2, ObjectType.HWPT_PAGING, 0, List.of(1))),
				ctx.objects().stream().map(IommufdObject::node).toList());
		fails(Errno.EBUSY, () -> ctx.destroy(ioas));
		ctx.destroy(hwptId);
		assertEquals(List.of(new IommufdObject(1, ObjectType.IOAS, 0, List.of())), ctx.objects().stream().map(IommufdObject::node).toList());
		ctx.destroy(ioas);
		assertTrue(ctx.objects().isEmpty());
	}

	@Test
	void anIdOfAnotherTypeIsEnoent() {
		int other = ctx.table().add(new User(ObjectType.DEVICE));
		fails(Errno.ENOENT, () -> mapFixed(other, VA, 0x1000, 0x10000));
		fails(Errno.ENOENT, () -> ctx.ioasIovaRanges(IoasIovaRanges.request(other, 1)));
		fails(Errno.ENOENT, () -> ctx.option(Option.get(Option.HUGE_PAGES, other)));
		ctx.destroy(other);
	}

	@Test
	void closeDestroysEverythingUsersFirstAndUnpins() {
		int a = ioas();
		int b = ioas();
		mapFixed(a, VA, 0x2000, 0x10000);
		mapFixed(b, VA + 0x4000, 0x2000, 0x10000);
		ctx.table().add(new User(ObjectType.HWPT_PAGING, ctx.ioas(a)));
		assertEquals(List.of(ctx), iommufd.contexts());
		ctx.close();
		assertTrue(ctx.table().isEmpty());
		assertEquals(0, ctx.pinnedPages());
		assertEquals(List.of(), iommufd.contexts());
		assertThrows(IllegalStateException.class, () -> ctx.ioasAlloc(IoasAlloc.request()));
		ctx.close();
	}

	@Test
	void exceptionRendersErrnoNameAndNumber() {
		IommufdException e = fails(Errno.ENOENT, () -> ctx.destroy(5));
		assertEquals("errno ENOENT (2): no object with ID 5", e.getMessage());
		assertEquals(null, e.response());
	}

	@Test
	void errnoNumbersAreLinux() {
		int[] want = { 1, 2, 5, 6, 7, 9, 11, 12, 14, 16, 17, 19, 22, 24, 25, 28, 29, 34, 75, 77, 90, 95, 98 };
		Errno[] got = { Errno.EPERM, Errno.ENOENT, Errno.EIO, Errno.ENXIO, Errno.E2BIG, Errno.EBADF, Errno.EAGAIN, Errno.ENOMEM, Errno.EFAULT,
				Errno.EBUSY, Errno.EEXIST, Errno.ENODEV, Errno.EINVAL, Errno.EMFILE, Errno.ENOTTY, Errno.ENOSPC, Errno.ESPIPE, Errno.ERANGE,
				Errno.EOVERFLOW, Errno.EBADFD, Errno.EMSGSIZE, Errno.EOPNOTSUPP, Errno.EADDRINUSE };
		for (int i = 0; i < want.length; i++) {
			assertEquals(want[i], got[i].number(), got[i].name());
		}
		assertEquals(want.length, Errno.values().length);
	}
}
