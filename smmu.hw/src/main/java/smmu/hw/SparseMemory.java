package smmu.hw;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sparse physical memory: 4 KiB frames materialized on first write, held in a two-level radix
 * tree indexed by frame number, so a read costs two array loads before the data. Unwritten memory reads as zero.
 * Aligned 8-byte accesses are single-copy atomic, as the SMMU's descriptor fetches expect;
 * concurrent writers of different words are safe.
 */
public final class SparseMemory implements PhysicalMemory {
	public static final int FRAME_SHIFT = 12;
	public static final int FRAME_SIZE = 1 << FRAME_SHIFT;

	private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
	private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
	private static final VarHandle SHORTS = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
	private static final byte[] ZERO_FRAME = new byte[FRAME_SIZE];
	private static final int LEAF_BITS = 16;

	private final int addressBits;
	private final long limit;
	/** Bits clear in every 8-byte aligned address below the limit: the low three and those at or above it. */
	private final long aligned64Out;
	private final byte[][][] root;
	private final AtomicLong frames = new AtomicLong();

	/** A memory of {@code addressBits} bits (32 to 52). */
	public SparseMemory(int addressBits) {
		if (addressBits < 32 || addressBits > 52) {
			throw new IllegalArgumentException("address size must be 32..52 bits: " + addressBits);
		}
		this.addressBits = addressBits;
		this.limit = 1L << addressBits;
		this.aligned64Out = -limit | 7;
		this.root = new byte[1 << Math.max(1, addressBits - FRAME_SHIFT - LEAF_BITS)][][];
	}

	@Override
	public int addressBits() {
		return addressBits;
	}

	@Override
	public long backedBytes() {
		return frames.get() * FRAME_SIZE;
	}

	private void check(long pa, int size) {
		if (pa < 0 || pa > limit - size) {
			throw new MemoryAbort(pa, String.format("external abort: 0x%x beyond the %d-bit physical address space", pa, addressBits));
		}
	}

	private byte[] frameForRead(long pa) {
		long fn = pa >>> FRAME_SHIFT;
		byte[][] leaf = root[(int) (fn >>> LEAF_BITS)];
		if (leaf == null) {
			return ZERO_FRAME;
		}
		byte[] f = leaf[(int) fn & ((1 << LEAF_BITS) - 1)];
		return f == null ? ZERO_FRAME : f;
	}

	private byte[] frameForWrite(long pa) {
		long fn = pa >>> FRAME_SHIFT;
		int i1 = (int) (fn >>> LEAF_BITS);
		int i2 = (int) fn & ((1 << LEAF_BITS) - 1);
		byte[][] leaf = root[i1];
		byte[] f = leaf == null ? null : leaf[i2];
		if (f != null) {
			return f;
		}
		synchronized (this) {
			if (root[i1] == null) {
				root[i1] = new byte[1 << LEAF_BITS][];
			}
			leaf = root[i1];
			if (leaf[i2] == null) {
				leaf[i2] = new byte[FRAME_SIZE];
				frames.incrementAndGet();
			}
			return leaf[i2];
		}
	}

	private static int off(long pa) {
		return (int) pa & (FRAME_SIZE - 1);
	}

	private static boolean crosses(long pa, int size) {
		return off(pa) > FRAME_SIZE - size;
	}

	@Override
	public byte read8(long pa) {
		check(pa, 1);
		return frameForRead(pa)[off(pa)];
	}

	@Override
	public short read16(long pa) {
		check(pa, 2);
		if (crosses(pa, 2)) {
			return (short) readSlow(pa, 2);
		}
		return (short) SHORTS.get(frameForRead(pa), off(pa));
	}

	@Override
	public int read32(long pa) {
		check(pa, 4);
		if (crosses(pa, 4)) {
			return (int) readSlow(pa, 4);
		}
		return (int) INTS.get(frameForRead(pa), off(pa));
	}

	@Override
	public long read64(long pa) {
		// one test for the common case: 8-byte aligned (so within one frame) and below the address size
		if ((pa & aligned64Out) == 0) {
			return (long) LONGS.getOpaque(frameForRead(pa), off(pa));
		}
		check(pa, 8);
		if (crosses(pa, 8)) {
			return readSlow(pa, 8);
		}
		return (long) LONGS.get(frameForRead(pa), off(pa));
	}

	private long readSlow(long pa, int size) {
		long v = 0;
		for (int i = 0; i < size; i++) {
			v |= (frameForRead(pa + i)[off(pa + i)] & 0xffL) << (8 * i);
		}
		return v;
	}

	private void writeSlow(long pa, long v, int size) {
		for (int i = 0; i < size; i++) {
			frameForWrite(pa + i)[off(pa + i)] = (byte) (v >>> (8 * i));
		}
	}

	@Override
	public void write8(long pa, byte value) {
		check(pa, 1);
		frameForWrite(pa)[off(pa)] = value;
	}

	@Override
	public void write16(long pa, short value) {
		check(pa, 2);
		if (crosses(pa, 2)) {
			writeSlow(pa, value, 2);
		} else {
			SHORTS.set(frameForWrite(pa), off(pa), value);
		}
	}

	@Override
	public void write32(long pa, int value) {
		check(pa, 4);
		if (crosses(pa, 4)) {
			writeSlow(pa, value, 4);
		} else {
			INTS.set(frameForWrite(pa), off(pa), value);
		}
	}

	@Override
	public void write64(long pa, long value) {
		check(pa, 8);
		if ((pa & 7) == 0) {
			LONGS.setOpaque(frameForWrite(pa), off(pa), value);
		} else if (crosses(pa, 8)) {
			writeSlow(pa, value, 8);
		} else {
			LONGS.set(frameForWrite(pa), off(pa), value);
		}
	}

	@Override
	public void read(long pa, byte[] dst, int offset, int length) {
		check(pa, Math.max(length, 1));
		while (length > 0) {
			int n = Math.min(length, FRAME_SIZE - off(pa));
			System.arraycopy(frameForRead(pa), off(pa), dst, offset, n);
			pa += n;
			offset += n;
			length -= n;
		}
	}

	@Override
	public void write(long pa, byte[] src, int offset, int length) {
		check(pa, Math.max(length, 1));
		while (length > 0) {
			int n = Math.min(length, FRAME_SIZE - off(pa));
			System.arraycopy(src, offset, frameForWrite(pa), off(pa), n);
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
		check(pa, (int) Math.min(length, Integer.MAX_VALUE));
		if (pa + length > limit) {
			throw new MemoryAbort(limit, String.format("external abort: 0x%x beyond the %d-bit physical address space", limit, addressBits));
		}
		while (length > 0) {
			int n = (int) Math.min(length, FRAME_SIZE - off(pa));
			byte[] f = frameForRead(pa);
			if (f != ZERO_FRAME) {
				java.util.Arrays.fill(f, off(pa), off(pa) + n, (byte) 0);
			}
			pa += n;
			length -= n;
		}
	}
}
