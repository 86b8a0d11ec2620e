package smmu.hw.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import smmu.hw.arch.Regs;

class RegisterStateTest {

	private static String w(long addr, long val, int size) {
		return String.format("4242@1700000000.000001:smmuv3_write_mmio addr: 0x%x val:0x%x size: 0x%x(0)%n", addr, val, size);
	}

	private static IllegalArgumentException bad(String text) {
		return assertThrows(IllegalArgumentException.class, () -> RegisterState.parse(text));
	}

	@Test
	void fixtureTraceGivesTheDriverState() throws IOException {
		Map<Integer, Long> regs = RegisterState.read(Fixture.file("regs.trace"));
		assertEquals(0x4000_0000_42ee_a000L, regs.get(Regs.STRTAB_BASE));
		assertEquals(0x10210L, regs.get(Regs.STRTAB_BASE_CFG));
		assertEquals(1L, Regs.STRTAB_CFG_FMT.get(regs.get(Regs.STRTAB_BASE_CFG)), "2-level stream table");
		assertEquals(8L, Regs.STRTAB_CFG_SPLIT.get(regs.get(Regs.STRTAB_BASE_CFG)));
		assertEquals(0x4000_0000_42f0_0010L, regs.get(Regs.CMDQ_BASE));
		assertEquals(0x4000_0000_4340_000fL, regs.get(Regs.EVENTQ_BASE));
		assertEquals((long) (Regs.CR0_SMMUEN | Regs.CR0_EVENTQEN | Regs.CR0_CMDQEN), regs.get(Regs.CR0));
		assertEquals(0x395L, regs.get(Regs.CMDQ_PROD));
		assertEquals(0L, regs.get(Regs.CMDQ_CONS), "only the driver's writes count: QEMU's consumption is not traced");
		assertNull(regs.get(Regs.STRTAB_BASE + 4), "64-bit registers are one entry");
		assertEquals(14, regs.size());
	}

	@Test
	void fixtureOffsetValuesEqualTheTrace() throws IOException {
		Map<Integer, Long> fromTrace = RegisterState.read(Fixture.file("regs.trace"));
		Map<Integer, Long> fromText = RegisterState.read(Fixture.file("regs.txt"));
		assertEquals(fromTrace, fromText);
		assertEquals(fromTrace, RegisterState.parse(RegisterState.toOffsetValues(fromTrace)));
		List<Integer> order = List.copyOf(fromText.keySet());
		for (int i = 1; i < order.size(); i++) {
			assertTrue(order.get(i - 1) < order.get(i), "sorted by offset");
		}
	}

	@Test
	void lastWriteWins() {
		Map<Integer, Long> regs = RegisterState.parse(w(0x98, 1, 4) + w(0x98, 2, 4) + w(0x20, 0xc, 4) + w(0x98, 0x7, 4) + w(0x20, 0xd, 4));
		assertEquals(Map.of(0x98, 7L, 0x20, 0xdL), regs);
	}

	@Test
	void sixtyFourBitRegistersReassembleFromHalvesInEitherOrder() {
		assertEquals(0x1234_5678_9abc_def0L, RegisterState.parse(w(0x80, 0x9abcdef0L, 4) + w(0x84, 0x12345678, 4)).get(0x80));
		assertEquals(0x1234_5678_9abc_def0L, RegisterState.parse(w(0x84, 0x12345678, 4) + w(0x80, 0x9abcdef0L, 4)).get(0x80));
		// A later half replaces only its half of an earlier whole write.
		Map<Integer, Long> regs = RegisterState.parse(w(0x90, 0x4000_0000_42f0_0010L, 8) + w(0x94, 0x1, 4)
				+ w(0xa0, 0x4000_0000_4340_000fL, 8) + w(0xa0, 0x5000_0000L, 4) + w(0xb4, 0xffff_ffffL, 4) + w(0x68, 0xdead_beefL, 4));
		assertEquals(0x0000_0001_42f0_0010L, regs.get(0x90));
		assertEquals(0x4000_0000_5000_0000L, regs.get(0xa0));
		assertEquals(0xffff_ffff_0000_0000L, regs.get(0xb0));
		assertEquals(0xdead_beefL, regs.get(0x68));
		assertEquals(4, regs.size(), "no entries at the high-half offsets");
		// A whole write replaces both halves.
		assertEquals(7L, RegisterState.parse(w(0x80, 0x1111_1111L, 4) + w(0x84, 0x2222_2222L, 4) + w(0x80, 7, 8)).get(0x80));
	}

