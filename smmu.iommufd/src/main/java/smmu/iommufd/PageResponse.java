package smmu.iommufd;

/**
 * {@code struct iommu_hwpt_page_response} (8 bytes), written to a FAULT object to answer the
 * group read with {@code cookie}: {@code code} {@link #SUCCESS} or {@link #INVALID}.
 */
public record PageResponse(int cookie, int code) {
	public static final int BYTES = 8;
	/** {@code enum iommufd_page_response_code}. */
	public static final int SUCCESS = 0, INVALID = 1;
}
