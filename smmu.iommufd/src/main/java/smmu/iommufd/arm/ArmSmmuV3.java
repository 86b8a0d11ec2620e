package smmu.iommufd.arm;

import smmu.hw.Smmu;
import smmu.hw.arch.Regs;
import smmu.hw.driver.Features;
import smmu.hw.driver.SmmuDriver;
import smmu.iommufd.Errno;

/**
 * The host driver's view of one physical SMMU ({@code struct arm_smmu_device}): the driver-library
 * instance that probed it, its features and its VMID space ({@code smmu->vmid_map}).
 */
public final class ArmSmmuV3 {
	private final int index;
	private final Smmu smmu;
	private final SmmuDriver driver;
	private final Features features;
	private final IdAllocator vmids;

	ArmSmmuV3(int index, Smmu smmu, SmmuDriver driver) {
		this.index = index;
		this.smmu = smmu;
		this.driver = driver;
		this.features = driver.features();
		this.vmids = new IdAllocator(smmu.id() + " VMID", Errno.ENOSPC);
	}

	/** Position in the kernel's SMMU list; orders invalidation arrays. */
	public int index() {
		return index;
	}

	public String id() {
		return smmu.id();
	}

	/** The hardware instance (translations, statistics). */
	public Smmu smmu() {
		return smmu;
	}

	public SmmuDriver driver() {
		return driver;
	}

	public Features features() {
		return features;
	}

	/** VMIDs in use on this SMMU (domains, vSMMUs). */
	public IdAllocator vmids() {
		return vmids;
	}

	int maxVmid() {
		return (1 << features.vmidBits()) - 1;
	}

	int maxAsid() {
		return (1 << features.asidBits()) - 1;
	}

	/** FEAT_HD: hardware dirty-bit update (HTTU = A+D) with coherent walks, required by DIRTY_TRACKING. */
	public boolean dirtyCapable() {
		return features.httu() == 2 && features.coherent();
	}

	/** IOMMU_GET_HW_INFO for a device behind this SMMU: IDR0..5, IIDR, AIDR read raw from the registers. */
	public ArmHwInfo hwInfo() {
		int[] idr = new int[6];
		for (int i = 0; i < 6; i++) {
			idr[i] = driver.registers().read32(Regs.IDR0 + 4 * i);
		}
		return new ArmHwInfo(0, idr, driver.registers().read32(Regs.IIDR), driver.registers().read32(Regs.AIDR));
	}

	@Override
	public String toString() {
		return "ArmSmmuV3[" + id() + "]";
	}
}
