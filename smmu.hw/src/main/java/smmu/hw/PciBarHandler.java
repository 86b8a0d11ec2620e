package smmu.hw;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * What sits behind a PCI function's BARs: the device model that answers its MMIO and I/O accesses
 * (a later virtio device, for example). Accesses are 1, 2, 4 or 8 bytes, naturally aligned, inside
 * the BAR.
 */
@ConsumerType
public interface PciBarHandler {
	long read(int bar, long offset, int size);

	void write(int bar, long offset, int size, long value);

	/**
	 * The function was reset (FLR, or {@link PciFunction#reset()}): the device model returns to its
	 * power-on state. Called with the function's lock held: do not call back into the function.
	 */
	default void reset() {
	}
}
