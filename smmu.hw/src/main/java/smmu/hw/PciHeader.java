package smmu.hw;

import java.util.List;

/**
 * What a PCI function's configuration space says about it before software touches it: IDs, class,
 * BARs, expansion ROM, interrupt pin and capabilities (a PCI Express endpoint capability when
 * {@code pcie}; an MSI capability when {@code msiVectors} > 0, a power of two up to 32; an MSI-X
 * capability when {@code msixVectors} > 0, its table and PBA in BAR {@code msixBar}).
 *
 * @param classCode base class, subclass and programming interface (24 bits)
 * @param interruptPin 0 (no INTx) or 1..4 (INTA#..INTD#)
 * @param configSize 256 (conventional) or 4096 (PCI Express extended configuration space)
 * @param bars the six BARs, {@link PciBar#NONE} where absent
 * @param romSize expansion ROM size (0: none)
 * @param capabilities further capabilities of the device model (e.g. virtio's vendor-specific ones),
 *        placed from offset 0xa4 on, first in the capability list
 */
public record PciHeader(int vendorId, int deviceId, int subsystemVendorId, int subsystemId, int revision, int classCode,
		int interruptPin, int configSize, List<PciBar> bars, long romSize, boolean pcie, int msiVectors, int msixVectors, int msixBar,
		List<PciCapability> capabilities) {

	/** Room for {@link #capabilities}: from 0xa4 (after the MSI-X capability) to the end of the conventional configuration space. */
	public static final int DEVICE_CAPS = 0xa4;

	/** A header without further capabilities. */
	public PciHeader(int vendorId, int deviceId, int subsystemVendorId, int subsystemId, int revision, int classCode,
			int interruptPin, int configSize, List<PciBar> bars, long romSize, boolean pcie, int msiVectors, int msixVectors, int msixBar) {
		this(vendorId, deviceId, subsystemVendorId, subsystemId, revision, classCode, interruptPin, configSize, bars, romSize, pcie,
				msiVectors, msixVectors, msixBar, List.of());
	}

	public PciHeader {
		bars = List.copyOf(bars);
		capabilities = List.copyOf(capabilities);
		int room = DEVICE_CAPS;
		for (PciCapability c : capabilities) {
			room += (c.size() + 3) & ~3;
		}
		if (room > 0x100) {
			throw new IllegalArgumentException("capabilities need " + (room - DEVICE_CAPS) + " bytes, 0xa4-0xff has 92");
		}
		if (bars.size() != 6) {
			throw new IllegalArgumentException("a type 0 header has 6 BARs, not " + bars.size());
		}
		for (int i = 0; i < 6; i++) {
			if (bars.get(i).kind() == PciBar.Kind.MEM64 && bars.get(i).implemented() && (i == 5 || bars.get(i + 1).implemented())) {
				throw new IllegalArgumentException("64-bit BAR " + i + " needs BAR " + (i + 1) + " free");
			}
		}
		if (configSize != 256 && configSize != 4096) {
			throw new IllegalArgumentException("config space of " + configSize + " bytes");
		}
		if (interruptPin < 0 || interruptPin > 4) {
			throw new IllegalArgumentException("interrupt pin " + interruptPin);
		}
		if (msiVectors < 0 || msiVectors > 32 || (msiVectors != 0 && Long.bitCount(msiVectors) != 1)) {
			throw new IllegalArgumentException("MSI vectors " + msiVectors);
		}
		if (msixVectors < 0 || msixVectors > 2048 || (msixVectors > 0 && !bars.get(msixBar).implemented())) {
			throw new IllegalArgumentException("MSI-X vectors " + msixVectors + " in BAR " + msixBar);
		}
		if (romSize != 0 && (Long.bitCount(romSize) != 1 || romSize < 2048)) {
			throw new IllegalArgumentException("ROM size " + romSize);
		}
	}

	/**
	 * The default of the host's endpoints: a PCI Express endpoint that is QEMU's PCI test device
	 * (1b36:0005, class 00ff00: no guest driver claims it), with a 16 KiB 32-bit BAR 0, a 1 MiB
	 * 64-bit prefetchable BAR 2, INTA#, one MSI vector, no ROM, extended configuration space.
	 */
	public static PciHeader testDevice() {
		return new PciHeader(0x1b36, 0x0005, 0x1af4, 0x1100, 0x00, 0x00ff00, 1, 4096,
				List.of(PciBar.mem32(16 << 10), PciBar.NONE, PciBar.mem64(1 << 20, true), PciBar.NONE, PciBar.NONE, PciBar.NONE), 0, true, 1, 0, 0);
	}
}
