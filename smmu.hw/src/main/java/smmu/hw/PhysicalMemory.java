package smmu.hw;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A 64-bit physical address space read and written little-endian. Memory that was never written
 * reads as zero. An access at or beyond {@code 1 << addressBits()} is an external abort: it throws
 * {@link MemoryAbort}, which the SMMU model turns into the architecture's events and errors.
 */
@ProviderType
public interface PhysicalMemory {

	/** Addresses are valid below {@code 1L << addressBits()}. */
	int addressBits();

	byte read8(long pa);

	short read16(long pa);

	int read32(long pa);

	long read64(long pa);

	void write8(long pa, byte value);

	void write16(long pa, short value);

	void write32(long pa, int value);

	void write64(long pa, long value);

	void read(long pa, byte[] dst, int offset, int length);

	void write(long pa, byte[] src, int offset, int length);

	/** Writes {@code length} zero bytes. */
	void zero(long pa, long length);

	/** Bytes of backing store in use (frames materialized by writes). */
	long backedBytes();
}
