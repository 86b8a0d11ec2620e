package smmu.hw.impl.xlate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import smmu.hw.CacheStats;
import smmu.hw.Event;
import smmu.hw.TranslationResult.Path;
import smmu.hw.impl.xlate.Tables.PageTable;

/**
 * The per-thread multi-entry micro-TLB: it serves many pages of one thread, an invalidation that removes
 * an entry or a configuration ends every thread's copy before it returns (and leaves the others alone),
 * and two streams that share an entry never see each other's translation.
 */
class MicroTlbTest {
	/** {@link #PAGES} pages of sid 1 (stage 1, VMID 4, ASID 5) from here, mapped to {@link #OUT} + offset. */
	static final long BASE = 0x10_0000L, OUT = 0x8100_0000L, MOVED = 0x1000_0000L;
	static final int PAGES = 16, THREADS = 3;

	final Fixture f = new Fixture();

	MicroTlbTest() {
		for (int k = 0; k < PAGES; k++) {
			f.s1a.map4k(page(k), OUT + k * 0x1000L);
		}
	}

	static long page(int k) {
		return BASE + k * 0x1000L;
	}

	long utlbHits() {
		return f.engine.stats().cache("utlb").hits();
	}

	@Test
	void servesManyPagesOfOneThread() {
		for (int k = 0; k < PAGES; k++) {
			assertEquals(Path.WALK, f.path(1, page(k)));
		}
		for (int k = 0; k < PAGES; k++) {
			assertEquals(Path.TLB_HIT, f.path(1, page(k) + 8)); // main TLB: fills the micro-TLB
		}
		assertEquals(0, utlbHits());
		for (int round = 0; round < 3; round++) {
			for (int k = PAGES - 1; k >= 0; k--) {
				assertEquals(OUT + k * 0x1000L + 16, f.pa(1, page(k) + 16));
			}
		}
		CacheStats u = f.engine.stats().cache("utlb");
		assertEquals(3 * PAGES, u.hits(), "every page from the micro-TLB after its main-TLB hit");
		assertEquals(PAGES, u.entries(), "live entries");
		assertEquals(Counters.MICRO_ENTRIES, u.capacity());
		assertEquals(3 * PAGES, f.engine.streamStats(1).get(0).microTlbHits(), "attributed to the stream");
		// translateCached is served by it too
		assertEquals(OUT + 0x1000L + 24, f.engine.translateCached(1, Event.NO_SSID, page(1) + 24, false));
		assertEquals(3 * PAGES + 1, utlbHits());
	}

	enum Invalidation {
		VA, ASID, VMID, ALL, CFGI_STE
	}

