package smmu.hw.snapshot;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** The committed QEMU snapshot (see src/test/resources/snapshots/virtio-blk/README.md). */
final class Fixture {
	private Fixture() {}

	static final long RAM_BASE = 0x4000_0000L;
	static final long RAM_SIZE = 128L << 20;
	/** QEMU 7.2's SMMUv3 output address size (IDR5.OAS = 44 bits). */
	static final int OAS_BITS = 44;
	/** virt machine: the SMMU's MMIO base. */
	static final long SMMU_BASE = 0x0905_0000L;
	/** virtio-blk-pci at 00:01.0. */
	static final int SID = 0x8;

	static Path file(String name) {
		URL url = Fixture.class.getResource("/snapshots/virtio-blk/" + name);
		if (url == null) {
			throw new IllegalStateException("fixture file missing: " + name);
		}
		try {
			return Path.of(url.toURI());
		} catch (URISyntaxException e) {
			throw new IllegalStateException(e);
		}
	}
}
