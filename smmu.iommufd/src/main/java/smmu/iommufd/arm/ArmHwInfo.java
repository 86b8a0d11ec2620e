package smmu.iommufd.arm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code struct iommu_hw_info_arm_smmuv3} (40 bytes): flags, a reserved word, IDR0..IDR5, IIDR and AIDR
 * read raw from the SMMU's registers.
 */
public record ArmHwInfo(int flags, int[] idr, int iidr, int aidr) {
	public static final int BYTES = 40;
	/** IOMMU_HW_INFO_TYPE_ARM_SMMUV3. */
	public static final int TYPE = 2;
	/** IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI. */
	public static final int FLAG_ERRATA_REPEAT_TLBI_CFGI = 1;

	public ArmHwInfo {
		if (idr.length != 6) {
			throw new IllegalArgumentException("six ID registers expected");
		}
		idr = idr.clone();
	}

	@Override
	public int[] idr() {
		return idr.clone();
	}

	/** The struct as user space reads it (little-endian). */
	public byte[] toBytes() {
		ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
		b.putInt(flags).putInt(0);
		for (int r : idr) {
			b.putInt(r);
		}
		b.putInt(iidr).putInt(aidr);
		return b.array();
	}
}
