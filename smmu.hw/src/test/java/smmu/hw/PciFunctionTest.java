package smmu.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The host function's configuration space as hardware: BAR sizing, read-only fields, capabilities, INTx, FLR. */
class PciFunctionTest {
	PciFunction fn = new PciFunction("0000:01:00.0", PciHeader.testDevice());

	@Test
	void barsReadBackTheirSizeMask() {
		fn.writeConfig(0x10, 4, -1);
		assertEquals(0xffffc000, fn.readConfig(0x10, 4));
		fn.writeConfig(0x18, 4, -1);
		fn.writeConfig(0x1c, 4, -1);
		assertEquals(0xfff0000c, fn.readConfig(0x18, 4));
		assertEquals(-1, fn.readConfig(0x1c, 4));
		fn.writeConfig(0x14, 4, -1);
		assertEquals(0, fn.readConfig(0x14, 4));
		fn.writeConfig(0, 4, 0);
		assertEquals(0x00051b36, fn.readConfig(0, 4), "IDs are read-only");
		assertEquals(0x40, fn.capability(PciFunction.CAP_ID_EXP));
		assertEquals(0x80, fn.capability(PciFunction.CAP_ID_MSI));
		assertEquals(0, fn.capability(PciFunction.CAP_ID_MSIX));
		assertThrows(IllegalArgumentException.class, () -> fn.readConfig(4094, 4));
	}

	@Test
	void intxFollowsThePinUnlessDisabled() {
		List<Boolean> line = new ArrayList<>();
		fn.connectIntx((f, level) -> line.add(level));
		fn.setIntx(true);
		assertEquals(PciFunction.STATUS_INTERRUPT, fn.readConfig(PciFunction.STATUS, 2) & PciFunction.STATUS_INTERRUPT);
		fn.writeConfig(PciFunction.COMMAND, 2, PciFunction.COMMAND_INTX_DISABLE);
		fn.writeConfig(PciFunction.COMMAND, 2, 0);
		fn.setIntx(false);
		assertEquals(List.of(true, false, true, false), line);
	}

	@Test
	void flrRestoresPowerOnState() {
		fn.writeConfig(PciFunction.COMMAND, 2, PciFunction.COMMAND_MEMORY);
		fn.barWrite(2, 0x100, 8, 0x55);
		fn.writeConfig(0x48, 2, 1 << 15);
		assertEquals(0, fn.readConfig(PciFunction.COMMAND, 2));
		assertEquals(0, fn.barRead(2, 0x100, 8));
		assertThrows(IllegalArgumentException.class, () -> fn.barRead(1, 0, 4));
		assertThrows(IllegalArgumentException.class, () -> fn.barRead(0, 16 << 10, 4));
	}
}
