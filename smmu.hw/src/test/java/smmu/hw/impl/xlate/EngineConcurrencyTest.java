package smmu.hw.impl.xlate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import smmu.hw.Event;
import smmu.hw.SmmuSpec;
import smmu.hw.StreamPort;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Path;
import smmu.hw.TranslationResult.Translated;
import smmu.hw.arch.Pte;
import smmu.hw.arch.Ste;

/**
 * Threads translate while another thread repoints a page and invalidates it: once an invalidation has
 * returned, no translation that starts afterwards may return the page it replaced (neither from an entry
 * that survived nor from one a racing walk inserted late).
 */
class EngineConcurrencyTest {
	static final long STEP = 0x10_0000L;

	record Stream(int sid, long slot, long attrs, long base, Runnable invalidate) {}

	/** Readers translate with {@code translate}, or first through their own {@link StreamPort}s. */
	@ParameterizedTest
	@ValueSource(booleans = { false, true })
	void noStaleTranslationAfterInvalidationReturns(boolean viaPorts) throws Exception {
		Fixture f = new Fixture();
		List<Stream> streams = List.of(
				new Stream(1, f.s1a.leafSlot(Fixture.DATA, 3), Tables.RW1, 0x8001_0000L,
						() -> f.engine.invalidateVa(4, 5, Fixture.DATA, 0x1000, true)),
				new Stream(2, f.s2a.leafSlot(Fixture.DATA, 3), Tables.RW2, 0x8002_0000L,
						() -> f.engine.invalidateIpa(4, Fixture.DATA, 0x1000, true)),
				new Stream(3, f.s2n.leafSlot(Fixture.DATA, 3), Tables.RW2, 0x8003_0000L, () -> f.engine.invalidateStage1(4)));
		AtomicLong[] published = { new AtomicLong(), new AtomicLong(), new AtomicLong() };
		AtomicReference<String> failure = new AtomicReference<>();
		AtomicLong translations = new AtomicLong(), portHits = new AtomicLong();
		AtomicBoolean done = new AtomicBoolean();
		long until = System.nanoTime() + 300_000_000L;
		AtomicLong last = new AtomicLong();
		Thread writer = new Thread(() -> {
			for (int v = 1; (v <= 2000 || System.nanoTime() < until) && failure.get() == null; v++) {
				for (int i = 0; i < streams.size(); i++) {
					Stream s = streams.get(i);
					f.mem.write64(s.slot, Pte.encodeAddress(s.base + v * STEP, 12) | s.attrs | Pte.TYPE_PAGE);
					s.invalidate.run();
					published[i].set(v);
				}
				last.set(v);
				Thread.onSpinWait();
			}
			done.set(true);
		});
		List<Thread> readers = new ArrayList<>();
		for (int n = 0; n < 3; n++) {
			int seed = n;
			readers.add(new Thread(() -> {
				StreamPort[] ports = streams.stream().map(s -> f.engine.port(s.sid, Event.NO_SSID)).toArray(StreamPort[]::new);
				int k = seed;
				while (!done.get() && failure.get() == null) {
					int i = k++ % streams.size();
					Stream s = streams.get(i);
					long min = published[i].get();
					long pa = viaPorts ? ports[i].translateCached(Fixture.DATA + 8, false) : TranslationEngine.NOT_CACHED;
					if (pa == TranslationEngine.NOT_CACHED) {
						TranslationResult r = f.engine.translate(f.st, TranslationRequest.read(s.sid, Fixture.DATA + 8));
						if (!(r instanceof Translated t)) {
							failure.set("aborted: " + r);
							return;
						}
						pa = t.pa();
					} else {
						portHits.incrementAndGet();
					}
					translations.incrementAndGet();
					long version = (pa - 8 - s.base) / STEP;
					if (version < min) {
						failure.set("sid " + s.sid + ": version " + version + " after invalidation of " + min);
					}
				}
			}));
		}
		readers.forEach(Thread::start);
		writer.start();
		writer.join();
		for (Thread t : readers) {
			t.join();
		}
		assertEquals(null, failure.get());
		assertTrue(translations.get() > 1000, "translations: " + translations.get());
		assertTrue(!viaPorts || portHits.get() > 0, "hits through the ports: " + portHits.get());
		// after the last invalidation everything translates to the last version
		for (Stream s : streams) {
			long pa = ((Translated) f.translate(s.sid, Fixture.DATA)).pa();
			assertEquals(s.base + last.get() * STEP, pa);
		}
		assertTrue(f.engine.stats().cache("tlb").hits() > 0);
	}

