package smmu.hw.impl.xlate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import smmu.hw.CacheStats;
import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.SmmuSpec;
import smmu.hw.SmmuStats;
import smmu.hw.TableEntry;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Path;
import smmu.hw.TranslationResult.Translated;
import smmu.hw.Walk;
import smmu.hw.WalkStep;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Pte;
import smmu.hw.arch.Ste;

class SmmuTranslationEngineTest {
	static final SmmuSpec SPEC = SmmuSpec.mmu700("smmu0", 0x0900_0000L);

	final Fixture f = new Fixture();

	// ---- end to end

	@Test
	void stage1EndToEndWithTlbHit() {
		assertEquals(new Translated(0x8001_0234L, Path.WALK), f.translate(1, 0x1234));
		assertEquals(new Translated(0x8001_0ff8L, Path.TLB_HIT), f.translate(1, 0x1ff8));
		assertEquals(new Translated(0x901f_fff0L, Path.WALK), f.translate(1, 0x401f_fff0L));
		assertEquals(new Translated(0x9000_0010L, Path.TLB_HIT), f.translate(1, 0x4000_0010L));
		SmmuStats s = f.engine.stats();
		assertEquals(4, s.translations());
		assertEquals(new CacheStats("tlb", 4, 2, 2, 2, 0, 2, 1024), s.cache("tlb"));
		assertEquals(new CacheStats("config", 4, 3, 1, 1, 0, 1, 256), s.cache("config"));
		assertEquals(1, s.steFetches());
		assertEquals(1, s.cdFetches());
		assertEquals(0, s.steL1Fetches());
		// walk 1: levels 1, 2, 3; walk 2: levels 1, 2 (block)
		assertArrayEquals(new long[] { 0, 2, 2, 1 }, s.tableReads()[0]);
		assertArrayEquals(new long[] { 0, 0, 0, 0 }, s.tableReads()[1]);
		assertEquals(Map.of(), s.faults());
		assertTrue(f.events.isEmpty());
	}

	@Test
	void stage2OnlyEndToEnd() {
		assertEquals(new Translated(0x8002_0abcL, Path.WALK), f.translate(2, 0x1abc));
		assertEquals(new Translated(0x8002_0004L, Path.TLB_HIT), f.translate(2, 0x1004));
		SmmuStats s = f.engine.stats();
		assertArrayEquals(new long[] { 0, 1, 1, 1 }, s.tableReads()[1]);
		assertEquals(0, s.cdFetches());
	}

	@Test
	void nestedEndToEnd() {
		assertEquals(new Translated(0x8003_0123L, Path.WALK), f.translate(3, 0x1123));
		assertEquals(new Translated(0x8003_0fffL, Path.TLB_HIT), f.translate(3, 0x1fff));
		SmmuStats s = f.engine.stats();
		assertArrayEquals(new long[] { 0, 1, 1, 1 }, s.tableReads()[0]);
		// CD: 1 (block); the three stage-1 descriptors: 1 (the level-1 block), then 0 each: the walk's stage-2
		// walk cache holds that block for the other two; output IPA (another 1G range): 3. Uncached: 1 + 3 + 3 = 7.
		// The counters count the reads really made.
		assertArrayEquals(new long[] { 0, 3, 1, 1 }, s.tableReads()[1]);
		assertEquals(5, s.tableReads(2));
		assertEquals(1, s.cdFetches());
	}

	@Test
	void tracedWalkNested() {
		Walk w = f.engine.walk(f.st, TranslationRequest.read(3, 0x1010));
		assertEquals(new Translated(0x8003_0010L, Path.WALK), w.result());
		List<String> steps = w.steps().stream().map(s -> s.what() + s.level() + ":" + s.note()).toList();
		assertEquals(List.of("STE-1:nested", "S21:block", "CD-1:asid 5", "S21:block", "S11:table", "S21:block", "S12:table",
				"S21:block", "S13:page", "S21:table", "S22:table", "S23:page"), steps);
		WalkStep cd = w.steps().get(2);
		assertEquals(f.cdN, cd.address());
		assertEquals(f.t.steAddress(f.st, 3), w.steps().get(0).address());
		// no caches, statistics or events
		SmmuStats s = f.engine.stats();
		assertEquals(0, s.translations());
		assertEquals(0, s.cache("config").insertions());
		assertEquals(0, s.tableReads(1) + s.tableReads(2));
		assertEquals(Path.WALK, f.path(3, 0x1010));
	}

