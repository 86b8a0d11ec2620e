/**
 * The host's MSI controller: a GICv3 ITS (its GITS_TRANSLATER doorbell) or a GICv2m frame (its
 * MSI_SETSPI_NS doorbell) in host physical address space. A device's MSI is a 32-bit write that its SMMU
 * translated to the doorbell's physical address; the controller turns it into an interrupt for whoever
 * registered the (DeviceID, EventID) pair (an ITS) or the SPI number (a GICv2m).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package smmu.hw.irq;
