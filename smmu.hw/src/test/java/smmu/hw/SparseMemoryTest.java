package smmu.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** SparseMemory's read64: the one-mask fast path (aligned, below the limit) and everything it sends on. */
class SparseMemoryTest {
	final SparseMemory mem = new SparseMemory(36);
	final long limit = 1L << 36;

	@Test
	void alignedReadsUpToTheLastWord() {
		assertEquals(0, mem.read64(0x1000), "unwritten memory reads as zero");
		mem.write64(limit - 8, 0x0102_0304_0506_0708L);
		assertEquals(0x0102_0304_0506_0708L, mem.read64(limit - 8));
		assertEquals(0x08, mem.read8(limit - 8), "little-endian");
		mem.write64(0, -1L);
		assertEquals(-1L, mem.read64(0));
	}

	@Test
	void alignedReadsBeyondTheAddressSizeAbort() {
		for (long pa : new long[] { limit, limit + 8, 1L << 52, -8, Long.MIN_VALUE }) {
			MemoryAbort e = assertThrows(MemoryAbort.class, () -> mem.read64(pa), Long.toHexString(pa));
			assertEquals(String.format("external abort: 0x%x beyond the 36-bit physical address space", pa), e.getMessage());
		}
	}

	@Test
	void unalignedReadsWithinAndAcrossFrames() {
		for (int i = 0; i < 16; i++) {
			mem.write8(0x1ffc + i, (byte) (0x10 + i));
			mem.write8(0x3000 + i, (byte) (0x20 + i));
		}
		assertEquals(0x1716_1514_1312_1110L, mem.read64(0x1ffc), "across the 4K frame boundary");
		assertEquals(0x1817_1615_1413_1211L, mem.read64(0x1ffd));
		assertEquals(0x2827_2625_2423_2221L, mem.read64(0x3001), "within one frame");
		mem.write64(limit - 16, 0x1111_2222_3333_4444L);
		assertEquals(0x1122_2233_3344_4400L, mem.read64(limit - 17));
		assertThrows(MemoryAbort.class, () -> mem.read64(limit - 7), "the last bytes cross the limit");
	}
}
