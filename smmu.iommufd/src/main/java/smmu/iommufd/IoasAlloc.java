package smmu.iommufd;

/** {@code struct iommu_ioas_alloc}: IOMMU_IOAS_ALLOC (0x81). The kernel writes back {@code out_ioas_id}. */
public record IoasAlloc(int flags, int outIoasId) {
	/** The request: no flags (none is defined). */
	public static IoasAlloc request() {
		return new IoasAlloc(0, 0);
	}
}
