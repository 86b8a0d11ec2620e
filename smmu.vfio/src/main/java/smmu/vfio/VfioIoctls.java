package smmu.vfio;

/**
 * The VFIO device ioctl request numbers ({@code _IO(VFIO_TYPE, VFIO_BASE + n)}, no size bits) and
 * constants of {@code include/uapi/linux/vfio.h} that the device file answers. Every struct begins
 * with its u32 {@code argsz}.
 */
public final class VfioIoctls {
	private VfioIoctls() {}

	public static final int VFIO_DEVICE_GET_INFO = 0x3b6b, VFIO_DEVICE_GET_REGION_INFO = 0x3b6c, VFIO_DEVICE_GET_IRQ_INFO = 0x3b6d,
			VFIO_DEVICE_SET_IRQS = 0x3b6e, VFIO_DEVICE_RESET = 0x3b6f, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO = 0x3b70,
			VFIO_DEVICE_PCI_HOT_RESET = 0x3b71, VFIO_DEVICE_IOEVENTFD = 0x3b74, VFIO_DEVICE_FEATURE = 0x3b75,
			VFIO_DEVICE_BIND_IOMMUFD = 0x3b76, VFIO_DEVICE_ATTACH_IOMMUFD_PT = 0x3b77, VFIO_DEVICE_DETACH_IOMMUFD_PT = 0x3b78;

	/** vfio_device_info.flags. */
	public static final int DEVICE_FLAGS_RESET = 1 << 0, DEVICE_FLAGS_PCI = 1 << 1, DEVICE_FLAGS_CAPS = 1 << 7;
	/** vfio_region_info.flags. */
	public static final int REGION_INFO_FLAG_READ = 1 << 0, REGION_INFO_FLAG_WRITE = 1 << 1, REGION_INFO_FLAG_MMAP = 1 << 2,
			REGION_INFO_FLAG_CAPS = 1 << 3;
	/** vfio_irq_info.flags. */
	public static final int IRQ_INFO_EVENTFD = 1 << 0, IRQ_INFO_MASKABLE = 1 << 1, IRQ_INFO_AUTOMASKED = 1 << 2,
			IRQ_INFO_NORESIZE = 1 << 3;
	/** vfio_irq_set.flags: data type (one of), action (one of). */
	public static final int IRQ_SET_DATA_NONE = 1 << 0, IRQ_SET_DATA_BOOL = 1 << 1, IRQ_SET_DATA_EVENTFD = 1 << 2,
			IRQ_SET_ACTION_MASK = 1 << 3, IRQ_SET_ACTION_UNMASK = 1 << 4, IRQ_SET_ACTION_TRIGGER = 1 << 5;
	/** vfio-pci region indices. */
	public static final int PCI_BAR0_REGION_INDEX = 0, PCI_ROM_REGION_INDEX = 6, PCI_CONFIG_REGION_INDEX = 7,
			PCI_VGA_REGION_INDEX = 8, PCI_NUM_REGIONS = 9;
	/** vfio-pci IRQ indices. */
	public static final int PCI_INTX_IRQ_INDEX = 0, PCI_MSI_IRQ_INDEX = 1, PCI_MSIX_IRQ_INDEX = 2, PCI_ERR_IRQ_INDEX = 3,
			PCI_REQ_IRQ_INDEX = 4, PCI_NUM_IRQS = 5;

	/** VFIO_PCI_OFFSET_SHIFT: region {@code index} starts at file offset {@code index << 40}. */
	public static final int OFFSET_SHIFT = 40;

	public static long regionOffset(int index) {
		return (long) index << OFFSET_SHIFT;
	}
}
