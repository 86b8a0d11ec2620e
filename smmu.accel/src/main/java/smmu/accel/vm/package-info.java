/**
 * Guest physical memory of a QEMU {@code virt} machine: {@link smmu.accel.vm.GuestRam} maps the RAM
 * into the VMM process ({@link smmu.iommufd.VmmAddressSpace}) over host pages,
 * {@link smmu.accel.vm.GuestMemory} reads and writes guest physical addresses through that mapping,
 * and {@link smmu.accel.vm.VirtMemoryMap} holds the machine's fixed addresses. Private to the bundle.
 */
package smmu.accel.vm;
