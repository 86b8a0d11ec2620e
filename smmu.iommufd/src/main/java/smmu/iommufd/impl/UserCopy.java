package smmu.iommufd.impl;

import static smmu.iommufd.impl.IoPagetable.err;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.TreeMap;

import smmu.iommufd.Errno;
import smmu.iommufd.UserProcess;

/**
 * The kernel's copy helpers over user memory whose cost a caller chooses: check_zeroed_user and
 * the loading of IOAS_ALLOW_IOVAS ranges. Both walk the user mappings in large chunks, stop at the
 * first fault or bad value as Linux does, and need no lock of the context (they touch only user
 * memory and a caller-private result).
 */
final class UserCopy {
	/** Bytes read from user memory at a time. */
	static final int CHUNK = 1 << 20;
	private static final byte[] ZEROS = new byte[CHUNK];
	private static final int RANGE_SIZE = 16;
	private static final long PAGE = 4096;

	private UserCopy() {}

	/**
	 * check_zeroed_user on [va, va + len): E2BIG at the first non-zero byte, EFAULT at the first
	 * unmapped one (whichever comes first); a range that wraps faults before any byte is read
	 * (access_ok).
	 */
	static void checkZeroed(UserProcess mm, long va, long len) {
		if (len == 0) {
			return;
		}
		if (Long.compareUnsigned(va + len - 1, va) < 0) {
			throw err(Errno.EFAULT, "user range 0x%x +0x%x wraps", va, len);
		}
		byte[] buf = new byte[(int) Math.min(len, CHUNK)];
		for (long done = 0; done < len;) {
			long cur = va + done;
			int n = (int) Math.min(len - done, CHUNK);
			byte[] b = n == buf.length ? buf : new byte[n];
			int readable = mm.read(cur, b) ? n : readablePrefix(mm, cur, b);
			int bad = Arrays.mismatch(b, 0, readable, ZEROS, 0, readable);
			if (bad >= 0) {
				throw err(Errno.E2BIG, "non-zero byte past the kernel's struct at user VA 0x%x", cur + bad);
			}
			if (readable < n) {
				throw err(Errno.EFAULT, "user VA 0x%x unreadable", cur + readable);
			}
			done += n;
		}
	}

	/** After a failed read of {@code dst.length} bytes at {@code va}: reads page by page, returns how many bytes were readable. */
	private static int readablePrefix(UserProcess mm, long va, byte[] dst) {
		int done = 0;
		while (done < dst.length) {
			long cur = va + done;
			int n = (int) Math.min(dst.length - done, ((cur | (PAGE - 1)) + 1) - cur);
			byte[] piece = new byte[n];
			if (!mm.read(cur, piece)) {
				return done;
			}
			System.arraycopy(piece, 0, dst, done, n);
			done += n;
		}
		return done;
	}

	/**
	 * iommufd_ioas_load_iovas: copies {@code num} {@code struct iommu_iova_range} from {@code ptr}
	 * one chunk at a time and checks each as it arrives: EFAULT at the first unreadable one, EINVAL at
	 * the first with start >= last or overlapping one before it. The work is bounded by the valid
	 * ranges the caller really wrote, not by {@code num}.
	 */
	static TreeMap<Long, Iv> loadIovas(UserProcess mm, long ptr, int num) {
		TreeMap<Long, Iv> tree = Spans.newMap();
		long n = Integer.toUnsignedLong(num);
		long i = 0;
		while (i < n) {
			long cur = ptr + i * RANGE_SIZE;
			int batch = (int) Math.min(n - i, CHUNK / RANGE_SIZE);
			byte[] b = new byte[batch * RANGE_SIZE];
			if (!mm.read(cur, b)) {
				// the fault lies in this batch: the ranges before it are still checked first
				batch = readablePrefix(mm, cur, b) / RANGE_SIZE;
				if (batch == 0) {
					throw err(Errno.EFAULT, "allowed_iovas[%d] at 0x%x unreadable", i, cur);
				}
			}
			ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
			for (int k = 0; k < batch; k++, i++) {
				IoPagetable.loadAllowedRange(tree, bb.getLong(k * RANGE_SIZE), bb.getLong(k * RANGE_SIZE + 8));
			}
		}
		return tree;
	}
}
