package smmu.accel.guest;

import java.util.Map;
import java.util.TreeMap;

/**
 * A DMA domain's IOVA space, simplified from Linux's iova allocator for {@code iommu-dma}: ranges of
 * whole granules, aligned to their size rounded up to a power of two ({@code size_aligned}), taken
 * top-down below the limit (the device's DMA mask), above the first granule. Unlike Linux, which
 * searches down from its cached last node, the highest hole that fits is always taken. Not thread-safe.
 */
public final class IovaAllocator {
	private final long granule, start, limit;
	/** start -> size of allocated ranges. */
	private final TreeMap<Long, Long> used = new TreeMap<>();

	/**
	 * @param granule the domain's smallest page size (a power of two)
	 * @param limit the first IOVA not handed out (e.g. 1 << 32 for a 32-bit DMA mask), granule aligned
	 */
	public IovaAllocator(long granule, long limit) {
		if (Long.bitCount(granule) != 1 || limit <= granule || (limit & (granule - 1)) != 0) {
			throw new IllegalArgumentException(String.format("granule 0x%x limit 0x%x", granule, limit));
		}
		this.granule = granule;
		this.start = granule;
		this.limit = limit;
	}

	public long granule() {
		return granule;
	}

	/** {@code size} rounded up to whole granules. */
	public long align(long size) {
		return (size + granule - 1) & -granule;
	}

	/**
	 * The highest free range of {@code size} (rounded up to granules) aligned to its size rounded up to a
	 * power of two, or -1 when none fits.
	 */
	public long allocate(long size) {
		if (size <= 0 || size > limit) {
			throw new IllegalArgumentException("IOVA size " + size);
		}
		long len = align(size);
		long alignment = Long.highestOneBit(len) == len ? len : Long.highestOneBit(len) << 1;
		long top = limit;
		for (Map.Entry<Long, Long> e : used.descendingMap().entrySet()) {
			long candidate = (top - len) & -alignment;
			long gapStart = e.getKey() + e.getValue();
			if (candidate >= gapStart && candidate >= start) {
				used.put(candidate, len);
				return candidate;
			}
			top = e.getKey();
		}
		long candidate = (top - len) & -alignment;
		if (top - len >= start && candidate >= start) {
			used.put(candidate, len);
			return candidate;
		}
		return -1;
	}

	/**
	 * Takes [iova, iova + size) out of the allocator for good ({@code reserve_iova} for a reserved region
	 * such as an IORT RMR); false when part of it is handed out already.
	 */
	public boolean reserve(long iova, long size) {
		long end = iova + align(size);
		for (Map.Entry<Long, Long> e : used.entrySet()) {
			if (e.getKey() < end && iova < e.getKey() + e.getValue()) {
				return false;
			}
		}
		used.put(iova, end - iova);
		return true;
	}

	/** Returns a range {@link #allocate} gave; false when {@code iova} is not the start of one. */
	public boolean free(long iova) {
		return used.remove(iova) != null;
	}

	/** Bytes handed out. */
	public long allocatedBytes() {
		long n = 0;
		for (long s : used.values()) {
			n += s;
		}
		return n;
	}
}
