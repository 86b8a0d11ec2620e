package smmu.vfio;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * QEMU's {@code PCIIOMMUOps}: what a vIOMMU offers the PCI devices behind it. A device reaches it with
 * its own bus number and devfn.
 */
@ConsumerType
public interface PciIommuOps {
	/** {@code VIOMMU_FLAG_WANT_NESTING_PARENT}: VFIO allocates its stage-2 HWPT with NEST_PARENT. */
	int WANT_NESTING_PARENT = 1 << 0;
	/** {@code VIOMMU_FLAG_PASID_SUPPORTED}. */
	int PASID_SUPPORTED = 1 << 1;

	/** What is plugged at a devfn, as far as {@code supports_address_space} distinguishes. */
	enum DeviceKind {
		/** TYPE_PCI_BRIDGE: root ports, switch ports. */
		BRIDGE,
		/** TYPE_PXB_PCIE_DEV. */
		PXB,
		/** TYPE_GPEX_ROOT_DEVICE. */
		ROOT,
		/** vfio-pci with an iommufd link. */
		VFIO_IOMMUFD,
		/** vfio-pci on the legacy container. */
		VFIO_LEGACY,
		/** any emulated endpoint. */
		EMULATED
	}

	/**
	 * {@code supports_address_space}, called when a device registers under the vIOMMU's bus.
	 *
	 * @param kind the device at devfn, or null when none is there yet
	 * @return true when it is allowed
	 * @throws VfioException with the vIOMMU's reason when it is not
	 */
	boolean supportsAddressSpace(int bus, int devfn, DeviceKind kind);

	/** {@code get_address_space}: the AddressSpace the device's DMA goes to. */
	AddressSpace getAddressSpace(int bus, int devfn);

	/** {@code get_viommu_flags}: {@link #WANT_NESTING_PARENT}, {@link #PASID_SUPPORTED}. */
	int viommuFlags();

	/**
	 * {@code set_iommu_device}: the device was attached by VFIO; the vIOMMU takes it over.
	 *
	 * @throws VfioException with QEMU's message when the vIOMMU cannot use it
	 */
	void setIommuDevice(int bus, int devfn, HostIommuDevice hiod);

	/** {@code unset_iommu_device}: the device is going away; never fails. */
	void unsetIommuDevice(int bus, int devfn);

	/** {@code get_msi_direct_gpa}: the MSI doorbell GPA KVM routes to, or 0 when the vIOMMU has none. */
	long msiDirectGpa(int bus, int devfn);
}
