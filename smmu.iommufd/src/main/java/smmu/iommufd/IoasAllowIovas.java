package smmu.iommufd;

import java.util.List;

/**
 * {@code struct iommu_ioas_allow_iovas}: IOMMU_IOAS_ALLOW_IOVAS (0x82). Replaces the IOAS's whole
 * list of ranges automatic IOVA allocation may use; an empty list clears it ({@code num_iovas} is
 * the list's size).
 */
public record IoasAllowIovas(int ioasId, List<IovaRange> allowedIovas) {
	public IoasAllowIovas {
		allowedIovas = List.copyOf(allowedIovas);
	}
}
