package smmu.iommufd;

/**
 * {@code struct iommu_fault_alloc}: IOMMU_FAULT_QUEUE_ALLOC (0x8e). Allocates a FAULT object, the
 * queue of I/O page faults of the HWPTs allocated with {@link HwptAlloc#FAULT_ID_VALID} and its
 * {@code fault_id}; {@code flags} must be 0 (else EOPNOTSUPP). The kernel writes back {@code
 * out_fault_id} and {@code out_fault_fd}. The model has no file descriptors: the queue is read and
 * answered by its ID ({@link IommufdContext#faultRead}, {@link IommufdContext#faultRespond}), and
 * the raw ioctl writes that ID as {@code out_fault_fd}.
 */
public record FaultAlloc(int flags, int outFaultId, int outFaultFd) {
}
