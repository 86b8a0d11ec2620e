package smmu.iommufd.arm;

import smmu.hw.driver.CdTable;

/**
 * A device behind a physical SMMU ({@code struct arm_smmu_master}): its StreamIDs (sorted), the domain
 * attached now, the invalidation-array entries that attachment contributed ({@code build_invs}) and,
 * when attached through a vSMMU with a vDEVICE, its vmaster (vSMMU + vSID) for event forwarding.
 */
public final class Master {

	/** What a master is attached to. */
	public enum State {
		/** Nothing attached since boot: its STEs abort (as the host left them). */
		NONE, BLOCKED, IDENTITY, PAGING, NESTED
	}

	/** The vSMMU and virtual StreamID events of this master are forwarded with. */
	public record Vmaster(ArmVsmmu vsmmu, long vsid) {}

	private final String name;
	private final ArmSmmuV3 smmu;
	private final int[] sids;
	private final boolean canwbs;
	// guarded by the kernel's lock
	volatile State state = State.NONE;
	volatile ArmDomain paging;
	volatile ArmNestedDomain nested;
	Invs buildInvs;
	/** The domain whose array holds buildInvs. */
	ArmDomain invsOwner;
	CdTable cdTable;
	boolean cdInUse;
	ArmVsmmu vdeviceOf;
	volatile Vmaster vmaster;

	Master(String name, ArmSmmuV3 smmu, int[] sids, boolean canwbs) {
		this.name = name;
		this.smmu = smmu;
		this.sids = sids.clone();
		java.util.Arrays.sort(this.sids);
		this.canwbs = canwbs;
	}

	/** The device's name (PCI BDF). */
	public String name() {
		return name;
	}

	public ArmSmmuV3 smmu() {
		return smmu;
	}

	public int[] sids() {
		return sids.clone();
	}

	int sid(int i) {
		return sids[i];
	}

	int numSids() {
		return sids.length;
	}

	/** The root complex guarantees coherent writes of its non-cacheable traffic (IOMMU_FWSPEC_PCI_RC_CANWBS). */
	public boolean canwbs() {
		return canwbs;
	}

	public State state() {
		return state;
	}

	/** The paging domain attached now, or null (also when a nested domain is attached). */
	public ArmDomain pagingDomain() {
		return paging;
	}

	/** The nested domain attached now, or null. */
	public ArmNestedDomain nestedDomain() {
		return nested;
	}

	/** The vSMMU and vSID events are forwarded with, or null. */
	public Vmaster vmaster() {
		return vmaster;
	}

	@Override
	public String toString() {
		return "Master[" + name + " @" + smmu.id() + " sids " + java.util.Arrays.toString(sids) + " " + state + "]";
	}
}
