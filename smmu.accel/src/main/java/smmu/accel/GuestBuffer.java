package smmu.accel;

/** A guest DMA buffer: the device's address and the guest physical address of the buffer, whole pages. */
public record GuestBuffer(String device, long iova, long gpa, long size) {
}
