package smmu.iommufd;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** The host kernel's {@code /dev/iommu}. */
@ProviderType
public interface Iommufd {
	/**
	 * Opens {@code /dev/iommu} for a process whose memory is {@code mm}; {@code capSysResource}
	 * says whether the process holds CAP_SYS_RESOURCE (needed to set RLIMIT_MODE).
	 */
	IommufdContext open(VmmAddressSpace mm, boolean capSysResource);

	/** The contexts open now, in opening order. */
	List<IommufdContext> contexts();

	/**
	 * Whether host PCI function {@code bdf} is bound to an iommufd context now (a VFIO cdev, or a
	 * model VMM, holds its DMA ownership). False for a host without devices.
	 */
	default boolean isBound(String bdf) {
		return false;
	}

	/**
	 * Waits until the host kernel has handled every SMMU interrupt raised before the call (its event
	 * thread has forwarded the recorded events to their vEVENTQs). Nothing to wait for by default.
	 */
	default void awaitEvents() {
	}
}
