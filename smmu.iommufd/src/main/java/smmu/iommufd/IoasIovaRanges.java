package smmu.iommufd;

import java.util.List;

/**
 * {@code struct iommu_ioas_iova_ranges}: IOMMU_IOAS_IOVA_RANGES (0x84). On input {@code num_iovas}
 * is the capacity of the caller's array and {@code allowed_iovas} is ignored; the kernel writes back
 * the number of usable ranges, the ranges that fit the capacity and {@code out_iova_alignment}.
 */
public record IoasIovaRanges(int ioasId, int numIovas, List<IovaRange> allowedIovas, long outIovaAlignment) {
	public IoasIovaRanges {
		allowedIovas = List.copyOf(allowedIovas);
	}

	public static IoasIovaRanges request(int ioasId, int capacity) {
		return new IoasIovaRanges(ioasId, capacity, List.of(), 0);
	}
}
