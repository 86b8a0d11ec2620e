package smmu.iommufd;

/** {@code struct iommu_iova_range}: the inclusive IOVA range [start, last] (unsigned). */
public record IovaRange(long start, long last) {
	@Override
	public String toString() {
		return String.format("[0x%x, 0x%x]", start, last);
	}
}
