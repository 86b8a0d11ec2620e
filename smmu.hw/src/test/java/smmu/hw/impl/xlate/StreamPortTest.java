package smmu.hw.impl.xlate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static smmu.hw.impl.xlate.MicroTlbTest.MOVED;
import static smmu.hw.impl.xlate.MicroTlbTest.OUT;
import static smmu.hw.impl.xlate.MicroTlbTest.PAGES;
import static smmu.hw.impl.xlate.MicroTlbTest.page;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import smmu.hw.CacheStats;
import smmu.hw.Event;
import smmu.hw.StreamPort;
import smmu.hw.StreamStats;
import smmu.hw.TranslationResult.Path;
import smmu.hw.impl.xlate.Tables.PageTable;

/**
 * A thread's {@link StreamPort}: it answers and counts as {@code translateCached} does, never serves an
 * entry of a configuration the stream no longer has or a translation an invalidation removed, and a call
 * from a thread that does not own it takes the engine's path with exact counts.
 */
class StreamPortTest {
	static final long NOT_CACHED = TranslationEngine.NOT_CACHED;

	/** {@link MicroTlbTest}'s pages: PAGES pages of sid 1 (stage 1, VMID 4, ASID 5) mapped to OUT + offset. */
	final Fixture f = new MicroTlbTest().f;

	StreamStats sid1() {
		return f.engine.streamStats(1).get(0);
	}

	@Test
	void answersAndCountsAsTranslateCached() {
		StreamPort port = f.engine.port(1, Event.NO_SSID);
		assertSame(port, f.engine.port(1, Event.NO_SSID), "a thread's port of a stream is one port");
		assertNotSame(port, f.engine.port(1, 3));
		for (int k = 0; k < PAGES; k++) {
			assertEquals(NOT_CACHED, port.translateCached(page(k), false), "nothing cached yet");
		}
		assertEquals(0, f.engine.stats().translations(), "a miss counts nothing");
		for (int k = 0; k < PAGES; k++) {
			assertEquals(Path.WALK, f.path(1, page(k)));
		}
		for (int round = 0; round < 3; round++) {
			for (int k = PAGES - 1; k >= 0; k--) {
				assertEquals(OUT + k * 0x1000L + 8 * round, port.translateCached(page(k) + 8 * round, round == 1));
			}
		}
		StreamStats s = sid1();
		assertEquals(PAGES + 3 * PAGES, s.translations(), "the walks and every port hit");
		assertEquals(2 * PAGES, s.microTlbHits(), "rounds 1 and 2 from the port's micro-TLB");
		assertEquals(PAGES, s.mainTlbHits(), "round 0 from the main TLB");
		CacheStats u = f.engine.stats().cache("utlb");
		assertEquals(PAGES, u.entries(), "the port's live entries");
		assertEquals(3 * Counters.MICRO_ENTRIES, u.capacity(), "the thread's micro-TLB and its two ports'");
		assertEquals(NOT_CACHED, port.translateCached(page(PAGES), false), "an unmapped page");
		assertEquals(NOT_CACHED, f.engine.port(2, Event.NO_SSID).translateCached(page(0), false), "another stream");
		f.engine.setSmmuEnabled(false);
		assertEquals(NOT_CACHED, port.translateCached(page(0), false), "SMMUEN = 0: nothing is cached");
		assertEquals(NOT_CACHED, f.engine.translateCached(1, Event.NO_SSID, page(0), false));
		f.engine.setSmmuEnabled(true);
		assertEquals(OUT, port.translateCached(page(0), false));
	}

