package smmu.hw.impl.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import smmu.hw.arch.Cmd;

class CommandDecoderTest {

	private static long w0(int num, int scale) {
		return Cmd.TLBI_NH_VA | (long) num << 12 | (long) scale << 20;
	}

	private static long w1(int tg, int ttl) {
		return (long) tg << 10 | (long) ttl << 8;
	}

	@Test
	void rangeSpans() {
		assertEquals(1, CommandDecoder.span(w0(31, 31), w1(0, 3)), "TG = 0: one address");
		assertEquals(0, CommandDecoder.span(w0(0, 0), w1(1, 0)), "reserved");
		assertEquals(0x1000, CommandDecoder.span(w0(0, 0), w1(1, 1)), "TTL alone makes it legal");
		assertEquals(2 * 0x1000, CommandDecoder.span(w0(1, 0), w1(1, 0)));
		assertEquals(0x4000, CommandDecoder.span(w0(0, 0), w1(2, 3)));
		assertEquals(6L * 4 * 0x4000, CommandDecoder.span(w0(5, 2), w1(2, 0)));
		assertEquals(32L * 0x10000, CommandDecoder.span(w0(31, 0), w1(3, 0)));
		assertEquals(1L << (31 + 16), CommandDecoder.span(w0(0, 31), w1(3, 0)));
		assertEquals(32L << (31 + 16), CommandDecoder.span(w0(31, 31), w1(3, 0)));
	}

	@Test
	void scaleIsFiveBitsAsInTheArchitecture() {
		// bit 25 is outside SCALE [24:20]
		assertEquals(0x2000, CommandDecoder.span(w0(1, 0) | 1L << 25, w1(1, 0)));
	}
}
