package smmu.accel.guest;

/**
 * A coherent DMA buffer of a device ({@code dma_alloc_coherent}): guest RAM at {@code gpa}, mapped for
 * the device at {@code iova}.
 *
 * @param iova the device's address of the buffer
 * @param gpa the guest physical address of the buffer
 * @param size bytes, whole granules
 */
public record DmaBuffer(long iova, long gpa, long size) {

	/** Whether {@code address} is an IOVA inside the buffer. */
	public boolean containsIova(long address) {
		return address >= iova && address - iova < size;
	}
}