	@Test
	void tracedWalkStage1AndFaults() {
		Walk w = f.engine.walk(f.st, TranslationRequest.write(1, 0x401f_fff0L));
		assertEquals(List.of("STE", "CD", "S1", "S1"), w.steps().stream().map(WalkStep::what).toList());
		assertEquals("block", w.steps().get(3).note());
		assertEquals(2, w.steps().get(3).level());
		Walk bad = f.engine.walk(f.st, TranslationRequest.read(1, 0x2000));
		assertEquals(new Event(EventType.F_TRANSLATION, 1, Event.NO_SSID, 0x2000, 0, false, Event.CLASS_IN, true),
				Fixture.event(bad.result()));
		assertEquals("invalid", bad.steps().get(bad.steps().size() - 1).note());
		Walk nost = f.engine.walk(f.st, TranslationRequest.read(300, 0));
		assertEquals(Event.config(EventType.C_BAD_STREAMID, 300, Event.NO_SSID, 0, 0), Fixture.event(nost.result()));
		assertTrue(nost.steps().isEmpty());
		assertTrue(f.events.isEmpty());
	}

	@Test
	void readSteAndCd() {
		TableEntry ste = f.engine.readSte(f.st, 3);
		assertEquals(f.t.steAddress(f.st, 3), ste.address());
		assertEquals(Ste.CFG_NESTED, Ste.CONFIG.get(ste.words()));
		TableEntry cd = f.engine.readCd(f.st, 3, Event.NO_SSID);
		assertEquals(f.cdN, cd.address()); // the PA: found through stage 2
		assertEquals(5, Cd.ASID.get(cd.words()));
		assertEquals(EventType.C_BAD_STREAMID, f.engine.readSte(f.st, 256).error().type());
		assertEquals(EventType.C_BAD_SUBSTREAMID, f.engine.readCd(f.st, 1, 1).error().type());
		assertTrue(f.events.isEmpty());
		assertEquals(0, f.engine.stats().steFetches());
	}

	// ---- faults and events

	@Test
	void configErrorsAreRecorded() {
		TranslationResult r = f.translate(200, 0x1000);
		Event e = Event.config(EventType.C_BAD_STE, 200, Event.NO_SSID, 0, 0);
		assertEquals(e, Fixture.event(r));
		TranslationResult r2 = f.engine.translate(f.st, new TranslationRequest(1, 3, 0x1000, true));
		Event e2 = Event.config(EventType.C_BAD_SUBSTREAMID, 1, 3, 0, 0);
		assertEquals(e2, Fixture.event(r2));
		assertEquals(List.of(e, e2), f.events);
		assertEquals(Map.of("C_BAD_STE", 1L, "C_BAD_SUBSTREAMID", 1L), f.engine.stats().faults());
		assertEquals(0, f.engine.stats().cache("config").insertions()); // errors are not cached
	}

	@Test
	void configAbortAndStreamDisabled() {
		f.t.putSte(f.st, 20, Tables.ste(Ste.CFG_ABORT));
		TranslationResult r = f.translate(20, 0x1000);
		assertEquals(new Aborted(null, "STE.Config = abort"), r);
		long[] ste = Tables.steS1(f.cdA, 0, 2, Ste.S1DSS_TERMINATE);
		f.t.putSte(f.st, 21, ste);
		Event e = Event.config(EventType.F_STREAM_DISABLED, 21, Event.NO_SSID, 0, 0);
		assertEquals(e, Fixture.event(f.translate(21, 0x1000)));
		assertEquals(e, Fixture.event(f.translate(21, 0x1000))); // from the config cache, recorded again
		assertEquals(List.of(e, e), f.events);
		Ste.S1DSS.set(ste, Ste.S1DSS_BYPASS);
		f.t.putSte(f.st, 22, ste);
		assertEquals(new Translated(0x1234, Path.BYPASS), f.translate(22, 0x1234));
		f.t.putSte(f.st, 23, Tables.ste(Ste.CFG_BYPASS));
		assertEquals(new Translated(0xdead_0000L, Path.BYPASS), f.engine.translate(f.st, new TranslationRequest(23, 9, 0xdead_0000L, true)));
		assertEquals(Map.of("ABORT", 1L, "F_STREAM_DISABLED", 2L), f.engine.stats().faults());
	}

