package smmu.accel.vm;

/**
 * The fixed guest physical addresses of QEMU's {@code virt} machine ({@code hw/arm/virt.c}) that an
 * accelerated vSMMUv3 setup uses.
 */
public final class VirtMemoryMap {
	private VirtMemoryMap() {}

	/** VIRT_MEM: guest RAM starts at 1 GiB. */
	public static final long RAM_BASE = 0x4000_0000L;
	/** GITS_TRANSLATER of the GICv3 ITS (VIRT_GIC_ITS 0x08080000 + 0x10040): the MSI doorbell. */
	public static final long GITS_TRANSLATER = 0x0809_0040L;
	/** The GICv2m SETSPI doorbell (VIRT_GIC_V2M + 0x40), the msi-gpa without an ITS. */
	public static final long GICV2M_SETSPI = 0x0802_0040L;
	/** VIRT_PLATFORM_BUS, where user-created {@code -device arm-smmuv3} instances land. */
	public static final long PLATFORM_BUS = 0x0c00_0000L, PLATFORM_BUS_SIZE = 0x0200_0000L;
	/** Each SMMUv3 takes a 128 KiB MMIO slot of the platform bus. */
	public static final long SMMU_MMIO_SIZE = 0x2_0000L;
	/** The platform bus's interrupts: SPIs 112..175; an SMMUv3 takes four consecutive ones. */
	public static final int PLATFORM_BUS_FIRST_SPI = 112, PLATFORM_BUS_SPIS = 64, SMMU_SPIS = 4;
	/** The IORT RMR range of every accel SMMU: the MSI doorbell page window, identity-mapped. */
	public static final long RMR_BASE = 0x0800_0000L, RMR_SIZE = 0x10_0000L;
	/** The IPA size KVM gives a VM by default: guest physical addresses below 2^40. */
	public static final int GPA_BITS = 40;

	/** MMIO base of the {@code n}-th SMMUv3 created on the platform bus (creation order, nothing else on the bus). */
	public static long smmuMmio(int n) {
		if (n < 0 || (n + 1) * SMMU_MMIO_SIZE > PLATFORM_BUS_SIZE) {
			throw new IllegalArgumentException("no platform bus slot " + n);
		}
		return PLATFORM_BUS + n * SMMU_MMIO_SIZE;
	}

	/** First SPI of the {@code n}-th SMMUv3 (event queue; then PRI, CMD_SYNC, GERROR). */
	public static int smmuFirstSpi(int n) {
		if (n < 0 || (n + 1) * SMMU_SPIS > PLATFORM_BUS_SPIS) {
			throw new IllegalArgumentException("no platform bus interrupts for SMMU " + n);
		}
		return PLATFORM_BUS_FIRST_SPI + n * SMMU_SPIS;
	}

	/** Whether [gpa, gpa + length) lies in the RMR window. */
	public static boolean inRmr(long gpa, long length) {
		return gpa >= RMR_BASE && length >= 0 && gpa + length <= RMR_BASE + RMR_SIZE && gpa + length >= gpa;
	}
}
