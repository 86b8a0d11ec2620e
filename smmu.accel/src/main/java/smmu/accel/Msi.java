package smmu.accel;

import smmu.hw.Event;

/**
 * A device's MSI, end to end: the guest's message, KVM's route, the physical message the host
 * programmed, the physical SMMU's nested translation of it, the host MSI controller's delivery and the
 * guest vector it reached.
 *
 * @param device         the device
 * @param vector         the MSI-X vector raised
 * @param guestAddress   the address the guest programmed (an IOVA of its DMA domain mapping its vITS doorbell page)
 * @param routeAddress   KVM's route address after {@code kvm_arch_fixup_msi_route} (the vSMMU's msi-gpa)
 * @param hostAddress    the address the host programmed into the device (the SW MSI window IOVA)
 * @param hostPa         where the physical SMMU sent the write, -1 after a fault
 * @param fault          the event the physical SMMU recorded (pSID), or null
 * @param deliveredTo    {@code vm:vector} the interrupt reached, or null
 * @param reason         why it was not delivered, or null
 * @param translations   SMMU translations this MSI took (1: one nested translation of the doorbell address)
 */
public record Msi(String device, int vector, long guestAddress, long routeAddress, long hostAddress, long hostPa, Event fault,
		String deliveredTo, String reason, int translations) {
	public boolean delivered() {
		return deliveredTo != null;
	}
}
