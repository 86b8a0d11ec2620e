package smmu.hw.impl.xlate;

import smmu.hw.PhysicalMemory;

/** A memory that runs an action once, right after the 8-byte read of one address returned its value. */
final class HookedMemory implements PhysicalMemory {
	private final PhysicalMemory m;
	private volatile long address = -1;
	private volatile Runnable action;

	HookedMemory(PhysicalMemory m) {
		this.m = m;
	}

	void after(long address, Runnable action) {
		this.action = action;
		this.address = address;
	}

	@Override
	public long read64(long pa) {
		long v = m.read64(pa);
		Runnable a = action;
		if (pa == address && a != null) {
			action = null;
			address = -1;
			a.run();
		}
		return v;
	}

	@Override
	public int addressBits() {
		return m.addressBits();
	}

	@Override
	public byte read8(long pa) {
		return m.read8(pa);
	}

	@Override
	public short read16(long pa) {
		return m.read16(pa);
	}

	@Override
	public int read32(long pa) {
		return m.read32(pa);
	}

	@Override
	public void write8(long pa, byte value) {
		m.write8(pa, value);
	}

	@Override
	public void write16(long pa, short value) {
		m.write16(pa, value);
	}

	@Override
	public void write32(long pa, int value) {
		m.write32(pa, value);
	}

	@Override
	public void write64(long pa, long value) {
		m.write64(pa, value);
	}

	@Override
	public void read(long pa, byte[] dst, int offset, int length) {
		m.read(pa, dst, offset, length);
	}

	@Override
	public void write(long pa, byte[] src, int offset, int length) {
		m.write(pa, src, offset, length);
	}

	@Override
	public void zero(long pa, long length) {
		m.zero(pa, length);
	}

	@Override
	public long backedBytes() {
		return m.backedBytes();
	}
}
