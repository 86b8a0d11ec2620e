package smmu.hw;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The MMIO register interface of an SMMUv3 (physical or virtual): 32- and 64-bit little-endian
 * accesses at the offsets of {@link smmu.hw.arch.Regs}. The driver library programs any SMMUv3
 * through this and memory only.
 */
@ConsumerType
public interface SmmuRegisters {

	int read32(int offset);

	long read64(int offset);

	void write32(int offset, int value);

	void write64(int offset, long value);
}
