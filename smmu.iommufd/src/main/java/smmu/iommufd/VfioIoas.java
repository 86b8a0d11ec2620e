package smmu.iommufd;

/**
 * {@code struct iommu_vfio_ioas}: IOMMU_VFIO_IOAS (0x88). The IOAS the VFIO container compatibility
 * ioctls of this context use: {@link #OP_GET} writes back its {@code ioas_id} (ENODEV when none is
 * set), {@link #OP_SET} sets it to {@code ioas_id} (ENOENT when that is not an IOAS),
 * {@link #OP_CLEAR} empties the slot. Any other op: EOPNOTSUPP. The slot holds no reference:
 * destroying the IOAS empties it.
 */
public record VfioIoas(int ioasId, int op) {
	/** {@code enum iommufd_vfio_ioas_op}. */
	public static final int OP_GET = 0, OP_SET = 1, OP_CLEAR = 2;
}