	@Test
	void qemuWriteSemantics() {
		// 64-bit write to a 32-bit register: QEMU ignores it (WI).
		assertEquals(Map.of(0x98, 5L), RegisterState.parse(w(0x98, 5, 4) + w(0x98, 0x1_0000_0009L, 8)));
		// A write QEMU traced as failed changes nothing.
		assertEquals(Map.of(0x20, 1L), RegisterState.parse(w(0x20, 1, 4)
				+ "smmuv3_write_mmio addr: 0x20 val:0x0 size: 0x4(1)\n"));
		// GBPA changes only with Update, which reads back clear.
		Map<Integer, Long> regs = RegisterState.parse(w(0x44, 0x0010_0000, 4) + w(0x44, 0x8010_0000L, 4) + w(0x44, 0x1000, 4));
		assertEquals(0x0010_0000L, regs.get(0x44));
		// Page 1 aliases page 0.
		assertEquals(Map.of(0xa8, 3L), RegisterState.parse(w(0x100a8, 3, 4)));
		// Secure bank 64-bit register.
		assertEquals(0xabcd_0000_1234L, RegisterState.parse(w(0x8080, 0x1234, 4) + w(0x8084, 0xabcd, 4)).get(0x8080));
	}

	@Test
	void traceFormatsAndOtherLines() {
		String text = """
				qemu-system-aarch64: some warning
				smmuv3_read_mmio addr: 0x0 val:0xd40101a size: 0x4(0)
				smmuv3_write_mmio addr: 0x28 val:0xd75 size: 0x4(0)
				1234@1795264734.106705:smmuv3_write_mmio addr: 0x2c val:0x6 size: 0x4(0)
				smmuv3_write_mmio_idr addr: 0x0 val:0x1 size: 0x4(0)
				smmuv3_write_mmio addr: 0x50 val:0x5 size: 0x4
				1234@1795264734.106705:smmuv3_cmdq_consume prod=1 cons=0 prod.wrap=0 cons.wrap=0
				""";
		assertEquals(Map.of(0x28, 0xd75L, 0x2c, 6L, 0x50, 5L), RegisterState.parse(text));
	}

	@Test
	void badTraceLinesNameTheLine() {
		String head = w(0x20, 0, 4) + "smmuv3_cmdq_consume prod=1\n";
		assertTrue(bad(head + "smmuv3_write_mmio addr: 0x80 val:0x1\n").getMessage().startsWith("line 3: malformed"));
		assertTrue(bad(head + "smmuv3_write_mmio addr: 0x80 val:0xzz size: 0x4(0)\n").getMessage().startsWith("line 3:"));
		assertTrue(bad(head + w(0x20, 1, 2)).getMessage().contains("line 3: access size 2"));
		assertTrue(bad(head + w(0x22, 1, 4)).getMessage().contains("line 3: unaligned"));
		assertTrue(bad(head + w(0x84, 1, 8)).getMessage().contains("line 3: unaligned"));
		assertTrue(bad(head + w(0x20000, 1, 4)).getMessage().contains("line 3: offset 0x20000 outside"));
		assertTrue(bad(head + w(0x20, 0x1_0000_0000L, 4)).getMessage().contains("line 3: 32-bit write"));
		assertTrue(bad(head + "smmuv3_write_mmio addr: 0x20 val:0x1 size: 0x4(x)\n").getMessage().startsWith("line 3:"));
		assertTrue(bad(head + "smmuv3_write_mmio addr: 0x20 val:0x11112222333344445 size: 0x4(0)\n").getMessage().startsWith("line 3:"));
		IllegalArgumentException none = bad("smmuv3_read_mmio addr: 0x0 val:0x0 size: 0x4(0)\n");
		assertTrue(none.getMessage().contains("no smmuv3_write_mmio line"));
	}

