package smmu.vfio;

import smmu.iommufd.IommufdContext;

/**
 * QEMU's {@code HostIOMMUDeviceIOMMUFD} of a realized vfio-pci device: its iommufd, DEVICE id, the
 * stage-2 (automatic, parent) HWPT it was attached to, and the capabilities IOMMU_GET_HW_INFO reported.
 *
 * @param bdf the host PCI address
 * @param iommufd the VMM's iommufd context
 * @param devId the DEVICE object
 * @param hwptId the HWPT VFIO attached it to (the nesting parent when the vIOMMU wants nesting)
 * @param caps the hardware information
 */
public record HostIommuDevice(String bdf, IommufdContext iommufd, int devId, int hwptId, Caps caps) {

	/**
	 * {@code HostIOMMUDeviceCaps} from IOMMU_GET_HW_INFO: {@code out_data_type}, {@code out_capabilities},
	 * {@code out_max_pasid_log2} and for ARM_SMMUV3 the 40-byte {@code iommu_hw_info_arm_smmuv3}.
	 *
	 * @param idr host IDR0..IDR5 (meaningful fields only, as the kernel reports them)
	 */
	public record Caps(int type, long hwCaps, int maxPasidLog2, int flags, int[] idr, int iidr, int aidr) {
		public Caps {
			idr = idr.clone();
		}

		@Override
		public int[] idr() {
			return idr.clone();
		}

		public int idr(int n) {
			return idr[n];
		}
	}
}
