/**
 * QEMU's VFIO side for PCI devices passed through with iommufd, as {@code hw/vfio} and
 * {@code backends/iommufd.c} do it: a {@link smmu.vfio.Vfio} per VMM process (one iommufd context)
 * opens host endpoints as {@link smmu.vfio.VfioPciDevice}s; realizing one binds its cdev, finds or
 * creates the VFIOAddressSpace/container/IOAS of the device's {@link smmu.vfio.AddressSpace}, attaches
 * it to an automatic HWPT (NEST_PARENT when the vIOMMU wants nesting), maps the AddressSpace's RAM
 * (RAM listener) or shadows its IOMMU mappings (IOMMU notifier), and hands the vIOMMU's
 * {@link smmu.vfio.PciIommuOps} a {@link smmu.vfio.HostIommuDevice}. Realized devices DMA through their
 * physical SMMU. Failures a QEMU user sees as an error message are {@link smmu.vfio.VfioException}s
 * carrying that message.
 * <p>
 * Below QEMU, the host kernel's vfio-pci driver: {@link smmu.vfio.VfioCdevs} opens the device file
 * ({@link smmu.vfio.VfioCdev}) of a host PCI function for a real process, whose ioctls, pread and
 * pwrite it answers from the host's function and the iommufd model.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package smmu.vfio;