	@Test
	void nestedS1dssBypassIsStage2Only() {
		long[] ste = Tables.steNested(f.cdN + Fixture.IPA_OFFSET, 0, 1, Ste.S1DSS_BYPASS, 4, f.s2n.root);
		f.t.putSte(f.st, 30, ste);
		assertEquals(new Translated(0x8003_0042L, Path.WALK), f.translate(30, 0x1042));
		assertEquals(0, f.engine.stats().cdFetches());
	}

	@Test
	void walkFaultRecordedPerCdR() {
		Event e = new Event(EventType.F_TRANSLATION, 1, Event.NO_SSID, 0x7000, 0, false, Event.CLASS_IN, true);
		assertEquals(e, Fixture.event(f.translate(1, 0x7000)));
		assertEquals(List.of(e), f.events);
		long[] cd = Tables.cd(5, f.s1a.root);
		Cd.R.set(cd, 0);
		f.t.write(f.cdA, cd);
		f.engine.invalidateCd(1, 0);
		assertEquals(e, Fixture.event(f.translate(1, 0x7000))); // returned, not recorded
		assertEquals(1, f.events.size());
		assertEquals(Map.of("F_TRANSLATION", 2L), f.engine.stats().faults());
	}

	@Test
	void stage2FaultsOfNestedStream() {
		// output IPA unmapped at stage 2
		f.s1n.map4k(0x9000, 0x5000_0000L);
		Event e = new Event(EventType.F_TRANSLATION, 3, Event.NO_SSID, 0x9010, 0x5000_0010L, true, Event.CLASS_IN, false);
		TranslationResult r = f.engine.translate(f.st, TranslationRequest.write(3, 0x9010));
		assertEquals(e, Fixture.event(r));
		assertEquals(List.of(e), f.events);
		// S2R = 0: not recorded
		long[] ste = Tables.steNested(f.cdN + Fixture.IPA_OFFSET, 0, 0, 0, 4, f.s2n.root);
		Ste.S2R.set(ste, 0);
		f.t.putSte(f.st, 31, ste);
		assertEquals(EventType.F_TRANSLATION, Fixture.event(f.translate(31, 0x9010)).type());
		assertEquals(1, f.events.size());
	}

	@Test
	void cdFetchThroughStage2Faults() {
		long cdIpa = 0x7000_0000L; // not mapped by stage 2
		long[] ste = Tables.steNested(cdIpa, 0, 0, 0, 4, f.s2n.root);
		f.t.putSte(f.st, 32, ste);
		Event e = new Event(EventType.F_TRANSLATION, 32, Event.NO_SSID, 0x1000, cdIpa, true, Event.CLASS_CD, true);
		assertEquals(e, Fixture.event(f.translate(32, 0x1000)));
		assertEquals(List.of(e), f.events);
		Ste.S2R.set(ste, 0);
		f.t.putSte(f.st, 33, ste);
		assertEquals(EventType.F_TRANSLATION, Fixture.event(f.translate(33, 0x1000)).type());
		assertEquals(1, f.events.size());
		assertEquals(EventType.F_TRANSLATION, f.engine.readCd(f.st, 33, Event.NO_SSID).error().type());
	}

	@Test
	void stage2OnlyInputBeyondIas() {
		Event e = new Event(EventType.F_ADDR_SIZE, 2, Event.NO_SSID, 1L << 48, 0, false, Event.CLASS_IN, true);
		assertEquals(e, Fixture.event(f.translate(2, 1L << 48)));
		assertEquals(List.of(e), f.events);
	}

