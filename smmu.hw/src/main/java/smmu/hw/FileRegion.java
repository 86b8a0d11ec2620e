package smmu.hw;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Host physical memory backed by a file, as the page cache backs a shared mapping: physical
 * [{@link #base()}, + {@link #length()}) are bytes [{@link #offset()}, + length) of {@link #file()},
 * mapped MAP_SHARED ({@link FileChannel#map} in windows of at most 1 GiB), so every write through
 * the {@link HostMemory} lands in the file and every read sees the file as another process writes
 * it. Made by {@link HostMemory#mapFile}; it stays while someone holds it ({@link #release()} by each
 * holder). Aligned 8-byte accesses are single-copy atomic.
 */
public final class FileRegion {
	/** Bytes per mapped window. */
	public static final int WINDOW_SHIFT = 30;
	private static final long WINDOW = 1L << WINDOW_SHIFT;
	private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

	private final HostMemory owner;
	private final Path file;
	private final Object fileKey;
	private final long base, offset, length;
	private final boolean writable;
	private final MappedByteBuffer[] windows;
	private int holders = 1;

	FileRegion(HostMemory owner, Path file, Object fileKey, FileChannel channel, long base, long offset, long length, boolean writable)
			throws IOException {
		this.owner = owner;
		this.file = file;
		this.fileKey = fileKey;
		this.base = base;
		this.offset = offset;
		this.length = length;
		this.writable = writable;
		int n = (int) ((length + WINDOW - 1) >>> WINDOW_SHIFT);
		windows = new MappedByteBuffer[n];
		for (int i = 0; i < n; i++) {
			long size = Math.min(WINDOW, length - ((long) i << WINDOW_SHIFT));
			windows[i] = channel.map(writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY,
					offset + ((long) i << WINDOW_SHIFT), size);
			windows[i].order(ByteOrder.LITTLE_ENDIAN);
		}
	}

	/** The first host physical address. */
	public long base() {
		return base;
	}

	/** The host physical address of byte {@code fileOffset} of the file, which must lie in the region. */
	public long pa(long fileOffset) {
		if (!contains(fileOffset, 1)) {
			throw new IllegalArgumentException(String.format("file offset 0x%x outside [0x%x, +0x%x)", fileOffset, offset, length));
		}
		return base + (fileOffset - offset);
	}

	public long length() {
		return length;
	}

	public Path file() {
		return file;
	}

	/** The file offset of the region's first byte. */
	public long offset() {
		return offset;
	}

	/** Whether the file is mapped for writing (a device's DMA writes land in it). */
	public boolean writable() {
		return writable;
	}

	/** How many holders keep the region mapped; 0 once released. */
	public synchronized int holders() {
		return holders;
	}

	/** Drops one holder; the last one unmaps the region from host physical memory. */
	public void release() {
		boolean last;
		synchronized (this) {
			if (holders == 0) {
				return;
			}
			last = --holders == 0;
		}
		if (last) {
			owner.remove(this);
		}
	}

	/** Adds a holder when the region is still mapped; false once it was released. */
	synchronized boolean hold() {
		if (holders == 0) {
			return false;
		}
		holders++;
		return true;
	}

	boolean sameFile(Object key) {
		return fileKey.equals(key);
	}

	boolean contains(long fileOffset, long n) {
		return fileOffset >= offset && n <= length && fileOffset - offset <= length - n;
	}

	long last() {
		return base + length - 1;
	}

	// ---- accesses, by region-relative offset r; HostMemory checked r + size <= length

	long read(long r, int size) {
		ByteBuffer w = windows[(int) (r >>> WINDOW_SHIFT)];
		int o = (int) (r & (WINDOW - 1));
		if (o + size > w.limit()) {
			long v = 0;
			for (int i = 0; i < size; i++) {
				v |= (read(r + i, 1) & 0xffL) << (8 * i);
			}
			return v;
		}
		return switch (size) {
			case 1 -> w.get(o);
			case 2 -> w.getShort(o);
			case 4 -> w.getInt(o);
			default -> (o & 7) == 0 ? (long) LONGS.getOpaque(w, o) : w.getLong(o);
		};
	}

	void write(long r, int size, long v) {
		if (!writable) {
			throw new MemoryAbort(base + r, String.format("external abort: 0x%x is a read-only mapping of %s", base + r, file));
		}
		ByteBuffer w = windows[(int) (r >>> WINDOW_SHIFT)];
		int o = (int) (r & (WINDOW - 1));
		if (o + size > w.limit()) {
			for (int i = 0; i < size; i++) {
				write(r + i, 1, v >>> (8 * i));
			}
			return;
		}
		switch (size) {
			case 1 -> w.put(o, (byte) v);
			case 2 -> w.putShort(o, (short) v);
			case 4 -> w.putInt(o, (int) v);
			default -> {
				if ((o & 7) == 0) {
					LONGS.setOpaque(w, o, v);
				} else {
					w.putLong(o, v);
				}
			}
		}
	}

	void copy(long r, byte[] buf, int off, int n, boolean toMemory) {
		if (toMemory && !writable) {
			throw new MemoryAbort(base + r, String.format("external abort: 0x%x is a read-only mapping of %s", base + r, file));
		}
		while (n > 0) {
			ByteBuffer w = windows[(int) (r >>> WINDOW_SHIFT)];
			int o = (int) (r & (WINDOW - 1));
			int k = Math.min(n, w.limit() - o);
			if (toMemory) {
				w.put(o, buf, off, k);
			} else {
				w.get(o, buf, off, k);
			}
			r += k;
			off += k;
			n -= k;
		}
	}

	void zero(long r, long n) {
		byte[] zeros = new byte[(int) Math.min(n, 1 << 16)];
		while (n > 0) {
			int k = (int) Math.min(n, zeros.length);
			copy(r, zeros, 0, k, true);
			r += k;
			n -= k;
		}
	}

	@Override
	public String toString() {
		return String.format("file region [0x%x, 0x%x] = %s [0x%x, +0x%x)%s", base, last(), file, offset, length, writable ? "" : " read-only");
	}
}
