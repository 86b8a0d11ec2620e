package smmu.hw.impl.walk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.SparseMemory;

/** Random descriptors and regimes: the walker never throws, its results are self-consistent and cached = uncached. */
class PageTableWalkerGarbageTest {
	static final long REGION = 1L << 22;

	final SparseMemory mem = new SparseMemory(36);
	final PageTableWalker walker = new PageTableWalker(mem);
	final Random rnd = new Random(0x5eed);

	long garbageDescriptor() {
		long d = rnd.nextLong();
		switch (rnd.nextInt(8)) {
		case 0:
			return d;
		case 1:
			// a valid-looking descriptor pointing back into the populated region
			return (d & ~0x0000_ffff_ffff_f000L) | (rnd.nextLong() & (REGION - 1) & ~0xfffL);
		case 2:
			// pointing just beyond the 36-bit bus
			return (d & 0xfff) | 1L << 36 | (rnd.nextLong() & 0xfff_f000L);
		default:
			return (d & ~0x0000_ffff_ffff_f000L & ~(3L << 61)) | (rnd.nextLong() & (REGION - 1) & ~0xfffL) | 0x403;
		}
	}

	int granule() {
		int[] g = { 12, 14, 16, 12, 14, 16, 13, 0, 64 };
		return g[rnd.nextInt(g.length)];
	}

	long address() {
		return rnd.nextInt(8) == 0 ? rnd.nextLong() : rnd.nextLong() & (REGION - 1);
	}

	int bits() {
		return rnd.nextInt(8) == 0 ? rnd.nextInt(140) - 70 : 30 + rnd.nextInt(24);
	}

	TableRegime tableRegime() {
		return new TableRegime(rnd.nextInt(6) != 0, address(), rnd.nextInt(8) == 0 ? rnd.nextInt() : 10 + rnd.nextInt(34), granule(),
				rnd.nextBoolean());
	}

	@Test
	void garbageNeverThrows() {
		for (long a = 0; a < REGION; a += 8) {
			mem.write64(a, garbageDescriptor());
		}
		int ok = 0, faults = 0, eabt = 0;
		int[] maxReads = new int[1];
		for (int i = 0; i < 200_000; i++) {
			S1Regime s1 = rnd.nextInt(4) == 0 ? null
					: new S1Regime(1, tableRegime(), tableRegime(), bits(), rnd.nextBoolean(), rnd.nextBoolean(), rnd.nextBoolean(),
							rnd.nextBoolean());
			S2Regime s2 = s1 != null && rnd.nextBoolean() ? null
					: new S2Regime(2, granule(), rnd.nextInt(8) == 0 ? rnd.nextInt() : 10 + rnd.nextInt(34),
							rnd.nextInt(8) == 0 ? rnd.nextInt() : rnd.nextInt(4), bits(), address(), rnd.nextBoolean(), rnd.nextBoolean());
			long iova = rnd.nextInt(3) == 0 ? rnd.nextLong() : rnd.nextLong() & 0xffff_ffffL;
			boolean write = rnd.nextBoolean();
			int[] count = new int[1];
			WalkResult r = walker.translateUncached(s1, s2, iova, write, (stage, level, addr, desc) -> {
				assertTrue(stage == 1 || stage == 2);
				assertTrue(level >= 0 && level <= 3);
				assertEquals(0, addr & 7);
				count[0]++;
			});
			assertNotNull(r);
			// the per-walk stage-2 cache changes no outcome, garbage or not
			assertEquals(walker.translate(s1, s2, iova, write, null), r);
			maxReads[0] = Math.max(maxReads[0], count[0]);
			assertTrue(count[0] <= 24, "at most 24 reads");
			if (r.ok()) {
				ok++;
				assertNull(r.fault());
				long size = r.mappingSize();
				assertEquals(1, Long.bitCount(size));
				assertTrue(size >= 4096 && size <= 1L << 42, r::toString);
				assertTrue(r.level() >= 1 && r.level() <= 3, r::toString);
				assertEquals(iova & (size - 1), r.pa() & (size - 1), r::toString);
				assertTrue(r.pa() >= 0 && r.pa() < 1L << 52, r::toString);
				assertTrue(!write || r.s1Writable() && r.s2Writable());
				assertTrue(write || r.s2Readable());
				if (s1 == null) {
					assertEquals(iova, r.ipa());
				}
			} else {
				faults++;
				assertNotNull(r.fault());
				assertTrue(r.faultClass() == Event.CLASS_IN || r.faultClass() == Event.CLASS_TT);
				if (r.fault() == EventType.F_WALK_EABT) {
					eabt++;
					assertTrue(r.record());
					assertTrue(r.fetchAddress() >= 1L << 36, r::toString);
					if (!r.s2()) {
						assertEquals(Event.CLASS_TT, r.faultClass(), "a stage-1 descriptor fetch");
					}
				} else if (r.s2()) {
					assertEquals(s2.recordFaults(), r.record());
				} else {
					assertEquals(s1.recordFaults(), r.record());
					assertEquals(Event.CLASS_IN, r.faultClass());
				}
			}
		}
		// the mix exercised both outcomes and external aborts
		assertTrue(ok > 100, "ok " + ok);
		assertTrue(faults > 100, "faults " + faults);
		assertTrue(eabt > 10, "eabt " + eabt);
		assertTrue(maxReads[0] > 10, "deep walks " + maxReads[0]);
	}
}
