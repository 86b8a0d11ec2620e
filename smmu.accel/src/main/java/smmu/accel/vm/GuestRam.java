package smmu.accel.vm;

import smmu.hw.FrameAllocator;
import smmu.iommufd.VmmAddressSpace;

/**
 * The RAM of a {@code virt} guest as QEMU provides it: [{@link VirtMemoryMap#RAM_BASE}, + size) of
 * guest physical space backed by an anonymous mapping of the VMM at [userVa, + size), whose pages
 * are host pages allocated in chunks from the host's {@link FrameAllocator}. Chunks are allocated from
 * the last to the first, so consecutive guest pages are host-contiguous only inside a chunk, as for
 * anonymous memory faulted in by huge pages. Thread-safe.
 */
public final class GuestRam {
	/** The default chunk: a 2 MiB transparent huge page. */
	public static final long DEFAULT_CHUNK = 1L << 21;

	private final VmmAddressSpace vmm;
	private final FrameAllocator host;
	private final long userVa, size, chunk;
	private final long[] hostChunks;
	private final GuestMemory memory;
	private boolean released;

	public GuestRam(VmmAddressSpace vmm, FrameAllocator host, long userVa, long size) {
		this(vmm, host, userVa, size, DEFAULT_CHUNK);
	}

	/**
	 * Allocates and maps the RAM.
	 *
	 * @param vmm the VMM's address space (backed by the host memory {@code host} allocates from)
	 * @param host the host page allocator
	 * @param userVa where the VMM maps the RAM (chunk aligned)
	 * @param size RAM size, a multiple of {@code chunk}
	 * @param chunk host allocation unit: a power of two, at least 4 KiB
	 * @throws IllegalStateException when the host has not enough memory (nothing stays allocated)
	 */
	public GuestRam(VmmAddressSpace vmm, FrameAllocator host, long userVa, long size, long chunk) {
		if (Long.bitCount(chunk) != 1 || chunk < VmmAddressSpace.PAGE_SIZE || size <= 0 || size % chunk != 0 || (userVa & (chunk - 1)) != 0) {
			throw new IllegalArgumentException(String.format("bad guest RAM: VA 0x%x size 0x%x chunk 0x%x", userVa, size, chunk));
		}
		if (VirtMemoryMap.RAM_BASE + size > 1L << VirtMemoryMap.GPA_BITS) {
			throw new IllegalArgumentException(String.format("RAM of 0x%x bytes beyond the %d-bit IPA space", size, VirtMemoryMap.GPA_BITS));
		}
		this.vmm = vmm;
		this.host = host;
		this.userVa = userVa;
		this.size = size;
		this.chunk = chunk;
		int n = (int) (size / chunk);
		this.hostChunks = new long[n];
		int i = n - 1;
		try {
			for (; i >= 0; i--) {
				hostChunks[i] = host.allocate(chunk, chunk);
			}
		} catch (IllegalStateException e) {
			for (int j = i + 1; j < n; j++) {
				host.free(hostChunks[j], chunk);
			}
			throw e;
		}
		for (int j = 0; j < n; j++) {
			vmm.map(userVa + j * chunk, chunk, hostChunks[j], true);
		}
		this.memory = new GuestMemory(this, vmm, host.memory());
	}

	/** First guest physical address of RAM. */
	public long base() {
		return VirtMemoryMap.RAM_BASE;
	}

	public long size() {
		return size;
	}

	/** First guest physical address after RAM. */
	public long end() {
		return VirtMemoryMap.RAM_BASE + size;
	}

	/** Where the VMM maps the RAM. */
	public long userVa() {
		return userVa;
	}

	public long chunk() {
		return chunk;
	}

	public VmmAddressSpace vmm() {
		return vmm;
	}

	/** Whether [gpa, gpa + length) is RAM. */
	public boolean contains(long gpa, long length) {
		long off = gpa - VirtMemoryMap.RAM_BASE;
		return gpa >= VirtMemoryMap.RAM_BASE && length >= 0 && off <= size - length;
	}

	/** The VMM's user address of a guest RAM address, or -1 outside RAM (QEMU's qemu_map_ram_ptr). */
	public long userVa(long gpa) {
		return contains(gpa, 1) ? userVa + (gpa - VirtMemoryMap.RAM_BASE) : -1;
	}

	/** Guest physical memory: this RAM, everything else aborts. */
	public GuestMemory memory() {
		return memory;
	}

	/**
	 * A page allocator of the guest kernel over [base + offset, base + offset + length) of this RAM.
	 *
	 * @throws IllegalArgumentException for a window not page aligned or not inside RAM
	 */
	public FrameAllocator pageAllocator(long offset, long length) {
		if (offset < 0 || length <= 0 || !contains(VirtMemoryMap.RAM_BASE + offset, length)) {
			throw new IllegalArgumentException(String.format("window +0x%x of 0x%x bytes outside RAM of 0x%x", offset, length, size));
		}
		return new FrameAllocator(memory, VirtMemoryMap.RAM_BASE + offset, VirtMemoryMap.RAM_BASE + offset + length);
	}

	/** Unmaps the RAM from the VMM and returns its host pages (the guest's memory then aborts). */
	public synchronized void release() {
		if (released) {
			return;
		}
		released = true;
		vmm.unmap(userVa, size);
		for (long c : hostChunks) {
			host.free(c, chunk);
		}
	}

	@Override
	public String toString() {
		return String.format("GuestRam[GPA 0x%x-0x%x at VA 0x%x, %d chunks of 0x%x]", base(), end() - 1, userVa, hostChunks.length, chunk);
	}
}
