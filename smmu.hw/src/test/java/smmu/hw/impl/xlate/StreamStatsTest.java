package smmu.hw.impl.xlate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import smmu.hw.EventType;
import smmu.hw.SmmuStats;
import smmu.hw.StreamStats;
import smmu.hw.TranslationResult.Path;

/** Per-StreamID counters: each transaction's hits, misses, walks, fetches, reads and faults go to its own stream. */
class StreamStatsTest {
	final Fixture f = new Fixture();

	/** Two streams interleaved: sid 1 (stage 1) and sid 2 (stage 2). */
	private void twoStreams() {
		assertEquals(Path.WALK, f.path(1, 0x1000));
		assertEquals(Path.WALK, f.path(2, 0x1abc));
		assertEquals(Path.TLB_HIT, f.path(1, 0x1008)); // main TLB; the micro-TLB takes it (same page as the last walk)
		assertEquals(Path.TLB_HIT, f.path(1, 0x1010)); // micro-TLB
		assertEquals(Path.TLB_HIT, f.path(2, 0x1004)); // main TLB
		assertEquals(EventType.F_TRANSLATION, Fixture.event(f.translate(1, 0x2000)).type());
	}

	@Test
	void hitsMissesWalksAndFaultsGoToTheirStream() {
		twoStreams();
		List<StreamStats> l = f.engine.streamStats(1, 2, 4);
		StreamStats a = l.get(0), b = l.get(1), none = l.get(2);
		assertEquals(1, a.sid());
		assertEquals(4, a.translations());
		assertEquals(1, a.microTlbHits());
		assertEquals(1, a.mainTlbHits());
		assertEquals(2, a.tlbMisses());
		assertEquals(2, a.walks());
		assertEquals(3, a.configHits());
		assertEquals(1, a.configMisses());
		assertEquals(1, a.steFetches());
		assertEquals(1, a.cdFetches());
		assertEquals(0, a.tableReads(2));
		assertEquals(Map.of("F_TRANSLATION", 1L), a.faults());
		assertEquals(1, a.events());

		assertEquals(2, b.translations());
		assertEquals(0, b.microTlbHits());
		assertEquals(1, b.mainTlbHits());
		assertEquals(1, b.tlbMisses());
		assertEquals(1, b.walks());
		assertEquals(1, b.configMisses());
		assertEquals(1, b.steFetches());
		assertEquals(0, b.cdFetches());
		assertArrayEquals(new long[] { 0, 0, 0, 0 }, b.tableReads()[0]);
		assertArrayEquals(new long[] { 0, 1, 1, 1 }, b.tableReads()[1]);
		assertEquals(Map.of(), b.faults());
		assertEquals(0, b.events());

		assertEquals(new StreamStats(4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, none.tableReads(), Map.of(), 0).toString(), none.toString());

		// the streams add up to the instance's totals
		SmmuStats s = f.engine.stats();
		assertEquals(s.translations(), a.translations() + b.translations());
		assertEquals(s.cache("utlb").hits(), a.microTlbHits() + b.microTlbHits());
		assertEquals(s.cache("tlb").hits(), a.tlbHits() + b.tlbHits());
		assertEquals(s.cache("tlb").misses(), a.tlbMisses() + b.tlbMisses());
		assertEquals(s.cache("config").misses(), a.configMisses() + b.configMisses());
		assertEquals(s.steFetches(), a.steFetches() + b.steFetches());
		assertEquals(s.tableReads(1), a.tableReads(1) + b.tableReads(1));
		assertEquals(s.tableReads(2), a.tableReads(2) + b.tableReads(2));
		assertEquals(s.faults(), a.faults());
	}

	@Test
	void streamResetLeavesOtherStreamsAndTheTotals() {
		twoStreams();
		f.engine.resetStreamStats(1);
		assertEquals(0, f.engine.streamStats(1).get(0).translations());
		assertEquals(Map.of(), f.engine.streamStats(1).get(0).faults());
		assertEquals(2, f.engine.streamStats(2).get(0).translations());
		assertEquals(6, f.engine.stats().translations());
		f.path(1, 0x1000);
		assertEquals(1, f.engine.streamStats(1).get(0).translations());
		// an instance reset zeroes every stream
		f.engine.resetStats();
		assertEquals(0, f.engine.streamStats(2).get(0).translations());
		assertEquals(0, f.engine.streamStats(1).get(0).translations());
		f.path(2, 0x1000);
		assertEquals(1, f.engine.streamStats(2).get(0).translations());
		assertEquals(1, f.engine.stats().translations());
	}

	@Test
	void everyThreadCountsForTheStream() throws InterruptedException {
		f.path(2, 0x1abc);
		Thread t = new Thread(() -> {
			for (int i = 0; i < 100; i++) {
				f.path(2, 0x1000 + 8 * i);
			}
			f.path(1, 0x1000);
		});
		t.start();
		t.join();
		assertEquals(101, f.engine.streamStats(2).get(0).translations());
		assertEquals(1, f.engine.streamStats(1).get(0).translations());
		assertEquals(102, f.engine.stats().translations());
	}

	@Test
	void streamsTakingTurnsKeepTheirOwnCounts() {
		// 1 and 17 share a slot of the thread's recent streams; 17 has no valid STE (C_BAD_STE)
		for (int i = 0; i < 3; i++) {
			f.path(1, 0x1000);
			f.translate(17, 0x1000);
			f.path(2, 0x1000);
		}
		List<StreamStats> l = f.engine.streamStats(1, 17, 2);
		assertEquals(3, l.get(0).translations());
		assertEquals(Map.of(), l.get(0).faults());
		assertEquals(3, l.get(1).translations());
		assertEquals(Map.of("C_BAD_STE", 3L), l.get(1).faults());
		assertEquals(3, l.get(2).translations());
		assertEquals(9, f.engine.stats().translations());
	}

	@Test
	void streamIdsBeyondSidSizeCountOnlyInTheTotals() {
		// SIDSIZE 16: StreamID 0x10000 does not exist; its transaction aborts and counts in the totals
		assertEquals(EventType.C_BAD_STREAMID, Fixture.event(f.translate(0x1_0000, 0x1000)).type());
		assertEquals(1, f.engine.stats().translations());
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.engine.streamStats(0x1_0000));
		assertEquals("StreamID 0x10000 is beyond the SMMU's SIDSIZE (16 bits)", e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> f.engine.resetStreamStats(-1));
		assertEquals(0, f.engine.streamStats(0xffff).get(0).translations());
	}
}
