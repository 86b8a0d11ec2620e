package smmu.hw.snapshot;

import java.util.List;
import java.util.Map;

/**
 * The ID registers QEMU's emulated SMMUv3 ({@code -device arm-smmuv3} or virt's {@code iommu=smmuv3})
 * resets to, by QEMU version and by its {@code stage} property, as {@code smmuv3_init_regs} sets them:
 * for snapshots whose register files lack them (Linux never reads IDR2, IDR4 or AIDR).
 * <ul>
 * <li>7.2: no {@code stage} property (stage 1 only). IDR0 S1P, TTF AArch64, COHACC, ASID16, TTENDIAN
 * little, STALL_MODEL no stall, TERM_MODEL, STLEVEL 2-level; IDR1 SIDSIZE 16, EVENTQS = CMDQS = 19; IDR3
 * HAD, RIL, BBML 2; IDR5 OAS 44 bits, 4K/16K/64K granules; IIDR 0; AIDR 1 (SMMUv3.1). IDR0, IDR1, IDR3,
 * IDR5 and IIDR checked against what a QEMU 7.2 guest read (the virtio-blk snapshot's
 * {@code idregs.txt}).</li>
 * <li>8.2: as 7.2 plus IDR0.VMID16, which 8.1's stage-2 support set unconditionally, and {@code stage}:
 * {@code 1} (default) IDR0.S1P, {@code 2} IDR0.S2P instead; with S2P, IDR3.XNX (8.2). 8.2 knows no
 * {@code nested}: any value but {@code 2} is stage 1 there.</li>
 * <li>10.2: as 8.2, and {@code stage=nested} (9.1) sets S1P and S2P (and XNX).</li>
 * </ul>
 */
public final class QemuIdRegisters {
	private QemuIdRegisters() {}

	private static final long IDR0_72 = 0x0d40_101aL;
	private static final long IDR0_S2P = 1L;
	private static final long IDR0_S1P = 1L << 1;
	private static final long IDR0_VMID16 = 1L << 18;
	private static final long IDR3 = 0x1404L;
	/** IDR3.XNX, bit 13: stage 2 XN[1:0] (SMMUv3.1-XNX). */
	static final long IDR3_XNX = 1L << 13;

	/** The versions known, oldest first. */
	public static final List<String> VERSIONS = List.of("7.2", "8.2", "10.2");

	/** The values of QEMU's smmuv3 {@code stage} property, as the newest version knows them. */
	public static final List<String> STAGES = List.of("1", "2", "nested");

	/** The {@code stage} values {@code version} takes (null for a version not in {@link #VERSIONS}). */
	public static List<String> stages(String version) {
		return switch (version) {
			case "7.2" -> List.of("1");
			case "8.2" -> List.of("1", "2");
			case "10.2" -> STAGES;
			default -> null;
		};
	}

	/** As {@link #of(String, String)} with the default {@code stage=1}. */
	public static Map<Integer, Long> of(String version) {
		return of(version, "1");
	}

	/**
	 * Offset (0x0-0x1c) to reset value of every ID register for {@code version} with {@code stage}
	 * ({@code 1}, {@code 2} or {@code nested}), or null for a version not in {@link #VERSIONS}.
	 *
	 * @throws IllegalArgumentException naming what that version has, for a stage it does not take
	 */
	public static Map<Integer, Long> of(String version, String stage) {
		List<String> stages = stages(version);
		if (stages == null) {
			return null;
		}
		if (!STAGES.contains(stage)) {
			throw new IllegalArgumentException("QEMU's smmuv3 stage is 1, 2 or nested");
		}
		if (!stages.contains(stage)) {
			throw new IllegalArgumentException(version.equals("7.2")
					? "QEMU 7.2's smmuv3 has no stage property (stage 1 only; stage=2 came in 8.1, stage=nested in 9.1)"
					: "QEMU " + version + "'s smmuv3 takes stage=1 or stage=2 (stage=nested came in 9.1; " + version
							+ " reads any other value as stage 1)");
		}
		long idr0 = version.equals("7.2") ? IDR0_72 : IDR0_72 | IDR0_VMID16;
		idr0 &= ~(IDR0_S1P | IDR0_S2P);
		idr0 |= switch (stage) {
			case "2" -> IDR0_S2P;
			case "nested" -> IDR0_S1P | IDR0_S2P;
			default -> IDR0_S1P;
		};
		long idr3 = (idr0 & IDR0_S2P) != 0 ? IDR3 | IDR3_XNX : IDR3;
		return Map.of(0x0, idr0, 0x4, 0x0273_0010L, 0x8, 0L, 0xc, idr3, 0x10, 0L, 0x14, 0x74L, 0x18, 0L, 0x1c, 1L);
	}
}
