package smmu.hw.impl.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConfigCacheTest {
	final ConfigCache<String> c = new ConfigCache<>(16);

	void put(int sid, int ssid) {
		assertTrue(c.put(sid, ssid, sid + "/" + ssid, c.generation()));
	}

	@Test
	void keyedBySidAndSsid() {
		put(1, -1);
		put(1, 0);
		put(1, 5);
		put(2, -1);
		assertEquals("1/-1", c.get(1, -1));
		assertEquals("1/0", c.get(1, 0));
		assertEquals("1/5", c.get(1, 5));
		assertEquals("2/-1", c.get(2, -1));
		assertNull(c.get(2, 0));
		assertNull(c.get(3, -1));
	}

	@Test
	void invalidations() {
		for (int sid : new int[] { 0, 1, 2, 3, 0x10, -1 }) {
			put(sid, -1);
			put(sid, 4);
		}
		assertEquals(2, c.invalidateSids(1, 1));
		assertNull(c.get(1, -1));
		assertNull(c.get(1, 4));
		assertEquals("0/4", c.get(0, 4));
		assertEquals(4, c.invalidateSids(2, 3));
		assertEquals(1, c.invalidate(0x10, 4, 4));
		assertEquals("16/-1", c.get(0x10, -1));
		assertEquals(2, c.invalidate(0, 0, -1) + c.invalidate(0, 4, 4));
		assertEquals(2, c.invalidateSids(0xffffffffL, 0xffffffffL));
		assertEquals(1, c.size());
		c.invalidateAll();
		assertEquals(0, c.size());
		assertEquals(12, c.invalidations());
	}

	@Test
	void fifoAndGeneration() {
		ConfigCache<String> small = new ConfigCache<>(2);
		small.put(1, -1, "a", small.generation());
		small.put(2, -1, "b", small.generation());
		small.put(3, -1, "c", small.generation());
		assertNull(small.get(1, -1));
		assertEquals("b", small.get(2, -1));
		long g = small.generation();
		// an invalidation that cannot match the fill does not refuse it; one that matches does
		small.invalidateSids(9, 9);
		assertTrue(small.put(5, -1, "e", g));
		small.invalidateSids(4, 4);
		assertFalse(small.put(4, -1, "d", g));
		assertNull(small.get(4, -1));
		ConfigCache<String> off = new ConfigCache<>(0);
		assertFalse(off.put(1, -1, "a", off.generation()));
		assertNull(off.get(1, -1));
	}
}
