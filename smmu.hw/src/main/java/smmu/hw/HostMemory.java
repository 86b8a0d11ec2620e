package smmu.hw;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The host's physical address space: RAM (any {@link PhysicalMemory}, the host's
 * {@link SparseMemory}) below {@link #fileBase()}, and above it the {@link FileRegion}s that files
 * mapped into the host's memory occupy (IOMMU_IOAS_MAP_FILE pins a file's pages: they become host
 * physical pages). An address of the file window no region covers is an external abort. RAM accesses
 * cost one comparison more than the RAM itself. Thread-safe; regions are looked up without a lock.
 */
public final class HostMemory implements PhysicalMemory {
	private static final long GIB = 1L << 30;

	private final PhysicalMemory ram;
	private final long fileBase, fileLimit;
	/** Sorted by base; replaced whole on every change. */
	private volatile FileRegion[] regions = {};

	/**
	 * @param ram the memory below {@code fileBase}
	 * @param fileBase first address of the window file regions are placed in (1 GiB aligned)
	 * @param fileLimit end (exclusive) of that window, at most {@code 1 << ram.addressBits()}
	 */
	public HostMemory(PhysicalMemory ram, long fileBase, long fileLimit) {
		if ((fileBase & (GIB - 1)) != 0 || fileLimit <= fileBase || (ram.addressBits() < 64 && fileLimit > 1L << ram.addressBits())) {
			throw new IllegalArgumentException(String.format("bad file window [0x%x, 0x%x) for %d-bit memory", fileBase, fileLimit, ram.addressBits()));
		}
		this.ram = ram;
		this.fileBase = fileBase;
		this.fileLimit = fileLimit;
	}

	public PhysicalMemory ram() {
		return ram;
	}

	/** First address of the file window. */
	public long fileBase() {
		return fileBase;
	}

	/** End (exclusive) of the file window. */
	public long fileLimit() {
		return fileLimit;
	}

	/** The regions now, by ascending base. */
	public List<FileRegion> regions() {
		return List.of(regions);
	}

