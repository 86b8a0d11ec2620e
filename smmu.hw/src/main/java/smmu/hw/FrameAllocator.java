package smmu.hw;

import java.util.Map;
import java.util.TreeMap;

/**
 * Allocates naturally aligned, zeroed, physically contiguous regions of a {@link PhysicalMemory}
 * inside a window [base, limit), first fit over a free list, as a kernel page allocator would hand
 * out pages for tables and queues. Thread-safe.
 */
public final class FrameAllocator {
	private final PhysicalMemory memory;
	private final long base, limit;
	/** start -> end (exclusive) of free extents. */
	private final TreeMap<Long, Long> free = new TreeMap<>();
	private long allocated;

	public FrameAllocator(PhysicalMemory memory, long base, long limit) {
		if (base < 0 || limit <= base || (base & 0xfff) != 0 || (limit & 0xfff) != 0) {
			throw new IllegalArgumentException(String.format("bad allocator window [0x%x, 0x%x)", base, limit));
		}
		this.memory = memory;
		this.base = base;
		this.limit = limit;
		free.put(base, limit);
	}

	public PhysicalMemory memory() {
		return memory;
	}

	public long base() {
		return base;
	}

	public long limit() {
		return limit;
	}

	/**
	 * A zeroed region of {@code size} bytes aligned to {@code align} (a power of two, at least 8).
	 *
	 * @throws OutOfMemoryError-like {@link IllegalStateException} when no extent fits
	 */
	public synchronized long allocate(long size, long align) {
		if (size <= 0 || Long.bitCount(align) != 1) {
			throw new IllegalArgumentException("size " + size + " align " + align);
		}
		size = (size + 7) & ~7L;
		for (Map.Entry<Long, Long> e : free.entrySet()) {
			long start = (e.getKey() + align - 1) & -align;
			if (start >= e.getKey() && start + size <= e.getValue() && start + size > start) {
				long eStart = e.getKey(), eEnd = e.getValue();
				free.remove(eStart);
				if (eStart < start) {
					free.put(eStart, start);
				}
				if (start + size < eEnd) {
					free.put(start + size, eEnd);
				}
				allocated += size;
				memory.zero(start, size);
				return start;
			}
		}
		throw new IllegalStateException(String.format("out of memory: no %d bytes aligned to 0x%x in [0x%x, 0x%x)", size, align, base, limit));
	}

	/** Allocates naturally aligned: alignment = size rounded up to a power of two (at least 8). */
	public long allocate(long size) {
		long align = Long.highestOneBit(Math.max(8, size - 1)) << 1;
		return allocate(size, Math.max(8, Math.min(align, 1L << 30)));
	}

	public synchronized void free(long pa, long size) {
		size = (size + 7) & ~7L;
		if (pa < base || pa + size > limit) {
			throw new IllegalArgumentException(String.format("free of [0x%x, +0x%x) outside the window", pa, size));
		}
		Map.Entry<Long, Long> below = free.floorEntry(pa);
		if (below != null && below.getValue() > pa) {
			throw new IllegalArgumentException(String.format("double free at 0x%x", pa));
		}
		Map.Entry<Long, Long> above = free.ceilingEntry(pa);
		if (above != null && above.getKey() < pa + size) {
			throw new IllegalArgumentException(String.format("double free at 0x%x", pa));
		}
		long start = pa, end = pa + size;
		if (below != null && below.getValue() == start) {
			start = below.getKey();
			free.remove(below.getKey());
		}
		if (above != null && above.getKey() == end) {
			end = above.getValue();
			free.remove(above.getKey());
		}
		free.put(start, end);
		allocated -= size;
	}

	/** Bytes currently allocated. */
	public synchronized long allocatedBytes() {
		return allocated;
	}
}
