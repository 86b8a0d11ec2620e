package smmu.iommufd;

/**
 * {@code struct iommu_hwpt_alloc}: IOMMU_HWPT_ALLOC (0x89). Allocates a HW page table for device
 * {@code dev_id} on {@code pt_id}: an IOAS (a paging HWPT), or a vIOMMU (a nested HWPT whose
 * driver data, {@code data_len} bytes at user VA {@code data_uptr} of type {@code data_type}, is
 * for ARM_SMMUV3 the 16-byte {@code struct iommu_hwpt_arm_smmuv3 { le64 ste[2]; }}). The kernel
 * writes back {@code out_hwpt_id}.
 */
public record HwptAlloc(int flags, int devId, int ptId, int outHwptId, int dataType, int dataLen, long dataUptr, int faultId) {
	/** flags. */
	public static final int NEST_PARENT = 1 << 0, DIRTY_TRACKING = 1 << 1, FAULT_ID_VALID = 1 << 2, PASID = 1 << 3;
	/** data_type values ({@code enum iommu_hwpt_data_type}). */
	public static final int DATA_NONE = 0, DATA_VTD_S1 = 1, DATA_ARM_SMMUV3 = 2, DATA_AMD_GUEST = 3;

	/** A paging HWPT on an IOAS, no driver data. */
	public static HwptAlloc paging(int flags, int devId, int ioasId) {
		return new HwptAlloc(flags, devId, ioasId, 0, DATA_NONE, 0, 0, 0);
	}

	/** A nested HWPT on a vIOMMU from an ARM_SMMUV3 vSTE stored at {@code dataUptr}. */
	public static HwptAlloc nestedArm(int devId, int viommuId, long dataUptr) {
		return new HwptAlloc(0, devId, viommuId, 0, DATA_ARM_SMMUV3, 16, dataUptr, 0);
	}

	public HwptAlloc withOutHwptId(int id) {
		return new HwptAlloc(flags, devId, ptId, id, dataType, dataLen, dataUptr, faultId);
	}
}
