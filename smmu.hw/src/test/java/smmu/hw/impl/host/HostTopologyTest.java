package smmu.hw.impl.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import smmu.hw.SmmuSpec;
import smmu.hw.arch.Regs;

class HostTopologyTest {
	@Test
	void registerEntriesApplyPerSmmuOrToAll() {
		SmmuSpec s0 = SmmuSpec.mmu700("smmu0", 0), s1 = SmmuSpec.mmu700("smmu1", 0);
		String[] entries = { "IIDR=0x4870043b", "smmu1:IDR5=0x74", "smmu1:iidr=0x4871143b", "AIDR=1" };
		SmmuSpec a = HostTopology.registers(s0, entries), b = HostTopology.registers(s1, entries);
		assertEquals(SmmuSpec.IIDR_MMU700_R0P0, a.iidr());
		assertEquals(s0.idr(5), a.idr(5));
		assertEquals(1, a.aidr());
		assertEquals(SmmuSpec.IIDR_MMU700, b.iidr());
		assertEquals(0x74, b.idr(5));
		assertEquals(44, b.oasBits());
		assertEquals(s1.idr(0), b.idr(0));
		assertEquals(1, Regs.IDR0_S1P.get(b.idr(0)));
	}

	@Test
	void badEntriesNameTheEntry() {
		SmmuSpec s = SmmuSpec.mmu700("smmu0", 0);
		assertEquals("register 'IDR6=1': IDR6 is not one of IDR0..IDR5, IIDR, AIDR",
				assertThrows(IllegalArgumentException.class, () -> HostTopology.registers(s, new String[] { "IDR6=1" })).getMessage());
		assertEquals("register 'IIDR': expected [smmu-id:]NAME=value",
				assertThrows(IllegalArgumentException.class, () -> HostTopology.registers(s, new String[] { "IIDR" })).getMessage());
		assertEquals("register 'IIDR=0x1ffffffff': not a 32-bit value",
				assertThrows(IllegalArgumentException.class, () -> HostTopology.registers(s, new String[] { "IIDR=0x1ffffffff" })).getMessage());
	}
}
