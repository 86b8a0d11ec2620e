package smmu.qemu.impl;

import java.util.Map;

/** Names of the iommufd and VFIO ioctls ({@code _IO(';', nr)}) for the bridge's statistics and log lines. */
final class IoctlNames {
	private IoctlNames() {}

	private static final Map<Integer, String> NAMES = Map.ofEntries(Map.entry(0x80, "IOMMU_DESTROY"), Map.entry(0x81, "IOMMU_IOAS_ALLOC"),
			Map.entry(0x82, "IOMMU_IOAS_ALLOW_IOVAS"), Map.entry(0x83, "IOMMU_IOAS_COPY"), Map.entry(0x84, "IOMMU_IOAS_IOVA_RANGES"),
			Map.entry(0x85, "IOMMU_IOAS_MAP"), Map.entry(0x86, "IOMMU_IOAS_UNMAP"), Map.entry(0x87, "IOMMU_OPTION"),
			Map.entry(0x88, "IOMMU_VFIO_IOAS"), Map.entry(0x89, "IOMMU_HWPT_ALLOC"), Map.entry(0x8a, "IOMMU_GET_HW_INFO"),
			Map.entry(0x8b, "IOMMU_HWPT_SET_DIRTY_TRACKING"), Map.entry(0x8c, "IOMMU_HWPT_GET_DIRTY_BITMAP"),
			Map.entry(0x8d, "IOMMU_HWPT_INVALIDATE"), Map.entry(0x8e, "IOMMU_FAULT_QUEUE_ALLOC"), Map.entry(0x8f, "IOMMU_IOAS_MAP_FILE"),
			Map.entry(0x90, "IOMMU_VIOMMU_ALLOC"), Map.entry(0x91, "IOMMU_VDEVICE_ALLOC"), Map.entry(0x92, "IOMMU_IOAS_CHANGE_PROCESS"),
			Map.entry(0x93, "IOMMU_VEVENTQ_ALLOC"), Map.entry(0x94, "IOMMU_HW_QUEUE_ALLOC"), Map.entry(100, "VFIO_GET_API_VERSION"),
			Map.entry(101, "VFIO_CHECK_EXTENSION"), Map.entry(107, "VFIO_DEVICE_GET_INFO"), Map.entry(108, "VFIO_DEVICE_GET_REGION_INFO"),
			Map.entry(109, "VFIO_DEVICE_GET_IRQ_INFO"), Map.entry(110, "VFIO_DEVICE_SET_IRQS"), Map.entry(111, "VFIO_DEVICE_RESET"),
			Map.entry(112, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO"), Map.entry(113, "VFIO_DEVICE_PCI_HOT_RESET"),
			Map.entry(114, "VFIO_DEVICE_QUERY_GFX_PLANE"), Map.entry(115, "VFIO_DEVICE_GET_GFX_DMABUF"), Map.entry(116, "VFIO_DEVICE_IOEVENTFD"),
			Map.entry(117, "VFIO_DEVICE_FEATURE"), Map.entry(118, "VFIO_DEVICE_BIND_IOMMUFD"), Map.entry(119, "VFIO_DEVICE_ATTACH_IOMMUFD_PT"),
			Map.entry(120, "VFIO_DEVICE_DETACH_IOMMUFD_PT"));

	/** The ioctl's name, or its number in hex. */
	static String name(long request) {
		if ((request & 0xffff_ff00L) == (';' << 8)) {
			String n = NAMES.get((int) (request & 0xff));
			if (n != null) {
				return n;
			}
		}
		return String.format("0x%x", request);
	}
}
