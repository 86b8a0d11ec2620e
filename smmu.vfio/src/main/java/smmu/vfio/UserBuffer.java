package smmu.vfio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.LongFunction;

import smmu.iommufd.VmmAddressSpace;

/**
 * A page of the VMM process's memory where it builds the structs ioctls take by pointer (HWPT data,
 * invalidation entries, GET_HW_INFO output). One call at a time. Thread-safe.
 */
public final class UserBuffer {
	private final VmmAddressSpace mm;
	private final long va;

	/**
	 * Maps one page of host physical memory at {@code hostPa} to {@code va} in {@code mm}.
	 *
	 * @param mm the VMM's address space, backed by host memory
	 */
	public UserBuffer(VmmAddressSpace mm, long va, long hostPa) {
		this.mm = mm;
		this.va = va;
		mm.map(va, VmmAddressSpace.PAGE_SIZE, hostPa, true);
	}

	public long va() {
		return va;
	}

	/** Writes {@code words} little-endian at the buffer and runs {@code ioctl} with its address. */
	public synchronized <T> T with(long[] words, LongFunction<T> ioctl) {
		ByteBuffer b = ByteBuffer.allocate(8 * words.length).order(ByteOrder.LITTLE_ENDIAN);
		for (long w : words) {
			b.putLong(w);
		}
		if (!mm.write(va, b.array())) {
			throw new IllegalStateException("VMM scratch page 0x" + Long.toHexString(va) + " is not writable");
		}
		return ioctl.apply(va);
	}

	/** Zeroes {@code length} bytes at the buffer, runs {@code ioctl} with its address and returns what it wrote. */
	public synchronized byte[] out(int length, java.util.function.LongConsumer ioctl) {
		byte[] b = new byte[length];
		if (!mm.write(va, b)) {
			throw new IllegalStateException("VMM scratch page 0x" + Long.toHexString(va) + " is not writable");
		}
		ioctl.accept(va);
		mm.read(va, b);
		return b;
	}
}
