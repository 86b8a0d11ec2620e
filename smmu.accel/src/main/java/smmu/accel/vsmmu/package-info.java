/**
 * QEMU's accelerated vSMMUv3 front end ({@code hw/arm/smmuv3-accel.c}): {@link smmu.accel.vsmmu.AccelVsmmu}
 * is an emulated SMMUv3 over the VM's guest memory whose command, GBPA and CR0 hooks and PCI IOMMU
 * callbacks drive the host's iommufd: the shared system AddressSpace, the vIOMMU with its abort and
 * bypass HWPTs, guest STE installs as nested HWPTs, invalidation forwarding, the vEVENTQ and resets.
 * Private to the bundle.
 */
package smmu.accel.vsmmu;
