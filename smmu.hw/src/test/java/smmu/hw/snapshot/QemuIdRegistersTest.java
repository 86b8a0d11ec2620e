package smmu.hw.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import org.junit.jupiter.api.Test;

import smmu.hw.arch.Regs;

class QemuIdRegistersTest {
	@Test
	void qemu72IsWhatAQemu72GuestRead() throws Exception {
		Map<Integer, Long> read = RegisterState.read(Fixture.file("idregs.txt"));
		Map<Integer, Long> preset = QemuIdRegisters.of("7.2");
		assertEquals(8, preset.size());
		for (Map.Entry<Integer, Long> e : read.entrySet()) {
			assertEquals(e.getValue(), preset.get(e.getKey()), String.format("0x%x", e.getKey()));
		}
		assertEquals(16, Regs.IDR1_SIDSIZE.get(preset.get(Regs.IDR1).intValue()));
		assertEquals(1L, preset.get(Regs.AIDR), "SMMUv3.1");
	}

	@Test
	void laterVersionsAdvertise16BitVmids() {
		for (String v : new String[] { "8.2", "10.2" }) {
			Map<Integer, Long> p = QemuIdRegisters.of(v);
			assertEquals(QemuIdRegisters.of("7.2").get(0x0) | 1L << 18, p.get(0x0), v);
			assertEquals(0L, p.get(0x0) & 1, v + ": stage 1 only by default");
		}
		assertNull(QemuIdRegisters.of("9.9"));
		assertNull(QemuIdRegisters.of(""));
	}

	static long s1p(Map<Integer, Long> p) {
		return Regs.IDR0_S1P.get(p.get(Regs.IDR0).intValue());
	}

	static long s2p(Map<Integer, Long> p) {
		return Regs.IDR0_S2P.get(p.get(Regs.IDR0).intValue());
	}

	static long xnx(Map<Integer, Long> p) {
		return p.get(0xc) >> 13 & 1;
	}

	@Test
	void theStagePropertySetsS1pS2pAndXnxAsSmmuv3InitRegs() {
		for (String v : new String[] { "8.2", "10.2" }) {
			Map<Integer, Long> s1 = QemuIdRegisters.of(v, "1");
			assertEquals(QemuIdRegisters.of(v), s1, v + ": stage=1 is the default");
			assertEquals(1, s1p(s1), v);
			assertEquals(0, s2p(s1), v);
			assertEquals(0, xnx(s1), v + ": XNX only with stage 2");
			assertEquals(0x1404L, s1.get(0xc), v);
			Map<Integer, Long> s2 = QemuIdRegisters.of(v, "2");
			assertEquals(0, s1p(s2), v + ": stage=2 is stage 2 only");
			assertEquals(1, s2p(s2), v);
			assertEquals(0x3404L, s2.get(0xc), v + ": IDR3 HAD RIL BBML=2 XNX");
			assertEquals(1, Regs.IDR0_VMID16.get(s2.get(Regs.IDR0).intValue()), v);
			assertEquals(s1.get(Regs.IDR0) & ~3L, s2.get(Regs.IDR0) & ~3L, v + ": only S1P/S2P differ in IDR0");
			for (int off : new int[] { 0x4, 0x8, 0x10, 0x14, 0x18, 0x1c }) {
				assertEquals(s1.get(off), s2.get(off), v + String.format(" 0x%x", off));
			}
		}
		Map<Integer, Long> nested = QemuIdRegisters.of("10.2", "nested");
		assertEquals(1, s1p(nested));
		assertEquals(1, s2p(nested));
		assertEquals(1, xnx(nested));
		assertEquals(0x0d44_101bL, nested.get(Regs.IDR0));
		assertEquals(QemuIdRegisters.of("7.2"), QemuIdRegisters.of("7.2", "1"));
	}

	@Test
	void aStageTheVersionLacksIsRefusedSayingWhatItHas() {
		assertEquals("QEMU 7.2's smmuv3 has no stage property (stage 1 only; stage=2 came in 8.1, stage=nested in 9.1)",
				assertThrows(IllegalArgumentException.class, () -> QemuIdRegisters.of("7.2", "2")).getMessage());
		assertThrows(IllegalArgumentException.class, () -> QemuIdRegisters.of("7.2", "nested"));
		assertEquals("QEMU 8.2's smmuv3 takes stage=1 or stage=2 (stage=nested came in 9.1; 8.2 reads any other value as stage 1)",
				assertThrows(IllegalArgumentException.class, () -> QemuIdRegisters.of("8.2", "nested")).getMessage());
		assertEquals("QEMU's smmuv3 stage is 1, 2 or nested",
				assertThrows(IllegalArgumentException.class, () -> QemuIdRegisters.of("10.2", "3")).getMessage());
		assertNull(QemuIdRegisters.of("9.9", "2"));
		assertEquals(java.util.List.of("1", "2"), QemuIdRegisters.stages("8.2"));
	}
}
