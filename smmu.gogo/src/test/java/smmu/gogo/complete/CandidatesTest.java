package smmu.gogo.complete;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.gogo.complete.Candidates.Kind;

class CandidatesTest {
	@Test
	void positionalKindsSkipOptionsAndTheirValues() {
		assertEquals(Kind.SMMU, Candidates.position(List.of("smmu:ste", "smm"), 1).kind());
		assertEquals(Kind.NONE, Candidates.position(List.of("smmu:ste", "smmu0", ""), 2).kind());
		assertEquals(Kind.SMMU, Candidates.position(List.of("smmu:walk", "--ssid", "3", "--write", ""), 4).kind());
		assertEquals(Kind.NONE, Candidates.position(List.of("smmu:walk", "--ssid", ""), 2).kind());
		assertEquals(Kind.VM, Candidates.position(List.of("smmu:stats", "--vm", ""), 2).kind());
		assertEquals(Kind.SMMU, Candidates.position(List.of("smmu:stats", "--vm", "vmA", ""), 3).kind());
		assertEquals(Kind.SMMU, Candidates.position(List.of("smmu:stats", "--reset", "--sid", "0x100", ""), 4).kind());
		assertEquals(new Candidates.Position(Kind.DEVICE, List.of("vm0")), Candidates.position(List.of("vm:map", "vm0", "d"), 2));
		assertEquals(new Candidates.Position(Kind.VSMMU, List.of("vm0")), Candidates.position(List.of("vm:events", "vm0", ""), 2));
		assertEquals(Kind.VM, Candidates.position(List.of("vm:boot", ""), 1).kind());
		assertEquals(Kind.HOST_BDF, Candidates.position(List.of("iommufd:bind", "3", ""), 2).kind());
		assertEquals(Kind.HOST_BDF, Candidates.position(List.of("host:device", "0000:0"), 1).kind());
		assertEquals(Kind.NONE, Candidates.position(List.of("host:dma", "0000:01:00.0", ""), 2).kind());
		assertEquals(Kind.SCENARIO, Candidates.position(List.of("report:compare", "--svg", "out.svg", ""), 3).kind());
		assertEquals(Kind.VM, Candidates.position(List.of("report:vm", "--no-probe", ""), 2).kind());
		assertEquals(Kind.QEMU, Candidates.position(List.of("qemu:await", "--timeout", "60", ""), 3).kind());
		assertEquals(Kind.NONE, Candidates.position(List.of("qemu:await", "q1", ""), 2).kind());
		assertEquals(Kind.VM, Candidates.position(List.of("vm:msidesign", ""), 1).kind());
		assertEquals(Kind.MSI_DESIGN, Candidates.position(List.of("vm:msidesign", "vm0", "t"), 2).kind());
		assertEquals(List.of("msi-gpa", "translate"), CandidateCommands.msiDesigns());
	}

	@Test
	void unknownCommandsAndGarbageHaveNoCandidates() {
		assertEquals(Kind.NONE, Candidates.position(List.of("ls", ""), 1).kind());
		assertEquals(Kind.NONE, Candidates.position(List.of(), 0).kind());
		assertEquals(Kind.NONE, Candidates.position(List.of("vm:boot"), 0).kind());
		assertEquals(Kind.NONE, Candidates.position(List.of("vm:boot", "--"), 1).kind());
		assertEquals(Kind.NONE, Candidates.position(List.of("vm:map", "a", "b", "c", ""), 4).kind());
		assertEquals(Kind.NONE, Candidates.position(List.of("vm:map", "a", "b"), 99).kind());
	}
}
