package smmu.policy.perinstance;

import org.osgi.service.component.annotations.Component;

import smmu.accel.policy.Stage2Policy;

/**
 * The "per-instance" stage-2 policy: each vSMMU gets its own AddressSpace, so its own IOAS and
 * nest-parent HWPT: the stage-2 table is duplicated per vSMMU.
 */
@Component(property = Stage2Policy.NAME + "=" + PerInstancePolicy.NAME)
public final class PerInstancePolicy implements Stage2Policy {
	static final String NAME = "per-instance";

	@Override
	public String name() {
		return NAME;
	}

	@Override
	public String addressSpaceKey(String vm, String vsmmu) {
		return vm + "/" + vsmmu;
	}
}
