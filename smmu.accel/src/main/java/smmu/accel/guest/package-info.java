/**
 * The guest kernel's side of an accelerated vSMMUv3: {@link smmu.accel.guest.GuestKernel} runs Linux's
 * arm-smmu-v3 driver (the {@code smmu.hw.driver} library) against each vSMMU's registers with every
 * structure in guest RAM, attaches devices (vSIDs) to stage-1 DMA domains and maps DMA buffers
 * through the io-pgtable and an IOVA allocator, as {@code iommu-dma} does. Private to the bundle.
 */
package smmu.accel.guest;
