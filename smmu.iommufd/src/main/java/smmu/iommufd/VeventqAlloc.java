package smmu.iommufd;

/**
 * {@code struct iommu_veventq_alloc}: IOMMU_VEVENTQ_ALLOC (0x93). A queue of at most {@code
 * veventq_depth} vEVENTs of {@code type} for vIOMMU {@code viommu_id}; the kernel writes back {@code
 * out_veventq_id}. The typed call makes no file: the queue is read with
 * {@link IommufdContext#veventqRead} by its ID. The raw ioctl of a {@link UserProcess} also installs
 * the queue's file ({@code out_veventq_fd}, a {@link UserFile}).
 */
public record VeventqAlloc(int flags, int viommuId, int type, int veventqDepth, int outVeventqId) {
	/** {@code enum iommu_veventq_type}. */
	public static final int TYPE_DEFAULT = 0, TYPE_ARM_SMMUV3 = 1, TYPE_TEGRA241_CMDQV = 2;

	public static VeventqAlloc arm(int viommuId, int depth) {
		return new VeventqAlloc(0, viommuId, TYPE_ARM_SMMUV3, depth, 0);
	}
}
