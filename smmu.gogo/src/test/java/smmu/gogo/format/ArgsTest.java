package smmu.gogo.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ArgsTest {
	@Test
	void parsesDecimalHexAndTheFull64Bits() {
		assertEquals(4096, Args.number("iova", "4096"));
		assertEquals(0x1000, Args.number("iova", "0x1000"));
		assertEquals(0x4000_0000L, Args.number("iova", "0x4000_0000"));
		assertEquals(-1L, Args.number("iova", "0xffffffffffffffff"));
		assertEquals(-1L, Args.number("iova", "18446744073709551615"));
	}

	@Test
	void namesTheArgumentAndItsRange() {
		assertEquals("iova: -5 is negative (0x0..0xffffffffffffffff)", assertThrows(ShellError.class, () -> Args.number("iova", "-5")).getMessage());
		assertEquals("iova: 0x10000000000000000 does not fit in 64 bits (0x0..0xffffffffffffffff)",
				assertThrows(ShellError.class, () -> Args.number("iova", "0x10000000000000000")).getMessage());
		assertEquals("size: 0 is out of range (0x1..0xffffffffffffffff)", assertThrows(ShellError.class, () -> Args.size("size", "0")).getMessage());
		assertEquals("sid: 'abc' is not a number (decimal or 0x-hex, 0x0..0xffffffff)",
				assertThrows(ShellError.class, () -> Args.u32("sid", "abc")).getMessage());
		assertEquals("ssid: 0x100000 is out of range (0x0..0xfffff)", assertThrows(ShellError.class, () -> Args.ssid("0x100000")).getMessage());
		assertEquals(-1, Args.ssid("-1"));
		assertEquals("length: 0x100001 is out of range (0x1..0x100000)",
				assertThrows(ShellError.class, () -> Args.range("length", "0x100001", 1, 1 << 20)).getMessage());
	}
}
