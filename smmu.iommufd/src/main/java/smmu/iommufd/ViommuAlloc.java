package smmu.iommufd;

/**
 * {@code struct iommu_viommu_alloc}: IOMMU_VIOMMU_ALLOC (0x90). A vIOMMU of {@code type} on the
 * physical IOMMU of device {@code dev_id}, over the nest-parent paging HWPT {@code hwpt_id}. The
 * kernel writes back {@code out_viommu_id}. ARM_SMMUV3 takes no driver data.
 */
public record ViommuAlloc(int flags, int type, int devId, int hwptId, int outViommuId, int dataLen, long dataUptr) {
	/** {@code enum iommu_viommu_type}. */
	public static final int TYPE_DEFAULT = 0, TYPE_ARM_SMMUV3 = 1, TYPE_TEGRA241_CMDQV = 2;

	public static ViommuAlloc arm(int devId, int hwptId) {
		return new ViommuAlloc(0, TYPE_ARM_SMMUV3, devId, hwptId, 0, 0, 0);
	}

	public ViommuAlloc withOutViommuId(int id) {
		return new ViommuAlloc(flags, type, devId, hwptId, id, dataLen, dataUptr);
	}
}
