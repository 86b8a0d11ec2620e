package smmu.accel.vm;

import smmu.hw.MemoryAbort;
import smmu.hw.PhysicalMemory;
import smmu.iommufd.VmmAddressSpace;

/**
 * A guest's physical address space as the VMM sees it: a guest physical address in RAM becomes the
 * VMM's user address ({@link GuestRam#userVa(long)}), which the VMM's page tables
 * ({@link VmmAddressSpace}) turn into a host physical address, where the bytes are. Anything else
 * (MMIO holes, addresses beyond RAM or beyond {@link VirtMemoryMap#GPA_BITS}, RAM the VMM has
 * unmapped, writes to read-only mappings) is an external abort ({@link MemoryAbort}). Accesses may
 * straddle pages; an aligned access of up to 8 bytes is single-copy atomic as in host memory.
 */
public final class GuestMemory implements PhysicalMemory {
	private final GuestRam ram;
	private final VmmAddressSpace vmm;
	private final PhysicalMemory host;

	GuestMemory(GuestRam ram, VmmAddressSpace vmm, PhysicalMemory host) {
		this.ram = ram;
		this.vmm = vmm;
		this.host = host;
	}

	public GuestRam ram() {
		return ram;
	}

	/** The host physical memory behind the VMM's mappings. */
	public PhysicalMemory host() {
		return host;
	}

	/** The host physical address of guest physical {@code gpa} now, or -1 if it is not backed. */
	public long hostPa(long gpa) {
		long va = ram.userVa(gpa);
		if (va < 0) {
			return -1;
		}
		VmmAddressSpace.Mapping m = vmm.lookup(va);
		return m == null ? -1 : m.hostPa(va);
	}

	@Override
	public int addressBits() {
		return VirtMemoryMap.GPA_BITS;
	}

	/**
	 * The host PA of [gpa, gpa + size) if it lies in one mapping, else -1 (it straddles mappings).
	 *
	 * @throws MemoryAbort when a byte is not RAM or not mapped (or not writable for a write)
	 */
	private long resolve(long gpa, long size, boolean write) {
		long va = ram.contains(gpa, size) ? ram.userVa(gpa) : -1;
		if (va < 0) {
			throw new MemoryAbort(gpa, String.format("external abort: guest PA 0x%x (+%d) is not RAM", gpa, size));
		}
		VmmAddressSpace.Mapping m = vmm.lookup(va);
		if (m == null || (write && !m.writable())) {
			throw new MemoryAbort(gpa, String.format("external abort: guest PA 0x%x (VA 0x%x) not %s in the VMM", gpa, va,
					m == null ? "mapped" : "writable"));
		}
		return Long.compareUnsigned(va + size - 1, m.last()) <= 0 ? m.hostPa(va) : -1;
	}

	@Override
	public byte read8(long pa) {
		return host.read8(resolve(pa, 1, false));
	}

	@Override
	public short read16(long pa) {
		long h = resolve(pa, 2, false);
		return h >= 0 ? host.read16(h) : (short) readSlow(pa, 2);
	}

	@Override
	public int read32(long pa) {
		long h = resolve(pa, 4, false);
		return h >= 0 ? host.read32(h) : (int) readSlow(pa, 4);
	}

	@Override
	public long read64(long pa) {
		long h = resolve(pa, 8, false);
		return h >= 0 ? host.read64(h) : readSlow(pa, 8);
	}

	@Override
	public void write8(long pa, byte value) {
		host.write8(resolve(pa, 1, true), value);
	}

	@Override
	public void write16(long pa, short value) {
		long h = resolve(pa, 2, true);
		if (h >= 0) {
			host.write16(h, value);
		} else {
			writeSlow(pa, value, 2);
		}
	}

	@Override
	public void write32(long pa, int value) {
		long h = resolve(pa, 4, true);
		if (h >= 0) {
			host.write32(h, value);
		} else {
			writeSlow(pa, value, 4);
		}
	}

	@Override
	public void write64(long pa, long value) {
		long h = resolve(pa, 8, true);
		if (h >= 0) {
			host.write64(h, value);
		} else {
			writeSlow(pa, value, 8);
		}
	}

	private long readSlow(long pa, int size) {
		byte[] b = new byte[size];
		read(pa, b, 0, size);
		long v = 0;
		for (int i = size - 1; i >= 0; i--) {
			v = (v << 8) | (b[i] & 0xff);
		}
		return v;
	}

	private void writeSlow(long pa, long value, int size) {
		byte[] b = new byte[size];
		for (int i = 0; i < size; i++) {
			b[i] = (byte) (value >>> (8 * i));
		}
		write(pa, b, 0, size);
	}

	@Override
	public void read(long pa, byte[] dst, int offset, int length) {
		copy(pa, dst, offset, length, false);
	}

	@Override
	public void write(long pa, byte[] src, int offset, int length) {
		copy(pa, src, offset, length, true);
	}

	/** Checks the whole range first, so a faulting access changes nothing. */
	private void copy(long pa, byte[] buf, int offset, int length, boolean write) {
		if (length <= 0) {
			return;
		}
		forEachPiece(pa, length, write, null);
		forEachPiece(pa, length, write, (hpa, done, n) -> {
			if (write) {
				host.write(hpa, buf, offset + (int) done, (int) n);
			} else {
				host.read(hpa, buf, offset + (int) done, (int) n);
			}
		});
	}

	@Override
	public void zero(long pa, long length) {
		if (length <= 0) {
			return;
		}
		forEachPiece(pa, length, true, null);
		forEachPiece(pa, length, true, (hpa, done, n) -> host.zero(hpa, n));
	}

	private interface Piece {
		void run(long hostPa, long done, long length);
	}

	/** Splits [pa, pa + length) at mapping boundaries; with a null action only checks that every piece resolves. */
	private void forEachPiece(long pa, long length, boolean write, Piece action) {
		resolve(pa, length, write);
		for (long done = 0; done < length;) {
			long gpa = pa + done;
			long va = ram.userVa(gpa);
			VmmAddressSpace.Mapping m = vmm.lookup(va);
			if (m == null || (write && !m.writable())) {
				throw new MemoryAbort(gpa, String.format("external abort: guest PA 0x%x not %s in the VMM", gpa, m == null ? "mapped" : "writable"));
			}
			long n = Math.min(length - done, m.last() - va + 1);
			if (action != null) {
				action.run(m.hostPa(va), done, n);
			}
			done += n;
		}
	}

	/** The bytes of RAM the VMM has backed. */
	@Override
	public long backedBytes() {
		long n = 0;
		long last = ram.userVa() + ram.size() - 1;
		for (VmmAddressSpace.Mapping m : vmm.mappings()) {
			long lo = Math.max(m.userVa(), ram.userVa()), hi = Math.min(m.last(), last);
			if (Long.compareUnsigned(lo, hi) <= 0) {
				n += hi - lo + 1;
			}
		}
		return n;
	}

	@Override
	public String toString() {
		return "GuestMemory[" + ram + "]";
	}
}
