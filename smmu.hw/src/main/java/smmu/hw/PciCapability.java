package smmu.hw;

import java.util.Arrays;

/**
 * A capability a device model adds to its function's configuration space beyond the ones
 * {@link PciHeader} lays out (PCI Express, MSI, MSI-X): for example the virtio-pci vendor-specific
 * capabilities (ID 0x09) that say where the virtio structures live in the BARs. Read-only to
 * software. {@link PciFunction} places them from offset 0xa4 on, 4-byte aligned, and fills in the ID
 * and the next pointer.
 *
 * @param id the capability ID (e.g. 0x09, vendor specific)
 * @param body the bytes after the ID and next pointer (for a vendor-specific capability, body[0] is
 *        its length, which must count the two header bytes too)
 */
public record PciCapability(int id, byte[] body) {
	/** The capability ID of a vendor-specific capability. */
	public static final int VENDOR_SPECIFIC = 0x09;

	public PciCapability {
		if (id <= 0 || id > 0xff) {
			throw new IllegalArgumentException("capability ID " + id);
		}
		body = body.clone();
		if (body.length > 0x3e) {
			throw new IllegalArgumentException("capability of " + (body.length + 2) + " bytes");
		}
	}

	@Override
	public byte[] body() {
		return body.clone();
	}

	/** The capability's size in configuration space (ID, next pointer, body). */
	public int size() {
		return 2 + body.length;
	}

	@Override
	public boolean equals(Object o) {
		return o instanceof PciCapability c && c.id == id && Arrays.equals(c.body, body);
	}

	@Override
	public int hashCode() {
		return 31 * id + Arrays.hashCode(body);
	}

	@Override
	public String toString() {
		return String.format("PciCapability[id=0x%02x, %d bytes]", id, size());
	}
}
