package smmu.iommufd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import smmu.hw.MemoryAbort;
import smmu.hw.PhysicalMemory;

/**
 * The VMM process's user address space: page-granular mappings of user virtual addresses to host
 * physical pages, as mmap(MAP_FIXED) builds them (a new mapping replaces whatever it overlaps).
 * IOAS_MAP pins pages through {@link #lookup(long)}; pinned pages stay pinned when unmapped here.
 * With host physical memory behind it, the kernel can also copy structs from and to user space
 * ({@link #read}, {@link #write}), as the raw {@link IommufdContext#ioctl} does. Addresses are
 * unsigned. Thread-safe.
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
	private final PhysicalMemory memory;

	/** An address space whose pages can be pinned but not read or written by the kernel. */
	public VmmAddressSpace() {
		this(null);
	}

	/** An address space backed by {@code memory} (the host's physical memory). */
	public VmmAddressSpace(PhysicalMemory memory) {
		this.memory = memory;
	}

	/**
	 * copy_from_user: fills {@code dst} from [userVa, +dst.length); false when a byte is not mapped.
	 *
	 * @throws IllegalStateException without backing memory
	 */
	public boolean read(long userVa, byte[] dst) {
		return copy(userVa, dst, false);
	}

	/** copy_to_user: false when a byte is not mapped or is read-only (nothing is written then). */
	public boolean write(long userVa, byte[] src) {
		return copy(userVa, src, true);
	}

	/**
	 * clear_user: zeroes [userVa, +length) up to the first byte that is not mapped or is read-only;
	 * false when it met one (the bytes before it are zeroed). Zeroing costs a sparse memory nothing.
	 *
	 * @throws IllegalStateException without backing memory
	 */
	public synchronized boolean clear(long userVa, long length) {
		if (memory == null) {
			throw new IllegalStateException("no memory behind this address space");
		}
		if (length == 0) {
			return true;
		}
		long end = userVa + length - 1;
		if (Long.compareUnsigned(end, userVa) < 0) {
			return false;
		}
		for (long va = userVa;;) {
			Mapping m = lookup(va);
			if (m == null || !m.writable()) {
				return false;
			}
			long last = Long.compareUnsigned(m.last(), end) < 0 ? m.last() : end;
			try {
				memory.zero(m.hostPa(va), last - va + 1);
			} catch (MemoryAbort e) {
				return false;
			}
			if (last == end) {
				return true;
			}
			va = last + 1;
		}
	}

	private synchronized boolean copy(long va, byte[] buf, boolean toUser) {
		if (memory == null) {
			throw new IllegalStateException("no memory behind this address space");
		}
		if (buf.length == 0) {
			return true;
		}
		if (Long.compareUnsigned(va + buf.length - 1, va) < 0) {
			return false;
		}
		for (long done = 0; done < buf.length;) {
			Mapping m = lookup(va + done);
			if (m == null || (toUser && !m.writable())) {
				return false;
			}
			done += Math.min(buf.length - done, m.last() - (va + done) + 1);
		}
		try {
			for (int done = 0; done < buf.length;) {
				Mapping m = lookup(va + done);
				int n = (int) Math.min(buf.length - done, m.last() - (va + done) + 1);
				if (toUser) {
					memory.write(m.hostPa(va + done), buf, done, n);
				} else {
					memory.read(m.hostPa(va + done), buf, done, n);
				}
				done += n;
			}
		} catch (MemoryAbort e) {
			return false;
		}
		return true;
	}

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