	/**
	 * An invalidation that lands while a walk is in flight (after the walk read the old descriptor): the walk
	 * may return the old page, but must not leave it in the TLB.
	 */
	@Test
	void walkRacingAnInvalidationDoesNotInsert() {
		HookedMemory[] hooked = new HookedMemory[1];
		Fixture f = new Fixture(SmmuSpec.mmu700("s", 0), m -> hooked[0] = new HookedMemory(m));
		long slot = f.s1a.leafSlot(Fixture.DATA, 3);
		hooked[0].after(slot, () -> {
			f.bump(slot);
			f.engine.invalidateVa(4, 5, Fixture.DATA, 0x1000, true);
		});
		assertEquals(0x8001_0000L, f.pa(1, Fixture.DATA));
		assertEquals(new Translated(0x9001_0000L, Path.WALK), f.translate(1, Fixture.DATA));
		assertEquals(Path.TLB_HIT, f.path(1, Fixture.DATA));
	}

	/** The same for the configuration cache: an STE invalidated while it is being decoded is not cached. */
	@Test
	void decodeRacingAnInvalidationDoesNotInsert() {
		HookedMemory[] hooked = new HookedMemory[1];
		Fixture f = new Fixture(SmmuSpec.mmu700("s", 0).withCaches(0, 16), m -> hooked[0] = new HookedMemory(m));
		long ste = f.t.steAddress(f.st, 2);
		hooked[0].after(ste + 56, () -> {
			f.t.putSte(f.st, 2, Tables.ste(Ste.CFG_BYPASS));
			f.engine.invalidateSte(2);
		});
		assertEquals(0x8002_0000L, f.pa(2, Fixture.DATA));
		assertEquals(new Translated(Fixture.DATA, Path.BYPASS), f.translate(2, Fixture.DATA));
		assertEquals(1, f.engine.stats().cache("config").insertions());
	}

	/**
	 * A CFGI that returns while a walk with the configuration it removes is in flight: the walk may return its
	 * result, but must not leave it in the TLB. Here the CD of StreamID 1 is repointed at another stage-1
	 * table with the same ASID and only CFGI_CD is issued (no TLBI: nothing of the new table is cached), so
	 * the next transaction must walk the new table.
	 */
	@Test
	void walkWithAnInvalidatedConfigurationDoesNotInsert() {
		HookedMemory[] hooked = new HookedMemory[1];
		Fixture f = new Fixture(SmmuSpec.mmu700("s", 0), m -> hooked[0] = new HookedMemory(m));
		assertEquals(0x9000_0000L, f.pa(1, Fixture.BLOCK)); // the configuration is cached
		hooked[0].after(f.s1a.leafSlot(Fixture.DATA, 3), () -> {
			f.t.write(f.cdA, Tables.cd(5, f.s1b.root));
			f.engine.invalidateCd(1, Event.NO_SSID);
		});
		assertEquals(new Translated(0x8001_0000L, Path.WALK), f.translate(1, Fixture.DATA));
		assertEquals(new Translated(0x8011_0000L, Path.WALK), f.translate(1, Fixture.DATA));
		assertEquals(Path.TLB_HIT, f.path(1, Fixture.DATA));
	}

	/** A hit through {@code translateCached} or a port allocates nothing, on the main TLB and on the micro-TLBs. */
	@Test
	void cachedHitAllocatesNothing() {
		Fixture f = new Fixture();
		assertEquals(0x8001_0000L, f.pa(1, Fixture.DATA));
		assertEquals(0x9000_0000L, f.pa(1, Fixture.BLOCK));
		com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
		long id = Thread.currentThread().getId();
		StreamPort port = f.engine.port(1, Event.NO_SSID);
		long sum = 0;
		for (int round = 0; round < 3; round++) {
			long before = mx.getThreadAllocatedBytes(id);
			before = mx.getThreadAllocatedBytes(id);
			for (int i = 0; i < 200_000; i++) {
				// four accesses to a page, then four to another: main-TLB hits, then micro-TLB hits
				long iova = (i & 4) == 0 ? Fixture.DATA + (i & 0xff8) : Fixture.BLOCK + ((long) i << 3 & 0x1f_fff8);
				sum += f.engine.translateCached(1, Event.NO_SSID, iova, false) + port.translateCached(iova, false);
			}
			long after = mx.getThreadAllocatedBytes(id);
			if (round == 2) {
				// a result object per hit would be 9.6 MB; the counter reads themselves may cost a few bytes
				assertTrue(after - before < 4096, "bytes allocated by 400 000 hits: " + (after - before));
			}
		}
		assertTrue(sum > 0);
		assertEquals(TranslationEngine.NOT_CACHED, f.engine.translateCached(1, Event.NO_SSID, 0x5000, false));
		assertEquals(TranslationEngine.NOT_CACHED, f.engine.translateCached(7, Event.NO_SSID, Fixture.DATA, false));
		assertEquals(TranslationEngine.NOT_CACHED, port.translateCached(0x5000, false));
		var s = f.engine.stats();
		assertEquals(2 + 2 * 600_000, s.translations(), "a hit counts as a translation, a miss of translateCached not at all");
		assertTrue(s.cache("utlb").hits() > 0 && s.cache("utlb").hits() < 2 * 600_000, "micro-TLB hits: " + s.cache("utlb").hits());
	}
}
