package smmu.vfio;

import smmu.hw.TranslationResult;
import smmu.hw.irq.MsiController;

/**
 * What a device's MSI write did: the SMMU translated the programmed address (or faulted), the write
 * reached the host's MSI controller's doorbell (or landed elsewhere), and the controller delivered it.
 *
 * @param vector the device's MSI vector
 * @param address the physical MSI address the host programmed into the device (an IOVA in the SW MSI window)
 * @param data the MSI data (the ITS EventID or the GICv2m SPI)
 * @param pa where the SMMU sent the write, or -1 after a fault
 * @param fault the SMMU's answer when it did not translate, else null
 * @param delivery the controller's delivery, or null when the write never reached the doorbell
 */
public record MsiResult(int vector, long address, int data, long pa, TranslationResult.Aborted fault, MsiController.Delivery delivery) {
	/** The interrupt reached a registered target. */
	public boolean delivered() {
		return delivery != null && delivery.target() != null;
	}
}
