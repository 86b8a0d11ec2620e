package smmu.accel.vm;

import smmu.accel.policy.Stage2Policy;

/** The two policies as the policy bundles define them, for tests outside a framework. */
final class TestPolicies {
	private TestPolicies() {}

	static Stage2Policy of(String name, boolean perInstance) {
		return new Stage2Policy() {
			@Override
			public String name() {
				return name;
			}

			@Override
			public String addressSpaceKey(String vm, String vsmmu) {
				return perInstance ? vm + "/" + vsmmu : vm;
			}
		};
	}

	static final Stage2Policy SHARED = of("shared", false), PER_INSTANCE = of("per-instance", true);
}
