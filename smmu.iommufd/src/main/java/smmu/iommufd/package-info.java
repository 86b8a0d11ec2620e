/**
 * The host kernel's iommufd as user space sees it: one {@link smmu.iommufd.IommufdContext} per open
 * of {@code /dev/iommu}, one method per ioctl taking and returning records that mirror the uAPI
 * structs of {@code include/uapi/linux/iommufd.h} (field names kept, {@code size} and
 * {@code __reserved} left out; user pointers are VAs of the VMM's address space), the VFIO cdev
 * operations that create DEVICE objects, failures as {@link smmu.iommufd.IommufdException} carrying the Linux
 * errno, and the VMM's {@link smmu.iommufd.VmmAddressSpace}, whose pages IOAS_MAP pins. A real process
 * reaches the same kernel through {@link smmu.iommufd.UserProcess} (its memory, files and eventfds
 * during a system call) and the raw {@link smmu.iommufd.IommufdContext#ioctl(int, long, smmu.iommufd.UserProcess)};
 * files the kernel creates for it are {@link smmu.iommufd.UserFile}s.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package smmu.iommufd;
