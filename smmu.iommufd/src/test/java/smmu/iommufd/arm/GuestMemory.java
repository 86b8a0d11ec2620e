package smmu.iommufd.arm;

import smmu.hw.PhysicalMemory;

/** A VM's RAM as the guest sees it: guest-physical (IPA) = host PA - delta, for building guest tables. */
public final class GuestMemory implements PhysicalMemory {
	private final PhysicalMemory host;
	private final long delta;

	public GuestMemory(PhysicalMemory host, long delta) {
		this.host = host;
		this.delta = delta;
	}

	@Override
	public int addressBits() {
		return host.addressBits();
	}

	@Override
	public byte read8(long pa) {
		return host.read8(pa + delta);
	}

	@Override
	public short read16(long pa) {
		return host.read16(pa + delta);
	}

	@Override
	public int read32(long pa) {
		return host.read32(pa + delta);
	}

	@Override
	public long read64(long pa) {
		return host.read64(pa + delta);
	}

	@Override
	public void write8(long pa, byte value) {
		host.write8(pa + delta, value);
	}

	@Override
	public void write16(long pa, short value) {
		host.write16(pa + delta, value);
	}

	@Override
	public void write32(long pa, int value) {
		host.write32(pa + delta, value);
	}

	@Override
	public void write64(long pa, long value) {
		host.write64(pa + delta, value);
	}

	@Override
	public void read(long pa, byte[] dst, int offset, int length) {
		host.read(pa + delta, dst, offset, length);
	}

	@Override
	public void write(long pa, byte[] src, int offset, int length) {
		host.write(pa + delta, src, offset, length);
	}

	@Override
	public void zero(long pa, long length) {
		host.zero(pa + delta, length);
	}

	@Override
	public long backedBytes() {
		return host.backedBytes();
	}
}