	@Test
	void permissionFaultOnTlbHitRewalks() {
		f.s1a.map(0x3000, 0x8005_0000L, 3, Tables.RO1);
		assertEquals(Path.WALK, f.path(1, 0x3000));
		assertEquals(Path.TLB_HIT, f.path(1, 0x3008));
		TranslationResult w = f.engine.translate(f.st, TranslationRequest.write(1, 0x3010));
		assertEquals(new Event(EventType.F_PERMISSION, 1, Event.NO_SSID, 0x3010, 0, false, Event.CLASS_IN, false), Fixture.event(w));
		assertEquals(Path.TLB_HIT, f.path(1, 0x3018));
		CacheStats tlb = f.engine.stats().cache("tlb");
		assertEquals(2, tlb.hits());
		assertEquals(2, tlb.misses());
		assertEquals(1, tlb.insertions());
		// stage-2 write permission: read-only stage-2 page
		f.s2a.map(0x6000, 0x8006_0000L, 3, Tables.RO2);
		assertEquals(Path.WALK, f.path(2, 0x6000));
		Event e = Fixture.event(f.engine.translate(f.st, TranslationRequest.write(2, 0x6000)));
		assertEquals(new Event(EventType.F_PERMISSION, 2, Event.NO_SSID, 0x6000, 0x6000, true, Event.CLASS_IN, false), e);
	}

	// ---- TLB invalidation reach

	void assertReach(Consumer<SmmuTranslationEngine> invalidation, String expected) {
		Fixture x = new Fixture();
		x.warm();
		x.remap();
		invalidation.accept(x.engine);
		CacheStats before = x.engine.stats().cache("tlb");
		assertEquals(expected, x.state());
		CacheStats after = x.engine.stats().cache("tlb");
		long kept = expected.chars().filter(c -> c == 'o').count();
		assertEquals(kept, after.hits() - before.hits());
		assertEquals(expected.length() - kept, after.misses() - before.misses());
	}

	@Test
	void tlbInvalidationReach() {
		// probes: sid1 page (vm4 as5), sid1 2M block, sid11 (vm4 as6), sid12 (vm8 as5), sid2 (S2 vm4), sid4 (S2 vm8), sid3 (nested vm4 as5)
		assertReach(e -> {}, "ooooooo");
		assertReach(SmmuTranslationEngine::invalidateAll, "nnnnnnn");
		assertReach(e -> e.invalidateVmid(4), "nnnonon");
		assertReach(e -> e.invalidateVmid(8), "ooonono");
		assertReach(e -> e.invalidateStage1(4), "nnnooon");
		assertReach(e -> e.invalidateStage1(8), "ooonooo");
		assertReach(e -> e.invalidateAsid(4, 5), "nnoooon");
		assertReach(e -> e.invalidateAsid(4, 6), "oonoooo");
		assertReach(e -> e.invalidateVa(4, 5, 0x1000, 0x1000, true), "nooooon");
		assertReach(e -> e.invalidateVa(4, TranslationEngine.ANY_ASID, 0x1000, 0x1000, false), "nonooon");
		assertReach(e -> e.invalidateVa(4, 5, 0x401f_f000L, 0x1000, true), "onooooo");
		assertReach(e -> e.invalidateVa(4, 5, 0x3fff_f000L, 0x1000, true), "ooooooo");
		assertReach(e -> e.invalidateVa(4, 5, 0x2000, 0x1000, true), "ooooooo");
		assertReach(e -> e.invalidateIpa(4, 0x1000, 0x1000, true), "oooonoo");
		assertReach(e -> e.invalidateIpa(8, 0, 0x10000, false), "ooooono");
		// configuration invalidations leave the TLB alone
		assertReach(e -> e.invalidateSteRange(0, 31), "ooooooo");
	}

	@Test
	void entriesStayCachedUntilInvalidated() {
		f.warm();
		f.remap();
		SmmuStats before = f.engine.stats();
		assertEquals("ooooooo", f.state());
		SmmuStats after = f.engine.stats();
		assertEquals(before.tableReads(1) + before.tableReads(2), after.tableReads(1) + after.tableReads(2));
		assertEquals(before.cache("tlb").hits() + 7, after.cache("tlb").hits());
		f.engine.invalidateAsid(4, 5);
		assertEquals("nnoooon", f.state());
		assertEquals(3, f.engine.stats().cache("tlb").invalidations());
	}

