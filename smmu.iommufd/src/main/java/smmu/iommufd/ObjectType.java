package smmu.iommufd;

/** The kernel's {@code IOMMUFD_OBJ_*} object types. */
public enum ObjectType {
	IOAS, DEVICE, HWPT_PAGING, HWPT_NESTED, VIOMMU, VDEVICE, VEVENTQ, HW_QUEUE, FAULT, ACCESS
}
