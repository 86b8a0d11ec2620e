package smmu.hw.snapshot;

import java.util.List;
import java.util.Map;

/**
 * The ID registers QEMU's emulated SMMUv3 ({@code -device arm-smmuv3} or virt's {@code iommu=smmuv3},
 * default {@code stage=1}) resets to, by QEMU version, as {@code smmuv3_init_regs} sets them: for
 * snapshots whose register files lack them (Linux never reads IDR2, IDR4 or AIDR).
 * <ul>
 * <li>7.2: IDR0 S1P, TTF AArch64, COHACC, ASID16, TTENDIAN little, STALL_MODEL no stall, TERM_MODEL,
 * STLEVEL 2-level; IDR1 SIDSIZE 16, EVENTQS = CMDQS = 19; IDR3 HAD, RIL, BBML 2; IDR5 OAS 44 bits,
 * 4K/16K/64K granules; IIDR 0; AIDR 1 (SMMUv3.1). IDR0, IDR1, IDR3, IDR5 and IIDR checked against what a
 * QEMU 7.2 guest read (the virtio-blk snapshot's {@code idregs.txt}).</li>
 * <li>8.2 and 10.2: as 7.2 plus IDR0.VMID16, which QEMU 8.1's stage-2 support set unconditionally; XNX
 * (9.0) and S2P are set only with {@code stage=2} or {@code nested}, not in these presets.</li>
 * </ul>
 */
public final class QemuIdRegisters {
	private QemuIdRegisters() {}

	private static final long IDR0_72 = 0x0d40_101aL;
	private static final long IDR0_VMID16 = 1L << 18;

	/** The versions known, oldest first. */
	public static final List<String> VERSIONS = List.of("7.2", "8.2", "10.2");

	/**
	 * Offset (0x0-0x1c) to reset value of every ID register for {@code version}, or null for a version
	 * not in {@link #VERSIONS}.
	 */
	public static Map<Integer, Long> of(String version) {
		long idr0 = switch (version) {
			case "7.2" -> IDR0_72;
			case "8.2", "10.2" -> IDR0_72 | IDR0_VMID16;
			default -> -1;
		};
		if (idr0 < 0) {
			return null;
		}
		return Map.of(0x0, idr0, 0x4, 0x0273_0010L, 0x8, 0L, 0xc, 0x1404L, 0x10, 0L, 0x14, 0x74L, 0x18, 0L, 0x1c, 1L);
	}
}
