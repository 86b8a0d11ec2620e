package smmu.itest;

import smmu.hw.MemoryAbort;
import smmu.hw.PhysicalMemory;

/**
 * A guest's view of its RAM: IPAs [ipaBase, ipaBase + size) backed linearly by host memory at paBase,
 * as a stage-2 identity-offset mapping provides. What a guest kernel writes here, the SMMU reads at
 * the host physical address.
 */
final class GuestRam implements PhysicalMemory {
	private final PhysicalMemory host;
	private final long ipaBase, paBase, size;

	GuestRam(PhysicalMemory host, long ipaBase, long paBase, long size) {
		this.host = host;
		this.ipaBase = ipaBase;
		this.paBase = paBase;
		this.size = size;
	}

	long toPa(long ipa) {
		return paBase + (ipa - ipaBase);
	}

	private long pa(long ipa, long length) {
		if (ipa < ipaBase || ipa - ipaBase > size - length) {
			throw new MemoryAbort(ipa, String.format("IPA 0x%x outside guest RAM", ipa));
		}
		return toPa(ipa);
	}

	@Override
	public int addressBits() {
		return 48;
	}

	@Override
	public byte read8(long a) {
		return host.read8(pa(a, 1));
	}

	@Override
	public short read16(long a) {
		return host.read16(pa(a, 2));
	}

	@Override
	public int read32(long a) {
		return host.read32(pa(a, 4));
	}

	@Override
	public long read64(long a) {
		return host.read64(pa(a, 8));
	}

	@Override
	public void write8(long a, byte v) {
		host.write8(pa(a, 1), v);
	}

	@Override
	public void write16(long a, short v) {
		host.write16(pa(a, 2), v);
	}

	@Override
	public void write32(long a, int v) {
		host.write32(pa(a, 4), v);
	}

	@Override
	public void write64(long a, long v) {
		host.write64(pa(a, 8), v);
	}

	@Override
	public void read(long a, byte[] dst, int off, int len) {
		host.read(pa(a, len), dst, off, len);
	}

	@Override
	public void write(long a, byte[] src, int off, int len) {
		host.write(pa(a, len), src, off, len);
	}

	@Override
	public void zero(long a, long len) {
		host.zero(pa(a, len), len);
	}

	@Override
	public long backedBytes() {
		return host.backedBytes();
	}
}
