package smmu.iommufd;

/**
 * {@code struct iommu_hw_queue_alloc}: IOMMU_HW_QUEUE_ALLOC (0x94). A HW queue of {@code type} at
 * {@code index} for vIOMMU {@code viommu_id}, its memory at {@code nesting_parent_iova} (+{@code
 * length}) of the vIOMMU's parent IOAS; the kernel writes back {@code out_hw_queue_id}. Only
 * vIOMMUs whose driver has HW queue ops (Tegra241 CMDQV) accept it; the plain arm-smmu-v3 vSMMU
 * returns EOPNOTSUPP after the core's checks.
 */
public record HwQueueAlloc(int flags, int viommuId, int type, int index, int outHwQueueId, long nestingParentIova,
		long length) {
	/** {@code enum iommu_hw_queue_type}. */
	public static final int TYPE_DEFAULT = 0, TYPE_TEGRA241_CMDQV = 1;
}
