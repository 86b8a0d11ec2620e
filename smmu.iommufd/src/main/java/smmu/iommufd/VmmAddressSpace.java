package smmu.iommufd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The VMM process's user address space: page-granular mappings of user virtual addresses to host
 * physical pages, as mmap(MAP_FIXED) builds them (a new mapping replaces whatever it overlaps).
 * IOAS_MAP pins pages through {@link #lookup(long)}; pinned pages stay pinned when unmapped here.
 * Addresses are unsigned. Thread-safe.
 */
public final class VmmAddressSpace {
	public static final long PAGE_SIZE = 4096;

	/** One mapping: [userVa, userVa + length) backed by host physical [hostPa, hostPa + length). */
	public record Mapping(long userVa, long length, long hostPa, boolean writable) {
		public long last() {
			return userVa + length - 1;
		}

		/** The host physical address of {@code va}, which must lie inside this mapping. */
		public long hostPa(long va) {
			return hostPa + (va - userVa);
		}
	}

	private final TreeMap<Long, Mapping> vmas = new TreeMap<>(Long::compareUnsigned);

	/** Maps [userVa, +length) to host physical [hostPa, +length); all page aligned, no wrap. */
	public synchronized void map(long userVa, long length, long hostPa, boolean writable) {
		check(userVa, length);
		if ((hostPa & (PAGE_SIZE - 1)) != 0) {
			throw new IllegalArgumentException(String.format("host PA 0x%x not page aligned", hostPa));
		}
		unmapLocked(userVa, length);
		vmas.put(userVa, new Mapping(userVa, length, hostPa, writable));
	}

	/** Removes every mapping of [userVa, +length), splitting mappings that straddle its ends. */
	public synchronized void unmap(long userVa, long length) {
		check(userVa, length);
		unmapLocked(userVa, length);
	}

	/** The mapping containing {@code userVa}, or null when the page is not mapped. */
	public synchronized Mapping lookup(long userVa) {
		Map.Entry<Long, Mapping> e = vmas.floorEntry(userVa);
		if (e == null || Long.compareUnsigned(userVa, e.getValue().last()) > 0) {
			return null;
		}
		return e.getValue();
	}

	/** Every mapping by ascending user VA. */
	public synchronized List<Mapping> mappings() {
		return new ArrayList<>(vmas.values());
	}

	private void unmapLocked(long va, long length) {
		long last = va + length - 1;
		Map.Entry<Long, Mapping> e = vmas.floorEntry(va);
		if (e == null || Long.compareUnsigned(e.getValue().last(), va) < 0) {
			e = vmas.ceilingEntry(va);
		}
		while (e != null && Long.compareUnsigned(e.getKey(), last) <= 0) {
			Mapping m = e.getValue();
			vmas.remove(m.userVa());
			if (Long.compareUnsigned(m.userVa(), va) < 0) {
				vmas.put(m.userVa(), new Mapping(m.userVa(), va - m.userVa(), m.hostPa(), m.writable()));
			}
			if (Long.compareUnsigned(m.last(), last) > 0) {
				vmas.put(last + 1, new Mapping(last + 1, m.last() - last, m.hostPa(last + 1), m.writable()));
			}
			e = vmas.higherEntry(m.userVa());
		}
	}

	private static void check(long va, long length) {
		if (((va | length) & (PAGE_SIZE - 1)) != 0 || length == 0 || Long.compareUnsigned(va + length - 1, va) < 0) {
			throw new IllegalArgumentException(String.format("bad user range 0x%x +0x%x", va, length));
		}
	}
}