	@Test
	void offsetValueFormats() {
		String text = """
				# registers
				0x20=0xd        # CR0

				  0x80 = 0x4000_0000_42ee_a000
				136=66064
				0x98 = 17
				0x98=0x395
				0X9C=0X0
				0x84=0x1            # high half of STRTAB_BASE
				0x100ac=4           # page 1 alias of EVENTQ_CONS
				0x68=0xffffffffffffffff
				""";
		Map<Integer, Long> regs = RegisterState.parse(text);
		assertEquals(0xdL, regs.get(0x20));
		assertEquals(0x0000_0001_42ee_a000L, regs.get(0x80));
		assertEquals(0x10210L, regs.get(0x88));
		assertEquals(0x395L, regs.get(0x98));
		assertEquals(0L, regs.get(0x9c));
		assertEquals(4L, regs.get(0xac));
		assertEquals(-1L, regs.get(0x68));
		assertEquals(7, regs.size());
		assertEquals(Map.of(), RegisterState.parse("# nothing\n\n"));
	}

	@Test
	void badOffsetValueLinesNameTheLine() {
		String head = "0x20=1\n# c\n";
		assertTrue(bad(head + "0x20 1\n").getMessage().startsWith("line 3: "));
		assertTrue(bad(head + "0x20=\n").getMessage().startsWith("line 3: expected offset=value"));
		assertTrue(bad(head + "0x20=0xg\n").getMessage().startsWith("line 3: bad number"));
		assertTrue(bad(head + "0x20=-1\n").getMessage().startsWith("line 3: bad number"));
		assertTrue(bad(head + "0x20=0x1_0000_0000\n").getMessage().contains("line 3: value 0x100000000 does not fit"));
		assertTrue(bad(head + "0x21=1\n").getMessage().contains("line 3: offset 0x21 is not 4-byte aligned"));
		assertTrue(bad(head + "0x20000=1\n").getMessage().contains("line 3: offset 0x20000 outside"));
		assertTrue(bad(head + "0x20=1=2\n").getMessage().startsWith("line 3:"));
		assertTrue(bad(head + "99999999999999999999=1\n").getMessage().startsWith("line 3: bad number"));
	}

	@Test
	void explicitFormatsAndFiles(@TempDir Path dir) throws IOException {
		assertThrows(IllegalArgumentException.class, () -> RegisterState.parseTrace(new StringReader("0x20=1\n")));
		assertEquals(Map.of(0x20, 1L), RegisterState.parseOffsetValues(new StringReader("0x20=1\n")));
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
				() -> RegisterState.parseOffsetValues(new StringReader(w(0x20, 1, 4))));
		assertTrue(e.getMessage().startsWith("line 1: expected offset=value"));

		Path gz = dir.resolve("trace.log.gz");
		try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
			out.write((w(0x80, 0x42ee_a000L, 4) + w(0x84, 0x4000_0000L, 4)).getBytes(StandardCharsets.UTF_8));
		}
		assertEquals(Map.of(0x80, 0x4000_0000_42ee_a000L), RegisterState.read(gz));
		Path txt = dir.resolve("regs.txt");
		Files.writeString(txt, "0x20=1\nfoo\n");
		e = assertThrows(IllegalArgumentException.class, () -> RegisterState.read(txt));
		assertTrue(e.getMessage().contains("regs.txt: line 2: expected offset=value"), e.getMessage());
	}

	@Test
	void sixtyFourBitRegisterSet() {
		for (int off : new int[] { 0x68, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0x8080 }) {
			assertTrue(RegisterState.is64BitRegister(off), Integer.toHexString(off));
		}
		for (int off : new int[] { 0x20, 0x84, 0x88, 0x98, 0xa8, 0x70 }) {
			assertFalse(RegisterState.is64BitRegister(off), Integer.toHexString(off));
		}
	}
}
