package smmu.hw.impl.walk;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongUnaryOperator;

import smmu.hw.SparseMemory;
import smmu.hw.arch.Pte;

/** Test helper: writes translation table descriptors straight into memory (no page-table builder). */
final class Tables {
	static final long S1_LEAF = Pte.AF;
	static final long S2_RW = Pte.AF | Pte.S2_HAP_READ | Pte.S2_HAP_WRITE;

	final SparseMemory mem;
	private final long spacing;
	private long next;

	/** @param firstFree where table allocation starts (tables are laid out upward from there) */
	Tables(SparseMemory mem, long firstFree) {
		this(mem, firstFree, 0);
	}

	/** @param spacing the minimum distance between allocations */
	Tables(SparseMemory mem, long firstFree, long spacing) {
		this.mem = mem;
		this.next = firstFree;
		this.spacing = spacing;
	}

	/** A zeroed, size-aligned block of {@code size} bytes (at least 4 KiB aligned). */
	long alloc(long size) {
		long align = Math.max(size, 4096);
		next = (next + align - 1) & -align;
		long a = next;
		next += Math.max(size, spacing);
		return a;
	}

	void put(long addr, long desc) {
		mem.write64(addr, desc);
	}

	static int shift(int g, int level) {
		return g + (3 - level) * (g - 3);
	}

	static long table(long next, int g) {
		return Pte.encodeAddress(next, g) | Pte.TYPE_TABLE;
	}

	static long page(long oa, int g, long attrs) {
		return Pte.encodeAddress(oa, g) | Pte.TYPE_PAGE | attrs;
	}

	static long block(long oa, int g, long attrs) {
		return Pte.encodeAddress(oa, g) | Pte.TYPE_BLOCK | attrs;
	}

	/**
	 * Installs {@code leaf} for {@code va} (already reduced to the input size) at {@code leafLevel}, creating
	 * tables of one granule on demand. Table addresses are in the walk's address space; {@code toPa} gives
	 * where they live in memory (identity without nesting). Returns the descriptor addresses used, start first
	 * (in the walk's address space).
	 */
	long[] map(long root, int g, int start, long va, int leafLevel, long leaf, LongUnaryOperator toPa) {
		List<Long> used = new ArrayList<>();
		long table = root;
		for (int level = start;; level++) {
			long index = va >>> shift(g, level);
			if (level != start) {
				index &= (1L << (g - 3)) - 1;
			}
			long addr = table + index * 8;
			used.add(addr);
			if (level == leafLevel) {
				put(toPa.applyAsLong(addr), leaf);
				break;
			}
			long d = mem.read64(toPa.applyAsLong(addr));
			if ((d & 3) == 3) {
				table = Pte.outputAddress(d, g);
			} else {
				table = alloc(1L << g);
				put(toPa.applyAsLong(addr), table(table, g));
			}
		}
		return used.stream().mapToLong(Long::longValue).toArray();
	}

	long[] map(long root, int g, int start, long va, int leafLevel, long leaf) {
		return map(root, g, start, va, leafLevel, leaf, LongUnaryOperator.identity());
	}

	/** Records descriptor reads. */
	static final class Reads implements WalkListener {
		final List<long[]> reads = new ArrayList<>();

		@Override
		public void descriptorRead(int stage, int level, long address, long descriptor) {
			reads.add(new long[] { stage, level, address, descriptor });
		}

		int count() {
			return reads.size();
		}

		String shape() {
			StringBuilder sb = new StringBuilder();
			for (long[] r : reads) {
				sb.append(sb.length() == 0 ? "" : " ").append(r[0]).append(':').append(r[1]);
			}
			return sb.toString();
		}

		long[] addresses() {
			return reads.stream().mapToLong(r -> r[2]).toArray();
		}
	}
}
