package smmu.hw;

import smmu.hw.arch.Regs;

/**
 * The reset values and model parameters of one SMMU instance.
 *
 * @param id instance name, unique on a host (e.g. "smmu0")
 * @param mmioBase physical base address of the 128 KiB register region
 * @param idr ID registers IDR0..IDR5 as read by software
 * @param iidr implementation identification
 * @param aidr architecture version (0x2 = SMMUv3.2)
 * @param tlbCapacity TLB entries of each TBU (16 per SMMU, a stream's being its StreamID's low four bits; 0 disables the TLBs)
 * @param configCacheCapacity configuration cache entries (0 disables it)
 */
public record SmmuSpec(String id, long mmioBase, int[] idr, int iidr, int aidr, int tlbCapacity, int configCacheCapacity) {

	public SmmuSpec {
		if (idr.length != 6) {
			throw new IllegalArgumentException("six ID registers expected");
		}
		idr = idr.clone();
	}

	/**
	 * The default IIDR: Arm (0x43b) MMU-700 (ProductID 0x487) r1p1, the first revision Linux lets nest
	 * (arm_smmu_device_iidr_probe clears FEAT_NESTING for r0px and r1p0).
	 */
	public static final int IIDR_MMU700 = 0x4871143b;

	/** Arm MMU-700 r0p0: Linux turns nesting off for it (errata 2268618, 2812531). */
	public static final int IIDR_MMU700_R0P0 = 0x4870043b;

	/**
	 * An MMU-700 r1p1-like SMMUv3.2 with stage 1 and stage 2, 2-level stream tables, 16-bit SIDs, 20-bit SSIDs,
	 * 16-bit ASIDs and VMIDs, range invalidation, 48-bit OAS and all three granules.
	 */
	public static SmmuSpec mmu700(String id, long mmioBase) {
		int idr0 = 0;
		idr0 = (int) Regs.IDR0_S2P.with(idr0, 1);
		idr0 = (int) Regs.IDR0_S1P.with(idr0, 1);
		idr0 = (int) Regs.IDR0_TTF.with(idr0, 2);
		idr0 = (int) Regs.IDR0_COHACC.with(idr0, 1);
		idr0 = (int) Regs.IDR0_HYP.with(idr0, 1);
		idr0 = (int) Regs.IDR0_ASID16.with(idr0, 1);
		idr0 = (int) Regs.IDR0_MSI.with(idr0, 1);
		idr0 = (int) Regs.IDR0_VMID16.with(idr0, 1);
		idr0 = (int) Regs.IDR0_CD2L.with(idr0, 1);
		idr0 = (int) Regs.IDR0_TTENDIAN.with(idr0, 2);
		idr0 = (int) Regs.IDR0_STALL_MODEL.with(idr0, 1);
		idr0 = (int) Regs.IDR0_TERM_MODEL.with(idr0, 1);
		idr0 = (int) Regs.IDR0_ST_LEVEL.with(idr0, 1);
		int idr1 = 0;
		idr1 = (int) Regs.IDR1_SIDSIZE.with(idr1, 16);
		idr1 = (int) Regs.IDR1_SSIDSIZE.with(idr1, 20);
		idr1 = (int) Regs.IDR1_PRIQS.with(idr1, 19);
		idr1 = (int) Regs.IDR1_EVENTQS.with(idr1, 19);
		idr1 = (int) Regs.IDR1_CMDQS.with(idr1, 19);
		int idr3 = 0;
		idr3 = (int) Regs.IDR3_RIL.with(idr3, 1);
		idr3 = (int) Regs.IDR3_BBML.with(idr3, 2);
		idr3 = (int) Regs.IDR3_FWB.with(idr3, 1);
		int idr5 = 0;
		idr5 = (int) Regs.IDR5_OAS.with(idr5, 5);
		idr5 = (int) Regs.IDR5_GRAN4K.with(idr5, 1);
		idr5 = (int) Regs.IDR5_GRAN16K.with(idr5, 1);
		idr5 = (int) Regs.IDR5_GRAN64K.with(idr5, 1);
		return new SmmuSpec(id, mmioBase, new int[] { idr0, idr1, 0, idr3, 0, idr5 }, IIDR_MMU700, 0x2, 1024, 256);
	}

	public int idr(int n) {
		return idr[n];
	}

	/** A copy with other ID registers. */
	public SmmuSpec withIdr(int[] newIdr) {
		return new SmmuSpec(id, mmioBase, newIdr, iidr, aidr, tlbCapacity, configCacheCapacity);
	}

	/** A copy with other IIDR and AIDR values. */
	public SmmuSpec withIds(int newIidr, int newAidr) {
		return new SmmuSpec(id, mmioBase, idr, newIidr, newAidr, tlbCapacity, configCacheCapacity);
	}

	/** A copy with other cache sizes. */
	public SmmuSpec withCaches(int tlb, int config) {
		return new SmmuSpec(id, mmioBase, idr, iidr, aidr, tlb, config);
	}

	/** Output address size in bits (IDR5.OAS). */
	public int oasBits() {
		return Regs.oasBits((int) Regs.IDR5_OAS.get(idr[5]));
	}
}
