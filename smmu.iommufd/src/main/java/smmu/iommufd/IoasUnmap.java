package smmu.iommufd;

/**
 * {@code struct iommu_ioas_unmap}: IOMMU_IOAS_UNMAP (0x86). Unmaps every area inside
 * [iova, iova + length); iova 0 with length {@link #ALL} (U64_MAX) unmaps everything. The kernel
 * writes back in {@code length} the number of bytes unmapped.
 */
public record IoasUnmap(int ioasId, long iova, long length) {
	/** U64_MAX. */
	public static final long ALL = -1L;
}
