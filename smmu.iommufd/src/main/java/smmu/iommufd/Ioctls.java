package smmu.iommufd;

/**
 * The iommufd ioctl request numbers: {@code _IO(';', nr)}, no direction or size bits. Each struct
 * begins with its u32 {@code size}.
 */
public final class Ioctls {
	private Ioctls() {}

	public static final int IOMMUFD_TYPE = ';';
	public static final int IOMMU_DESTROY = 0x3b80, IOMMU_IOAS_ALLOC = 0x3b81, IOMMU_IOAS_ALLOW_IOVAS = 0x3b82,
			IOMMU_IOAS_COPY = 0x3b83, IOMMU_IOAS_IOVA_RANGES = 0x3b84, IOMMU_IOAS_MAP = 0x3b85, IOMMU_IOAS_UNMAP = 0x3b86,
			IOMMU_OPTION = 0x3b87, IOMMU_HWPT_ALLOC = 0x3b89, IOMMU_GET_HW_INFO = 0x3b8a, IOMMU_HWPT_INVALIDATE = 0x3b8d,
			IOMMU_IOAS_MAP_FILE = 0x3b8f, IOMMU_VIOMMU_ALLOC = 0x3b90, IOMMU_VDEVICE_ALLOC = 0x3b91,
			IOMMU_IOAS_CHANGE_PROCESS = 0x3b92, IOMMU_VEVENTQ_ALLOC = 0x3b93;
}
