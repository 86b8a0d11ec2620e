package smmu.hw.impl.walk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static smmu.hw.impl.walk.Tables.block;
import static smmu.hw.impl.walk.Tables.page;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import smmu.hw.EventType;
import smmu.hw.SparseMemory;
import smmu.hw.arch.Pte;

/**
 * The per-walk stage-2 walk cache of {@link PageTableWalker#translate} against the uncached walk over
 * randomized nested tables: stage-2 pages, 2M and 1G blocks, holes, missing permissions and access flags,
 * stage-1 pages and blocks, and garbage descriptors at both stages. Every result (output, attributes,
 * fault type, stage, class, IPA, fetch address) is equal, and the cached walk's reads are a subsequence of
 * the uncached walk's.
 */
class PageTableWalkerCacheTest {
	static final long GUEST_OFFSET = 0x10_0000_0000L;
	/** Guest RAM in IPA space: 64 MiB of 2M chunks, each mapped by a block, by pages, or not at all. */
	static final long RAM = 0x4000_0000L, RAM_SIZE = 64L << 20;
	/** A 1G stage-2 block at this IPA. */
	static final long GIGA = 0x1_0000_0000L;

	final Random rnd = new Random(0xcac4e);

	long s2Attrs() {
		return switch (rnd.nextInt(48)) {
			case 0 -> Pte.S2_HAP_READ | Pte.S2_HAP_WRITE;
			case 1 -> Pte.AF | Pte.S2_HAP_READ;
			case 2 -> Pte.AF | Pte.S2_HAP_WRITE;
			default -> Tables.S2_RW;
		};
	}

	long s1Attrs() {
		return switch (rnd.nextInt(12)) {
			case 0 -> 0;
			case 1, 2 -> Pte.AF | Pte.S1_AP_RDONLY;
			default -> Pte.AF;
		};
	}

	long garbage(long near) {
		long d = rnd.nextLong();
		return switch (rnd.nextInt(4)) {
			case 0 -> d;
			case 1 -> (d & ~0x0000_ffff_ffff_f000L) | (near & ~0xfffL);
			case 2 -> (d & 0xfff) | 1L << 42 | 3; // beyond the 41-bit bus, within the 44-bit PA size
			default -> d & ~1L;
		};
	}

	final Map<EventType, Integer> faults = new EnumMap<>(EventType.class);
	int ok, fewer;

