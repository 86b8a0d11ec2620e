package smmu.hw.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
}
