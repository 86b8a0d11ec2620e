package smmu.iommufd;

/**
 * {@code struct iommu_hw_info}: IOMMU_GET_HW_INFO (0x8a). Copies the IOMMU's driver data of device
 * {@code dev_id} (for arm-smmu-v3 the 40-byte {@code struct iommu_hw_info_arm_smmuv3}: flags,
 * IDR0..5, IIDR, AIDR) to {@code data_uptr}, truncated to {@code data_len} and zero-filled beyond the
 * kernel's length. With {@link #FLAG_INPUT_TYPE} {@code in_data_type} selects the type, else the
 * default. The kernel writes back {@code data_len} (its own length), {@code out_data_type} (the same
 * union as {@code in_data_type}), {@code out_max_pasid_log2} and {@code out_capabilities}.
 */
public record HwInfo(int flags, int devId, int dataLen, long dataUptr, int dataType, int outMaxPasidLog2, long outCapabilities) {
	public static final int FLAG_INPUT_TYPE = 1 << 0;
	/** {@code enum iommu_hw_info_type}. */
	public static final int TYPE_DEFAULT = 0, TYPE_INTEL_VTD = 1, TYPE_ARM_SMMUV3 = 2, TYPE_TEGRA241_CMDQV = 3, TYPE_AMD = 4;
	/** out_capabilities bits. */
	public static final long CAP_DIRTY_TRACKING = 1 << 0, CAP_PCI_PASID_EXEC = 1 << 1, CAP_PCI_PASID_PRIV = 1 << 2,
			CAP_PCI_ATS_NOT_SUPPORTED = 1 << 3;

	/** The request for the default type into a buffer of {@code dataLen} bytes at {@code dataUptr}. */
	public static HwInfo request(int devId, int dataLen, long dataUptr) {
		return new HwInfo(0, devId, dataLen, dataUptr, TYPE_DEFAULT, 0, 0);
	}
}
