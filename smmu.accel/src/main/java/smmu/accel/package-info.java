/**
 * VMs with accelerated vSMMUv3 as QEMU builds them: a {@link smmu.accel.VmManager} creates
 * {@link smmu.accel.VirtualMachine}s from QEMU-like command lines ({@code -m}, {@code -device pxb-pcie},
 * {@code -device arm-smmuv3,accel=on}, {@code -device vfio-pci,host=BDF}), refusing what QEMU refuses
 * with QEMU's message ({@link smmu.accel.VmException}); a VM shows its PCI tree with each vSMMU and
 * device next to the physical SMMU and StreamID behind it ({@link smmu.accel.Topology}), boots its guest
 * kernel, and lets the guest map DMA buffers and its devices DMA.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package smmu.accel;