	// ---- configuration cache

	@Test
	void configCacheUsesTheCachedSteUntilInvalidated() {
		Fixture x = new Fixture(SPEC.withCaches(0, 256));
		assertEquals(0x8001_0000L, x.pa(1, 0x1000));
		x.t.putSte(x.st, 1, Tables.ste(Ste.CFG_BYPASS));
		x.t.putSte(x.st, 2, Tables.ste(Ste.CFG_BYPASS));
		assertEquals(0x1000, x.pa(2, 0x1000)); // first use of sid 2: reads the new STE
		x.t.putSte(x.st, 2, Tables.steS2(4, x.s2a.root));
		assertEquals(0x8001_0000L, x.pa(1, 0x1000));
		assertEquals(0x1000, x.pa(2, 0x1000));
		x.engine.invalidateCd(1, 0); // CFGI_CD drops the (STE, CD) entry of (1, no SSID) as well
		assertEquals(0x1000, x.pa(1, 0x1000));
		x.t.putSte(x.st, 1, Tables.ste(Ste.CFG_ABORT));
		assertEquals(0x1000, x.pa(1, 0x1000));
		x.engine.invalidateSte(2);
		assertEquals(0x8002_0000L, x.pa(2, 0x1000));
		assertEquals(0x1000, x.pa(1, 0x1000));
		x.engine.invalidateSte(1);
		assertFalse(x.translate(1, 0x1000).ok());
	}

	@Test
	void configCacheInvalidationReach() {
		Fixture x = new Fixture(SPEC.withCaches(0, 256));
		int[] sids = { 1, 2, 3, 4, 11, 12 };
		record Case(Consumer<SmmuTranslationEngine> inval, String expected) {}
		List<Case> cases = List.of(new Case(e -> e.invalidateSte(3), "oonooo"), new Case(e -> e.invalidateSteRange(2, 1), "nnnooo"),
				new Case(e -> e.invalidateSteRange(8, 2), "oooonn"), new Case(e -> e.invalidateSteRange(0, 31), "nnnnnn"),
				new Case(e -> e.invalidateCdAll(11), "oooono"), new Case(e -> e.invalidateCd(12, 0), "ooooon"),
				new Case(e -> e.invalidateCd(12, 1), "oooooo"));
		for (Case c : cases) {
			x.engine.invalidateSteRange(0, 31);
			for (int sid : sids) {
				assertTrue(x.translate(sid, 0x1000).ok());
			}
			for (int sid : sids) {
				x.t.putSte(x.st, sid, Tables.ste(Ste.CFG_BYPASS));
			}
			c.inval.accept(x.engine);
			StringBuilder b = new StringBuilder();
			for (int sid : sids) {
				b.append(x.pa(sid, 0x1000) == 0x1000 ? 'n' : 'o');
			}
			assertEquals(c.expected, b.toString(), "after " + c);
			x = new Fixture(SPEC.withCaches(0, 256));
		}
	}

	@Test
	void cdInvalidationBySubstream() {
		Fixture x = new Fixture(SPEC.withCaches(0, 256));
		long cds = x.t.alloc(64 * 4, 64);
		for (int i = 0; i < 4; i++) {
			x.t.write(cds + 64L * i, Tables.cd(10 + i, x.s1a.root));
		}
		x.t.putSte(x.st, 40, Tables.steS1(cds, 0, 2, Ste.S1DSS_SSID0));
		TranslationRequest none = TranslationRequest.read(40, 0x1000);
		TranslationRequest ssid2 = new TranslationRequest(40, 2, 0x1000, false);
		TranslationRequest ssid3 = new TranslationRequest(40, 3, 0x1000, false);
		for (TranslationRequest r : List.of(none, ssid2, ssid3)) {
			assertTrue(x.engine.translate(x.st, r).ok());
		}
		long[] broken = Tables.cd(0, 0);
		Cd.V.set(broken, 0);
		for (int i = 0; i < 4; i++) {
			x.t.write(cds + 64L * i, broken);
		}
		x.engine.invalidateCd(40, 2);
		assertTrue(x.engine.translate(x.st, none).ok());
		assertEquals(Event.config(EventType.C_BAD_CD, 40, 2, 0, 0), Fixture.event(x.engine.translate(x.st, ssid2)));
		assertTrue(x.engine.translate(x.st, ssid3).ok());
		x.engine.invalidateCd(40, 0);
		assertEquals(EventType.C_BAD_CD, Fixture.event(x.engine.translate(x.st, none)).type());
		assertTrue(x.engine.translate(x.st, ssid3).ok());
		x.engine.invalidateCdAll(40);
		assertFalse(x.engine.translate(x.st, ssid3).ok());
	}