	@Test
	void cachedAndUncachedWalksAgree() {
		for (int trial = 0; trial < 60; trial++) {
			SparseMemory mem = new SparseMemory(41);
			Tables host = new Tables(mem, 0x100_0000L);
			long vttb = host.alloc(4096);
			List<Long> s2Tables = new ArrayList<>();
			for (long chunk = RAM; chunk < RAM + RAM_SIZE; chunk += 1L << 21) {
				int kind = rnd.nextInt(8);
				if (kind == 0) {
					continue;
				}
				if (kind <= 3) {
					long[] used = host.map(vttb, 12, 0, chunk, 2, block(chunk + GUEST_OFFSET, 12, s2Attrs()));
					s2Tables.add(used[2]);
					continue;
				}
				for (long p = chunk; p < chunk + (1L << 21); p += 4096) {
					if (rnd.nextInt(64) != 0) {
						long[] used = host.map(vttb, 12, 0, p, 3, page(p + GUEST_OFFSET, 12, rnd.nextInt(8) == 0 ? s2Attrs() : Tables.S2_RW));
						s2Tables.add(used[3]);
					}
				}
			}
			host.map(vttb, 12, 0, GIGA, 1, block(GIGA + GUEST_OFFSET, 12, s2Attrs()));
			// stage-1 tables in guest RAM (their IPAs), leaves to RAM, the 1G block, or unmapped IPAs
			Tables guest = new Tables(mem, RAM + rnd.nextInt(16) * (1L << 21), rnd.nextBoolean() ? 0 : 1L << 16);
			long ttb = guest.alloc(4096);
			List<Long> s1Tables = new ArrayList<>();
			List<Long> vas = new ArrayList<>();
			for (int m = 0; m < 40; m++) {
				long va = rnd.nextLong() & 0xffff_ffff_f000L;
				int leafLevel = 1 + rnd.nextInt(3);
				long shift = Tables.shift(12, leafLevel);
				long out = switch (rnd.nextInt(4)) {
					case 0 -> GIGA + (rnd.nextLong() & ((1L << 30) - 1));
					case 1 -> 0x7_0000_0000L + (rnd.nextLong() & ((1L << 30) - 1));
					default -> RAM + (rnd.nextLong() & (RAM_SIZE - 1));
				};
				out &= -1L << shift;
				long desc = leafLevel == 3 ? page(out, 12, s1Attrs()) : block(out, 12, s1Attrs());
				// a later mapping may replace an earlier leaf by a table, and tables may land outside mapped RAM
				for (long u : guest.map(ttb, 12, 0, va, leafLevel, desc, ipa -> ipa + GUEST_OFFSET)) {
					s1Tables.add(u);
				}
				vas.add(va | (rnd.nextLong() & ((1L << shift) - 1) & ~7L));
			}
			for (int i = 0; i < 4; i++) {
				long at = s2Tables.get(rnd.nextInt(s2Tables.size()));
				mem.write64(at, garbage(at));
			}
			long s1Garbage = s1Tables.get(rnd.nextInt(s1Tables.size()));
			mem.write64(s1Garbage + GUEST_OFFSET, garbage(RAM + (rnd.nextLong() & (RAM_SIZE - 1))));
			S2Regime s2 = new S2Regime(5, 12, 16, 2, 44, vttb, rnd.nextInt(8) == 0, rnd.nextBoolean());
			S1Regime s1 = new S1Regime(3, new TableRegime(true, ttb, 16, 12, rnd.nextBoolean()), null, 48, false, false,
					rnd.nextInt(8) == 0, rnd.nextBoolean());
			PageTableWalker walker = new PageTableWalker(mem);
			for (int w = 0; w < 100; w++) {
				long va = w % 5 == 4 ? rnd.nextLong() & 0xffff_ffff_fff8L : vas.get(rnd.nextInt(vas.size()));
				boolean write = rnd.nextBoolean();
				Tables.Reads all = compare(walker, s1, s2, va, write);
				if (all.count() > 0 && rnd.nextInt(3) == 0) {
					// garbage on the path just walked, the same walk again, then the descriptor back
					long at = all.reads.get(rnd.nextInt(all.count()))[2], saved = mem.read64(at);
					mem.write64(at, garbage(at));
					compare(walker, s1, s2, va, write);
					mem.write64(at, saved);
				}
			}
		}
		// the mix reached every outcome, and the cache saved reads
		assertTrue(ok > 500, "ok " + ok);
		for (EventType t : List.of(EventType.F_TRANSLATION, EventType.F_ACCESS, EventType.F_PERMISSION, EventType.F_ADDR_SIZE,
				EventType.F_WALK_EABT)) {
			assertTrue(faults.getOrDefault(t, 0) > 5, () -> t + " " + faults);
		}
		assertTrue(fewer > 1000, "fewer " + fewer);
	}

	private Tables.Reads compare(PageTableWalker walker, S1Regime s1, S2Regime s2, long va, boolean write) {
		Tables.Reads all = new Tables.Reads(), cached = new Tables.Reads();
		WalkResult u = walker.translateUncached(s1, s2, va, write, all);
		WalkResult c = walker.translate(s1, s2, va, write, cached);
		assertEquals(u, c, () -> String.format("va 0x%x write %s: %s", va, write, all.shape()));
		PageTableWalkerNestedTest.assertSubsequence(all, cached);
		assertTrue(cached.count() <= all.count());
		if (c.ok()) {
			ok++;
		} else {
			faults.merge(c.fault(), 1, Integer::sum);
		}
		if (cached.count() < all.count()) {
			fewer++;
		}
		return all;
	}
}
