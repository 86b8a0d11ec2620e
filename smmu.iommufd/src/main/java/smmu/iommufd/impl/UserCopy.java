package smmu.iommufd.impl;

import static smmu.iommufd.impl.IoPagetable.err;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.TreeMap;

import smmu.iommufd.Errno;
import smmu.iommufd.VmmAddressSpace;

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

	private UserCopy() {}

	/**
	 * check_zeroed_user on [va, va + len): E2BIG at the first non-zero byte, EFAULT at the first
	 * unmapped one (whichever comes first); a range that wraps faults before any byte is read
	 * (access_ok).
	 */
	static void checkZeroed(VmmAddressSpace mm, long va, long len) {
		if (len == 0) {
			return;
		}
		if (Long.compareUnsigned(va + len - 1, va) < 0) {
			throw err(Errno.EFAULT, "user range 0x%x +0x%x wraps", va, len);
		}
		byte[] buf = new byte[(int) Math.min(len, CHUNK)];
		for (long done = 0; done < len;) {
			long cur = va + done;
			VmmAddressSpace.Mapping m = mm.lookup(cur);
			if (m == null) {
				throw err(Errno.EFAULT, "user VA 0x%x unmapped", cur);
			}
			int n = (int) Math.min(Math.min(len - done, CHUNK), m.last() - cur + 1);
			byte[] b = n == buf.length ? buf : new byte[n];
			if (!mm.read(cur, b)) {
				throw err(Errno.EFAULT, "user VA 0x%x unreadable", cur);
			}
			if (Arrays.mismatch(b, 0, n, ZEROS, 0, n) >= 0) {
				throw err(Errno.E2BIG, "non-zero byte past the kernel's struct at user VA 0x%x", cur + Arrays.mismatch(b, 0, n, ZEROS, 0, n));
			}
			done += n;
		}
	}

	/**
	 * iommufd_ioas_load_iovas: copies {@code num} {@code struct iommu_iova_range} from {@code ptr}
	 * one chunk at a time and checks each as it arrives: EFAULT at the first unreadable one, EINVAL at
	 * the first with start >= last or overlapping one before it. The work is bounded by the valid
	 * ranges the caller really wrote, not by {@code num}.
	 */
	static TreeMap<Long, Iv> loadIovas(VmmAddressSpace mm, long ptr, int num) {
		TreeMap<Long, Iv> tree = Spans.newMap();
		long n = Integer.toUnsignedLong(num);
		long i = 0;
		while (i < n) {
			long cur = ptr + i * RANGE_SIZE;
			VmmAddressSpace.Mapping m = mm.lookup(cur);
			long inMapping = m == null ? 0 : (m.last() - cur + 1) / RANGE_SIZE;
			int batch = (int) Math.max(1, Math.min(Math.min(n - i, CHUNK / RANGE_SIZE), inMapping));
			byte[] b = new byte[batch * RANGE_SIZE];
			if (!mm.read(cur, b)) {
				throw err(Errno.EFAULT, "allowed_iovas[%d] at 0x%x unreadable", i, cur);
			}
			ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
			for (int k = 0; k < batch; k++, i++) {
				IoPagetable.loadAllowedRange(tree, bb.getLong(k * RANGE_SIZE), bb.getLong(k * RANGE_SIZE + 8));
			}
		}
		return tree;
	}
}