	// ---- capacities

	@Test
	void capacityZeroDisablesBothCaches() {
		Fixture x = new Fixture(SPEC.withCaches(0, 0));
		for (int i = 0; i < 3; i++) {
			assertEquals(Path.WALK, x.path(1, 0x1000));
		}
		SmmuStats s = x.engine.stats();
		assertEquals(new CacheStats("tlb", 0, 0, 0, 0, 0, 0, 0), s.cache("tlb"));
		assertEquals(new CacheStats("config", 0, 0, 0, 0, 0, 0, 0), s.cache("config"));
		assertEquals(3, s.steFetches());
		assertEquals(3, s.cdFetches());
		assertEquals(9, s.tableReads(1));
	}

	@Test
	void evictionWhenFull() {
		Fixture x = new Fixture(SPEC.withCaches(2, 2));
		x.s1a.map4k(0x2000, 0x8100_0000L);
		x.s1a.map4k(0x3000, 0x8200_0000L);
		assertEquals(Path.WALK, x.path(1, 0x1000));
		assertEquals(Path.WALK, x.path(1, 0x2000));
		assertEquals(Path.WALK, x.path(1, 0x3000)); // evicts 0x1000, the oldest
		assertEquals(Path.TLB_HIT, x.path(1, 0x2000));
		assertEquals(Path.TLB_HIT, x.path(1, 0x3000));
		assertEquals(Path.WALK, x.path(1, 0x1000));
		CacheStats tlb = x.engine.stats().cache("tlb");
		assertEquals(4, tlb.insertions());
		assertEquals(2, tlb.entries());
		assertEquals(2, tlb.capacity());
		// config cache: sids 1, 2, then 11 evicts sid 1
		x.path(2, 0x1000);
		x.path(11, 0x1000);
		long steFetches = x.engine.stats().steFetches();
		x.path(2, 0x1000);
		x.path(11, 0x1000);
		assertEquals(steFetches, x.engine.stats().steFetches());
		x.path(1, 0x1000);
		assertEquals(steFetches + 1, x.engine.stats().steFetches());
		assertEquals(2, x.engine.stats().cache("config").entries());
	}

	/**
	 * One TLB per TBU (a StreamID's low four bits): a stream finds the entries of its TBU's streams with the
	 * same tags, never another TBU's; fills evict only in their own TBU's TLB; a TLBI reaches every TBU's.
	 */
	@Test
	void eachTbuHasItsOwnTlb() {
		Fixture x = new Fixture(SPEC.withCaches(2, 16));
		x.s1a.map4k(0x2000, 0x8100_0000L);
		x.s1a.map4k(0x3000, 0x8200_0000L);
		x.stage1(17, 4, 5, x.s1a); // TBU 1, as sid 1, and sid 1's tags
		x.stage1(18, 4, 5, x.s1a); // TBU 2, the same tags
		assertEquals(Path.WALK, x.path(1, 0x1000));
		assertEquals(Path.TLB_HIT, x.path(17, 0x1000), "sid 1's entry, in their TBU's TLB");
		assertEquals(Path.WALK, x.path(18, 0x1000), "another TBU, another TLB");
		assertEquals(Path.WALK, x.path(18, 0x2000));
		assertEquals(Path.WALK, x.path(18, 0x3000)); // evicts TBU 2's oldest (0x1000), not TBU 1's entry
		assertEquals(Path.WALK, x.path(11, 0x1000)); // TBU 11
		assertEquals(Path.TLB_HIT, x.path(1, 0x1000));
		assertEquals(Path.TLB_HIT, x.path(18, 0x2000));
		assertEquals(Path.WALK, x.path(18, 0x1000));
		CacheStats tlb = x.engine.stats().cache("tlb");
		assertEquals(1 + 2 + 1, tlb.entries());
		assertEquals(3 * 2, tlb.capacity(), "three TBUs in use, two entries each");
		assertEquals(6, tlb.insertions());
		x.remap();
		x.engine.invalidateVmid(4);
		assertEquals(0, x.engine.stats().cache("tlb").entries(), "every TBU's entries of VMID 4");
		assertEquals(0x8001_0000L + 0x1000_0000L, x.pa(1, 0x1000));
		assertEquals(0x8001_0000L + 0x1000_0000L, x.pa(18, 0x1000));
		assertEquals(0x8011_0000L + 0x1000_0000L, x.pa(11, 0x1000));
	}

