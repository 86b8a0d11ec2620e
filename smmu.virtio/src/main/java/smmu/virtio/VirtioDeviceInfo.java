package smmu.virtio;

/**
 * A virtio device and its counters.
 *
 * @param bdf the host endpoint
 * @param kind "virtio-blk"
 * @param image the backing file
 * @param capacity the disk's size in 512-byte sectors
 * @param status the device status register (ACKNOWLEDGE 1, DRIVER 2, DRIVER_OK 4, FEATURES_OK 8,
 *        DEVICE_NEEDS_RESET 0x40, FAILED 0x80)
 * @param features the features the driver accepted (bit 32: VERSION_1, bit 33: ACCESS_PLATFORM)
 * @param requests requests completed (put on the used ring)
 * @param bytesRead bytes the device read from the image for the driver (VIRTIO_BLK_T_IN)
 * @param bytesWritten bytes the driver wrote to the image (VIRTIO_BLK_T_OUT)
 * @param dmas DMA transactions the device issued (one per page touched: descriptors, rings, buffers)
 * @param dmaBytes bytes they moved
 * @param dmaFaults DMA transactions the SMMU terminated (each then stops the device: DEVICE_NEEDS_RESET)
 * @param interrupts INTx assertions
 * @param dmaNanos time spent in DMA transactions (translation and the memory access)
 */
public record VirtioDeviceInfo(String bdf, String kind, String image, long capacity, int status, long features, long requests,
		long bytesRead, long bytesWritten, long dmas, long dmaBytes, long dmaFaults, long interrupts, long dmaNanos) {}
