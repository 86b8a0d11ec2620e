package smmu.iommufd;

/**
 * {@code struct iommu_ioas_copy}: IOMMU_IOAS_COPY (0x83). Maps the pages already mapped at
 * [src_iova, +length) of one IOAS into another (or the same) one, with the flags of
 * {@link IoasMap}; the kernel writes back {@code dst_iova}.
 */
public record IoasCopy(int flags, int dstIoasId, int srcIoasId, long length, long dstIova, long srcIova) {
	public IoasCopy withDstIova(long iova) {
		return new IoasCopy(flags, dstIoasId, srcIoasId, length, iova, srcIova);
	}
}