	// ---- tables

	@Test
	void twoLevelStreamTableAndCdTable() {
		StreamTable two = f.t.twoLevel(16, 8);
		f.t.l2(two, 0x0305, 9);
		long l1cd = f.t.alloc(64, 64);
		long l2cd = f.t.alloc(64 * 1024, 4096);
		f.mem.write64(l1cd + 8, l2cd | Cd.L1_V);
		f.t.write(l2cd + 64 * 7, Tables.cd(9, f.s1b.root));
		f.t.putSte(two, 0x0305, Tables.steS1(l1cd, Ste.S1FMT_64K_L2, 11, Ste.S1DSS_TERMINATE));
		TranslationResult r = f.engine.translate(two, new TranslationRequest(0x0305, 1024 + 7, 0x1008, false));
		assertEquals(new Translated(0x8011_0008L, Path.WALK), r);
		SmmuStats s = f.engine.stats();
		assertEquals(1, s.steL1Fetches());
		assertEquals(1, s.steFetches());
		assertEquals(1, s.cdL1Fetches());
		assertEquals(1, s.cdFetches());
		Walk w = f.engine.walk(two, new TranslationRequest(0x0305, 1024 + 7, 0x1008, false));
		assertEquals(List.of("L1STD", "STE", "L1CD", "CD", "S1", "S1", "S1"), w.steps().stream().map(WalkStep::what).toList());
		assertEquals(Event.config(EventType.F_STREAM_DISABLED, 0x305, Event.NO_SSID, 0, 0),
				Fixture.event(f.engine.translate(two, TranslationRequest.read(0x305, 0x1008))));
	}

	@Test
	void nestedCdTableThroughStage2() {
		// 64K-leaf CD table whose L1 and L2 are IPAs
		long l1cd = f.t.alloc(64, 64);
		long l2cd = f.t.alloc(64 * 1024, 4096);
		f.mem.write64(l1cd, (l2cd + Fixture.IPA_OFFSET) | Cd.L1_V);
		f.t.write(l2cd + 64 * 3, Tables.cd(77, f.s1n.root));
		f.t.putSte(f.st, 50, Tables.steNested(l1cd + Fixture.IPA_OFFSET, Ste.S1FMT_64K_L2, 4, Ste.S1DSS_TERMINATE, 4, f.s2n.root));
		TranslationRequest req = new TranslationRequest(50, 3, 0x1100, false);
		assertEquals(new Translated(0x8003_0100L, Path.WALK), f.engine.translate(f.st, req));
		List<String> steps = f.engine.walk(f.st, req).steps().stream().map(WalkStep::what).toList();
		assertEquals(List.of("STE", "S2", "L1CD", "S2", "CD"), steps.subList(0, 5));
		assertEquals(l2cd + 64 * 3, f.engine.readCd(f.st, 50, 3).address());
	}