	/**
	 * Three threads fill their micro-TLBs with the pages, the main thread repoints the pages (or the
	 * configuration) and invalidates; after it returned, no thread gets an old output address, and the
	 * pages the invalidation did not reach are still served from each thread's micro-TLB.
	 */
	@ParameterizedTest
	@EnumSource(Invalidation.class)
	void noThreadServesARemovedTranslation(Invalidation kind) throws Exception {
		// TLBI by VA reaches the even pages only (one command each); the others hit every thread's micro-TLB
		boolean[] reached = new boolean[PAGES];
		for (int k = 0; k < PAGES; k++) {
			reached[k] = kind != Invalidation.VA || k % 2 == 0;
		}
		// the walks on this thread (which then holds nothing): no racing fill replaces a node a thread holds
		for (int k = 0; k < PAGES; k++) {
			assertEquals(Path.WALK, f.path(1, page(k)));
		}
		CyclicBarrier barrier = new CyclicBarrier(THREADS + 1);
		AtomicReference<String> failure = new AtomicReference<>();
		List<Thread> threads = new ArrayList<>();
		for (int n = 0; n < THREADS; n++) {
			threads.add(new Thread(() -> {
				try {
					for (int round = 0; round < 3; round++) { // a main-TLB hit, then micro-TLB hits
						for (int k = 0; k < PAGES; k++) {
							check(f.pa(1, page(k)), OUT + k * 0x1000L, failure);
						}
					}
					barrier.await();
					barrier.await(); // the main thread repointed and invalidated meanwhile
					for (int k = 0; k < PAGES; k++) {
						check(f.pa(1, page(k)), OUT + k * 0x1000L + (reached[k] ? MOVED : 0), failure);
					}
				} catch (Exception | AssertionError e) {
					failure.compareAndSet(null, e.toString());
				}
			}));
		}
		threads.forEach(Thread::start);
		barrier.await();
		long hits = utlbHits();
		assertEquals(2 * THREADS * PAGES, hits);
		assertEquals(THREADS * PAGES, f.engine.stats().cache("utlb").entries(), "each thread holds every page");
		if (kind == Invalidation.CFGI_STE) {
			// another ASID and tables: the main TLB keeps the old entries, only the configuration's death ends them
			PageTable moved = f.t.s1();
			for (int k = 0; k < PAGES; k++) {
				moved.map4k(page(k), OUT + MOVED + k * 0x1000L);
			}
			f.t.write(f.cdA, Tables.cd(7, moved.root));
		} else {
			for (int k = 0; k < PAGES; k++) {
				if (reached[k]) {
					f.bump(f.s1a.leafSlot(page(k), 3));
				}
			}
		}
		switch (kind) {
			case VA -> {
				for (int k = 0; k < PAGES; k += 2) {
					f.engine.invalidateVa(4, 5, page(k), 0x1000, true);
				}
			}
			case ASID -> f.engine.invalidateAsid(4, 5);
			case VMID -> f.engine.invalidateVmid(4);
			case ALL -> f.engine.invalidateAll();
			case CFGI_STE -> f.engine.invalidateSte(1);
		}
		int unreached = kind == Invalidation.VA ? PAGES / 2 : 0;
		assertEquals(THREADS * unreached, f.engine.stats().cache("utlb").entries(), "live entries after the invalidation");
		barrier.await();
		for (Thread t : threads) {
			t.join();
		}
		assertEquals(null, failure.get());
		assertEquals(THREADS * unreached, utlbHits() - hits, "the pages it did not reach, from each thread's micro-TLB");
	}

	private static void check(long pa, long expected, AtomicReference<String> failure) {
		if (pa != expected) {
			failure.compareAndSet(null, String.format("%s: 0x%x, expected 0x%x", Thread.currentThread().getName(), pa, expected));
		}
	}

	/**
	 * sid 1's 2M block entry and a 4K page of sid 11 (another ASID) inside the same input range share one
	 * micro-TLB entry: the entry covers both addresses, so only the stream's key keeps them apart.
	 */
	@Test
	void collidingStreamsKeepTheirOwnTranslations() {
		int slot = Counters.microIndex(1, Event.NO_SSID, Fixture.BLOCK);
		long other = -1;
		for (int k = 0; k < 512 && other < 0; k++) {
			if (Counters.microIndex(11, Event.NO_SSID, Fixture.BLOCK + k * 0x1000L) == slot) {
				other = Fixture.BLOCK + k * 0x1000L;
			}
		}
		assertTrue(other >= 0);
		f.s1b.map4k(other, 0x8200_0000L);
		assertEquals(Path.WALK, f.path(1, Fixture.BLOCK));
		assertEquals(Path.TLB_HIT, f.path(1, Fixture.BLOCK)); // fills the shared entry with sid 1's block
		assertEquals(0x9000_0000L, f.pa(1, Fixture.BLOCK));
		assertEquals(1, utlbHits());
		for (int round = 0; round < 4; round++) {
			// sid 11 takes the entry from sid 1 and back: each finds the other's key and goes to the main TLB
			assertEquals(0x8200_0000L + 8, f.pa(11, other + 8));
			assertEquals(0x9000_0000L + (other - Fixture.BLOCK) + 8, f.pa(1, other + 8));
			assertNotEquals(slot, Counters.microIndex(1, Event.NO_SSID, other + 8), "sid 1 at this page: another entry");
			assertEquals(0x9000_0000L + 8, f.pa(1, Fixture.BLOCK + 8));
		}
		var a = f.engine.streamStats(1, 11);
		assertEquals(0, a.get(1).microTlbHits(), "sid 11 never hit sid 1's entry");
		assertEquals(3, a.get(1).mainTlbHits(), "rounds 1-3 (round 0 walked)");
	}
}
