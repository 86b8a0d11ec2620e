package smmu.iommufd;

import org.osgi.annotation.versioning.ProviderType;

import smmu.hw.HostPlatform;

/**
 * Boots host kernels of their own (the arm-smmu-v3 driver with iommufd) on hosts that are not the
 * framework's, for sweeps that run each point on a fresh machine. Each has its own event thread;
 * {@link Booted#close()} stops it.
 */
@ProviderType
public interface KernelFactory {
	/** A running host kernel and its {@code /dev/iommu}. */
	interface Booted extends AutoCloseable {
		Iommufd iommufd();

		/** "shared" or "per-smmu". */
		String mode();

		/** Disconnects the SMMUs' interrupts and stops the event thread. */
		@Override
		void close();
	}

	/**
	 * Boots the driver on every probed SMMU of {@code host}.
	 *
	 * @param mode "shared" (a stage-2 domain may span SMMUs, the share-domain series) or "per-smmu" (mainline)
	 * @throws IllegalArgumentException for another mode
	 */
	Booted boot(HostPlatform host, String mode);
}
