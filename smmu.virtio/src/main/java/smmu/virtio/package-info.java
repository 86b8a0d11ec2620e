/**
 * Virtio device models behind host PCI functions: {@link smmu.virtio.VirtioDevices} puts a modern
 * virtio-pci device (virtio-blk over a disk image file) into a host endpoint's PCI function slot. The
 * device offers VIRTIO_F_VERSION_1 and VIRTIO_F_ACCESS_PLATFORM, interrupts with INTx, and makes
 * every descriptor, ring and buffer access a DMA through the endpoint's physical SMMU.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package smmu.virtio;