	/**
	 * The stream's CD moves to another ASID and other tables, and only CFGI_STE is issued: the main TLB
	 * keeps the old ASID's entries, which the port's micro-TLB also holds. No call may return an old
	 * address afterwards, including after the new configuration is cached and some pages walked again.
	 */
	@Test
	void neverPairsAnEntryWithALaterConfiguration() {
		StreamPort port = f.engine.port(1, Event.NO_SSID);
		for (int k = 0; k < PAGES; k++) {
			f.path(1, page(k));
			assertEquals(OUT + k * 0x1000L, port.translateCached(page(k), false));
			assertEquals(OUT + k * 0x1000L, port.translateCached(page(k), false));
		}
		PageTable moved = f.t.s1();
		for (int k = 0; k < PAGES; k++) {
			moved.map4k(page(k), OUT + MOVED + k * 0x1000L);
		}
		f.t.write(f.cdA, Tables.cd(7, moved.root));
		f.engine.invalidateSte(1);
		assertEquals(NOT_CACHED, port.translateCached(page(0), false), "the configuration left the cache");
		assertEquals(OUT + MOVED, f.pa(1, page(0))); // caches the new configuration; the old entries stay in the TLB
		assertTrue(f.engine.stats().cache("tlb").entries() > PAGES, "the old ASID's entries are still cached");
		for (int round = 0; round < 2; round++) {
			for (int k = 0; k < PAGES; k++) {
				long pa = port.translateCached(page(k), false);
				assertTrue(pa == NOT_CACHED || pa == OUT + MOVED + k * 0x1000L, String.format("page %d round %d: 0x%x", k, round, pa));
			}
		}
		for (int k = 0; k < PAGES; k += 2) {
			f.pa(1, page(k));
		}
		for (int k = 0; k < PAGES; k++) {
			assertEquals(k % 2 == 0 ? OUT + MOVED + k * 0x1000L : NOT_CACHED, port.translateCached(page(k), false));
		}
	}

	/** A TLBI by VA reaches the even pages: the port drops those and keeps serving the others from its micro-TLB. */
	@Test
	void dropsWhatAnInvalidationRemoved() {
		StreamPort port = f.engine.port(1, Event.NO_SSID);
		for (int k = 0; k < PAGES; k++) {
			f.path(1, page(k));
			port.translateCached(page(k), false);
		}
		for (int k = 0; k < PAGES; k += 2) {
			f.bump(f.s1a.leafSlot(page(k), 3));
			f.engine.invalidateVa(4, 5, page(k), 0x1000, true);
		}
		long micro = sid1().microTlbHits();
		for (int k = 0; k < PAGES; k++) {
			assertEquals(k % 2 == 0 ? NOT_CACHED : OUT + k * 0x1000L, port.translateCached(page(k), false));
		}
		assertEquals(PAGES / 2, sid1().microTlbHits() - micro, "the odd pages from the micro-TLB");
		assertEquals(OUT + MOVED, f.pa(1, page(0)));
		assertEquals(OUT + MOVED, port.translateCached(page(0), false));
	}

	/**
	 * Two threads call a port the main thread owns, at once: each call takes the engine's path, so every
	 * answer is right, no increment is lost (two threads adding to one block would lose some), and the
	 * owner's micro-TLB is left as it was.
	 */
	@Test
	void callsFromOtherThreadsTakeTheEnginesPath() throws Exception {
		StreamPort port = f.engine.port(1, Event.NO_SSID);
		for (int k = 0; k < PAGES; k++) {
			f.path(1, page(k));
			port.translateCached(page(k), false);
		}
		long before = sid1().translations();
		int calls = 300_000;
		AtomicReference<String> failure = new AtomicReference<>();
		List<Thread> threads = new ArrayList<>();
		for (int n = 0; n < 2; n++) {
			threads.add(new Thread(() -> {
				for (int i = 0; i < calls; i++) {
					int k = i % PAGES;
					long pa = port.translateCached(page(k), false);
					if (pa != OUT + k * 0x1000L) {
						failure.compareAndSet(null, String.format("page %d: 0x%x", k, pa));
					}
				}
			}));
		}
		threads.forEach(Thread::start);
		for (Thread t : threads) {
			t.join();
		}
		assertEquals(null, failure.get());
		assertEquals(before + 2L * calls, sid1().translations(), "every call counted once");
		assertEquals(3 * PAGES, f.engine.stats().cache("utlb").entries(), "the port's entries and each thread's own");
	}
}
