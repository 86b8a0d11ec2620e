package smmu.policy.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class SharedPolicyTest {
	@Test
	void everyVsmmuOfAVmSharesOneKeyAndVmsDoNot() {
		SharedPolicy p = new SharedPolicy();
		assertEquals("shared", p.name());
		assertEquals(p.addressSpaceKey("vm0", "smmuv3.0"), p.addressSpaceKey("vm0", "smmuv3.1"));
		assertNotEquals(p.addressSpaceKey("vm0", "smmuv3.0"), p.addressSpaceKey("vm1", "smmuv3.0"));
	}
}
