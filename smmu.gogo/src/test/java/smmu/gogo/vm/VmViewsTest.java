package smmu.gogo.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import smmu.accel.Topology;
import smmu.accel.VirtualMachine;

class VmViewsTest {
	@Test
	void rootPortsNestUnderTheirBus() {
		Topology t = new Topology("vm1", VirtualMachine.State.CREATED, 1 << 28,
				List.of(new Topology.Bus("pcie.0", "root", 0, null, null), new Topology.Bus("pcie.1", "pxb-pcie", 1, "smmuv3.0", "pcie.0"),
						new Topology.Bus("rp0", "root-port", 2, "smmuv3.0", "pcie.1"), new Topology.Bus("rp9", "root-port", 9, null, "pcie.0"),
						new Topology.Bus("rp1", "root-port", 3, "smmuv3.0", "pcie.1")),
				List.of(new Topology.Vsmmu("smmuv3.0", "pcie.1", 0xc000000, 112, Map.of(), "smmu0")),
				List.of(new Topology.Device("dev0", "rp0", "02:00.0", 0x200, "0000:01:00.0", 0x100, "smmu0", "smmuv3.0"),
						new Topology.Device("dev1", "rp1", "03:00.0", 0x300, "0000:01:00.1", 0x101, "smmu0", "smmuv3.0")));
		VmViews.TopologyView v = VmViews.topology(t);
		assertEquals("\n  pcie.0 (bus 0x00, root)"
				+ "\n    pcie.1 (bus 0x01, pxb-pcie) <- smmuv3.0 on smmu0"
				+ "\n      rp0 (bus 0x02, root-port)"
				+ "\n        02:00.0 dev0 vSID 0x200 -> 0000:01:00.0 smmu0 pSID 0x100"
				+ "\n      rp1 (bus 0x03, root-port)"
				+ "\n        03:00.0 dev1 vSID 0x300 -> 0000:01:00.1 smmu0 pSID 0x101"
				+ "\n    rp9 (bus 0x09, root-port)", v.tree());
		assertEquals("pcie.1", v.buses().get(2).parent());
		assertEquals(null, v.buses().get(0).parent());
	}

	@Test
	void aBusWithoutAKnownParentIsARoot() {
		Topology t = new Topology("vm1", VirtualMachine.State.CREATED, 1 << 28,
				List.of(new Topology.Bus("pcie.0", "root", 0, null), new Topology.Bus("pcie.1", "pxb-pcie", 1, null)), List.of(), List.of());
		assertEquals("\n  pcie.0 (bus 0x00, root)\n  pcie.1 (bus 0x01, pxb-pcie)", VmViews.topology(t).tree());
	}
}