	/**
	 * Maps bytes [offset, offset + length) of {@code file} into physical memory, MAP_SHARED, and
	 * returns the region holding them (a new holder of it). A region of the same file that covers
	 * the range already (the same page-cache pages) is shared, as long as it is writable when
	 * {@code writable} is asked. A new region is placed at the lowest free address whose offset in
	 * a 1 GiB block equals the file offset's, so that 2 MiB and 1 GiB blocks of the file stay
	 * blocks of physical memory. The file is never grown.
	 *
	 * @throws IllegalArgumentException for an offset or length not page aligned, a range past the
	 *         end of the file, or no room in the window
	 * @throws IOException when the file cannot be opened or mapped
	 */
	public synchronized FileRegion mapFile(Path file, long offset, long length, boolean writable) throws IOException {
		if (((offset | length) & (SparseMemory.FRAME_SIZE - 1)) != 0 || offset < 0 || length <= 0) {
			throw new IllegalArgumentException(String.format("file range 0x%x +0x%x is not page aligned", offset, length));
		}
		BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
		if (!attrs.isRegularFile()) {
			throw new IllegalArgumentException(file + " is not a regular file");
		}
		if (offset > attrs.size() || length > attrs.size() - offset) {
			throw new IllegalArgumentException(String.format("[0x%x, +0x%x) lies past the end of %s (0x%x bytes)", offset, length, file, attrs.size()));
		}
		Object key = attrs.fileKey() != null ? attrs.fileKey() : file.toRealPath();
		for (FileRegion r : regions) {
			if (r.sameFile(key) && r.contains(offset, length) && (r.writable() || !writable) && r.hold()) {
				return r;
			}
		}
		long base = place(offset, length);
		try (FileChannel ch = writable ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)
				: FileChannel.open(file, StandardOpenOption.READ)) {
			FileRegion r = new FileRegion(this, file, key, ch, base, offset, length, writable);
			FileRegion[] next = Arrays.copyOf(regions, regions.length + 1);
			next[next.length - 1] = r;
			Arrays.sort(next, (a, b) -> Long.compareUnsigned(a.base(), b.base()));
			regions = next;
			return r;
		}
	}

	/** The lowest base in the window, congruent to {@code offset} modulo 1 GiB, with length free bytes. */
	private long place(long offset, long length) {
		long phase = offset & (GIB - 1);
		long cand = fileBase + phase;
		for (FileRegion r : regions) {
			if (cand + length <= r.base()) {
				break;
			}
			if (r.last() >= cand) {
				cand = ((r.last() + 1 - phase + GIB - 1) & -GIB) + phase;
			}
		}
		if (cand + length > fileLimit || cand + length < cand) {
			throw new IllegalArgumentException(String.format("no 0x%x bytes free in the file window [0x%x, 0x%x)", length, fileBase, fileLimit));
		}
		return cand;
	}

	synchronized void remove(FileRegion r) {
		List<FileRegion> l = new ArrayList<>(List.of(regions));
		l.remove(r);
		regions = l.toArray(new FileRegion[0]);
	}

	/** The region holding [pa, pa + size), else an external abort. */
	private FileRegion region(long pa, long size) {
		for (FileRegion r : regions) {
			long rel = pa - r.base();
			if (pa >= r.base() && rel < r.length() && size <= r.length() - rel) {
				return r;
			}
		}
		throw new MemoryAbort(pa, String.format("external abort: nothing at 0x%x (+0x%x) in the file window", pa, size));
	}

	@Override
	public int addressBits() {
		return ram.addressBits();
	}

	@Override
	public long backedBytes() {
		long n = ram.backedBytes();
		for (FileRegion r : regions) {
			n += r.length();
		}
		return n;
	}

	private long fileRead(long pa, int size) {
		FileRegion r = region(pa, size);
		return r.read(pa - r.base(), size);
	}

	private void fileWrite(long pa, int size, long v) {
		FileRegion r = region(pa, size);
		r.write(pa - r.base(), size, v);
	}

	@Override
	public byte read8(long pa) {
		return pa < fileBase ? ram.read8(pa) : (byte) fileRead(pa, 1);
	}

	@Override
	public short read16(long pa) {
		return pa < fileBase - 1 ? ram.read16(pa) : (short) fileRead(pa, 2);
	}

	@Override
	public int read32(long pa) {
		return pa < fileBase - 3 ? ram.read32(pa) : (int) fileRead(pa, 4);
	}

	@Override
	public long read64(long pa) {
		return pa < fileBase - 7 ? ram.read64(pa) : fileRead(pa, 8);
	}

	@Override
	public void write8(long pa, byte value) {
		if (pa < fileBase) {
			ram.write8(pa, value);
		} else {
			fileWrite(pa, 1, value);
		}
	}

	@Override
	public void write16(long pa, short value) {
		if (pa < fileBase - 1) {
			ram.write16(pa, value);
		} else {
			fileWrite(pa, 2, value);
		}
	}

	@Override
	public void write32(long pa, int value) {
		if (pa < fileBase - 3) {
			ram.write32(pa, value);
		} else {
			fileWrite(pa, 4, value);
		}
	}

	@Override
	public void write64(long pa, long value) {
		if (pa < fileBase - 7) {
			ram.write64(pa, value);
		} else {
			fileWrite(pa, 8, value);
		}
	}

	@Override
	public void read(long pa, byte[] dst, int offset, int length) {
		copy(pa, dst, offset, length, false);
	}

	@Override
	public void write(long pa, byte[] src, int offset, int length) {
		copy(pa, src, offset, length, true);
	}

	private void copy(long pa, byte[] buf, int offset, int length, boolean toMemory) {
		if (pa < 0 || pa + length <= fileBase) {
			if (toMemory) {
				ram.write(pa, buf, offset, length);
			} else {
				ram.read(pa, buf, offset, length);
			}
			return;
		}
		if (pa < fileBase) {
			int below = (int) (fileBase - pa);
			copy(pa, buf, offset, below, toMemory);
			copy(fileBase, buf, offset + below, length - below, toMemory);
			return;
		}
		// an access may span regions placed back to back
		while (length > 0) {
			FileRegion r = region(pa, 1);
			long rel = pa - r.base();
			int n = (int) Math.min(length, r.length() - rel);
			r.copy(rel, buf, offset, n, toMemory);
			pa += n;
			offset += n;
			length -= n;
		}
	}

	@Override
	public void zero(long pa, long length) {
		if (length <= 0) {
			return;
		}
		if (pa < 0 || pa + length <= fileBase) {
			ram.zero(pa, length);
			return;
		}
		if (pa < fileBase) {
			ram.zero(pa, fileBase - pa);
			length -= fileBase - pa;
			pa = fileBase;
		}
		while (length > 0) {
			FileRegion r = region(pa, 1);
			long rel = pa - r.base();
			long n = Math.min(length, r.length() - rel);
			r.zero(rel, n);
			pa += n;
			length -= n;
		}
	}
}
