package smmu.policy.perinstance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class PerInstancePolicyTest {
	@Test
	void eachVsmmuHasItsOwnKey() {
		PerInstancePolicy p = new PerInstancePolicy();
		assertEquals("per-instance", p.name());
		assertNotEquals(p.addressSpaceKey("vm0", "smmuv3.0"), p.addressSpaceKey("vm0", "smmuv3.1"));
		assertNotEquals(p.addressSpaceKey("vm0", "smmuv3.0"), p.addressSpaceKey("vm1", "smmuv3.0"));
		assertEquals(p.addressSpaceKey("vm0", "smmuv3.0"), p.addressSpaceKey("vm0", "smmuv3.0"));
	}
}
