package smmu.accel.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IovaAllocatorTest {

	@Test
	void topDownSizeAligned() {
		IovaAllocator a = new IovaAllocator(0x1000, 1L << 32);
		assertEquals(0xffff_f000L, a.allocate(1));
		assertEquals(0xffff_c000L, a.allocate(0x3000), "3 pages aligned to 4 pages, below the first");
		assertEquals(0xffc0_0000L, a.allocate(0x20_0000), "2 MiB aligned, below the others");
		assertEquals(0xffff_b000L, a.allocate(0x1000), "first fit from the top: the hole below the 3-page range");
		assertEquals(0xffff_a000L, a.allocate(0x1000));
		assertEquals(0x20_0000L + 0x6000, a.allocatedBytes());
	}

	@Test
	void freedRangesAreReused() {
		IovaAllocator a = new IovaAllocator(0x1000, 1L << 32);
		long x = a.allocate(0x1000), y = a.allocate(0x1000);
		assertTrue(a.free(x));
		assertFalse(a.free(x), "double free");
		assertFalse(a.free(y + 0x800), "not a range start");
		assertEquals(x, a.allocate(0x1000));
	}

	@Test
	void exhaustionAndTheReservedFirstGranule() {
		IovaAllocator a = new IovaAllocator(0x1000, 0x4000);
		assertEquals(0x3000, a.allocate(0x1000));
		assertEquals(0x2000, a.allocate(0x1000));
		assertEquals(-1, a.allocate(0x2000), "0x0 is never handed out and 0x1000-0x2fff is not 8K aligned");
		assertEquals(0x1000, a.allocate(0x1000));
		assertEquals(-1, a.allocate(0x1000));
		assertThrows(IllegalArgumentException.class, () -> a.allocate(0));
		assertThrows(IllegalArgumentException.class, () -> new IovaAllocator(0x1800, 1L << 32));
	}
}
