package smmu.iommufd;

/**
 * {@code struct iommu_hwpt_invalidate}: IOMMU_HWPT_INVALIDATE (0x8d). Hands {@code entry_num}
 * entries of {@code entry_len} bytes at {@code data_uptr} to the vIOMMU (or nested HWPT) {@code
 * hwpt_id}; for a vIOMMU with data type {@link #DATA_ARM_SMMUV3} each entry is a 16-byte SMMUv3
 * command. The kernel writes back in {@code entry_num} the number of entries handled on every
 * return: a failure carries that struct in {@link IommufdException#response()}.
 */
public record HwptInvalidate(int hwptId, long dataUptr, int dataType, int entryLen, int entryNum) {
	/** data_type values. */
	public static final int DATA_VTD_S1 = 0, DATA_ARM_SMMUV3 = 1;

	public HwptInvalidate withEntryNum(int n) {
		return new HwptInvalidate(hwptId, dataUptr, dataType, entryLen, n);
	}
}