	@Test
	void otherGranules() {
		// 64K stage 2 (T0SZ 22, SL0 1 = start level 2) with a 16K stage 1 (T0SZ 25 -> start level 1)
		Tables.PageTable s2 = f.t.table(true, 16, 42, 2, 1, 0);
		s2.map(0x4000_0000L + Fixture.IPA_OFFSET, 0x4000_0000L, 2, Tables.RW2); // 512M blocks
		s2.map(0x6000_0000L + Fixture.IPA_OFFSET, 0x6000_0000L, 2, Tables.RW2);
		s2.map(0x2_0000L, 0x8800_0000L, 3, Tables.RW2);
		// stage-1 tables are reached at IPA = PA + offset through the blocks above
		Tables.PageTable s1 = f.t.table(false, 14, 39, 1, 1, Fixture.IPA_OFFSET);
		s1.map(0x4000, 0x2_4000L, 3, Tables.RW1);
		long cd = f.t.alloc(64, 64);
		long[] cdw = Tables.cd(3, s1.root);
		Cd.TG0.set(cdw, Cd.TG0_16K);
		f.t.write(cd, cdw);
		long[] ste = Tables.steNested(cd + Fixture.IPA_OFFSET, 0, 0, 0, 6, s2.root);
		Ste.S2TG.set(ste, Ste.S2TG_64K);
		Ste.S2T0SZ.set(ste, 22);
		Ste.S2SL0.set(ste, 1);
		f.t.putSte(f.st, 60, ste);
		assertEquals(new Translated(0x8800_4abcL, Path.WALK), f.translate(60, 0x4abc));
		assertEquals(new Translated(0x8800_7ff0L, Path.TLB_HIT), f.translate(60, 0x7ff0));
		assertEquals(EventType.F_TRANSLATION, Fixture.event(f.translate(60, 0x8000)).type());
	}

	// ---- statistics

	@Test
	void resetStats() {
		f.warm();
		f.translate(1, 0x7000);
		f.engine.resetStats();
		SmmuStats s = f.engine.stats();
		assertEquals(0, s.translations());
		assertEquals(0, s.steFetches());
		assertEquals(Map.of(), s.faults());
		assertEquals(0, s.cache("tlb").lookups());
		assertEquals(0, s.cache("tlb").insertions());
		assertEquals(7, s.cache("tlb").entries());
		assertEquals(Path.TLB_HIT, f.path(3, 0x1000));
		assertEquals(1, f.engine.stats().cache("tlb").hits());
		assertTrue(s.commands().isEmpty());
		assertEquals(0, s.eventsRecorded());
	}

	// ---- micro-TLB

	@Test
	void microTlbHitsAreCountedApartAndSurviveUnrelatedInvalidations() {
		assertEquals(Path.WALK, f.path(1, Fixture.DATA));
		assertEquals(Path.TLB_HIT, f.path(1, Fixture.DATA + 8)); // main TLB; the page twice in a row: kept
		assertEquals(Path.TLB_HIT, f.path(1, Fixture.DATA + 16)); // micro-TLB
		CacheStats utlb = f.engine.stats().cache("utlb"), tlb = f.engine.stats().cache("tlb");
		assertEquals(new CacheStats("utlb", 3, 1, 2, 0, 0, 1, Counters.MICRO_ENTRIES), utlb);
		assertEquals(2, tlb.hits(), "tlb hits count both levels");
		// invalidations that remove other entries (or nothing) leave it alone
		f.engine.invalidateAsid(4, 6);
		f.engine.invalidateVa(4, 5, 0x9000, 0x1000, true);
		f.engine.invalidateSte(2);
		f.path(1, Fixture.DATA + 24);
		assertEquals(2, f.engine.stats().cache("utlb").hits());
		// one that removes its entry, or its configuration, ends it
		f.engine.invalidateVa(4, 5, Fixture.DATA, 0x1000, true);
		f.remap();
		assertEquals(0x8001_0000L + 0x1000_0000L + 32, f.pa(1, Fixture.DATA + 32));
		assertEquals(2, f.engine.stats().cache("utlb").hits());
		f.path(1, Fixture.DATA);
		f.path(1, Fixture.DATA);
		assertEquals(3, f.engine.stats().cache("utlb").hits());
		f.engine.invalidateSte(1);
		f.remap();
		assertEquals(Path.TLB_HIT, f.path(1, Fixture.DATA), "the TLB entry stays; the configuration is refetched");
		assertEquals(3, f.engine.stats().cache("utlb").hits());
		assertEquals(2, f.engine.stats().cache("config").misses());
	}
}
