package smmu.iommufd.arm;

import smmu.hw.arch.Ste;

/**
 * A nested domain allocated through a vSMMU from a guest STE ({@code struct arm_smmu_nested_domain}):
 * the validated vSTE words 0 and 1 (EATS cleared) over the vSMMU's stage-2 parent.
 */
public final class ArmNestedDomain {
	private final ArmVsmmu vsmmu;
	private final long ste0, ste1;
	private final boolean enableAts;

	ArmNestedDomain(ArmVsmmu vsmmu, long ste0, long ste1, boolean enableAts) {
		this.vsmmu = vsmmu;
		this.ste0 = ste0;
		this.ste1 = ste1;
		this.enableAts = enableAts;
	}

	public ArmVsmmu vsmmu() {
		return vsmmu;
	}

	/** The stored vSTE: words 0 and 1, EATS cleared; all zero for a vSTE with V = 0. */
	public long[] vste() {
		return new long[] { ste0, ste1 };
	}

	/** Config = S1_TRANS with EATS = TRANS in the guest STE. */
	public boolean enableAts() {
		return enableAts;
	}

	/** The vSTE's Config as the attach interprets it: abort for V = 0. */
	public int config() {
		return (ste0 & Ste.V.mask()) == 0 ? Ste.CFG_ABORT : (int) Ste.CONFIG.get(ste0);
	}

	long[] guestSte() {
		long[] s = new long[Ste.WORDS];
		s[0] = ste0;
		s[1] = ste1;
		return s;
	}

	@Override
	public String toString() {
		return String.format("ArmNestedDomain[%s vste 0x%016x 0x%016x]", vsmmu, ste0, ste1);
	}
}
