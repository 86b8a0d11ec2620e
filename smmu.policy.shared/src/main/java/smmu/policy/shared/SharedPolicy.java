package smmu.policy.shared;

import org.osgi.service.component.annotations.Component;

import smmu.accel.policy.Stage2Policy;

/**
 * The "shared" stage-2 policy: every vSMMU of a VM gets the VM's one system AddressSpace, so one IOAS
 * and, where the kernel lets a domain span physical SMMUs, one nest-parent HWPT (what QEMU does).
 */
@Component(property = Stage2Policy.NAME + "=" + SharedPolicy.NAME)
public final class SharedPolicy implements Stage2Policy {
	static final String NAME = "shared";

	@Override
	public String name() {
		return NAME;
	}

	@Override
	public String addressSpaceKey(String vm, String vsmmu) {
		return vm;
	}
}
