package smmu.hw.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.InterruptSink.Line;
import smmu.hw.arch.Regs;

class EventQueueDeviceTest {

	private static Event fault(int sid, long iova) {
		return new Event(EventType.F_TRANSLATION, sid, 3, iova, 0x8_0000_0000L | iova, true, Event.CLASS_TT, false);
	}

	private static long[] readRecord(Rig rig, int index) {
		long[] w = new long[4];
		for (int i = 0; i < 4; i++) {
			w[i] = rig.memory.read64(Rig.EVENTQ + 32L * index + 8L * i);
		}
		return w;
	}

	@Test
	void recordsGoToProdWithTheExactBytesAndPulseEventq() {
		Rig rig = new Rig().eventQueue(3);
		Event e = fault(0x1234, 0xdead_b000L);
		rig.engine.sink.record(e);
		rig.engine.sink.record(Event.config(EventType.C_BAD_STE, 7, Event.NO_SSID, 0, 0x9_0000));
		long[] w = readRecord(rig, 0);
		assertArrayEquals(e.encode(), w);
		// spot-check the layout independently of Event.encode
		assertEquals(0x10 | 1L << 11 | 3L << 12 | 0x1234L << 32, w[0]);
		assertEquals(1L << 39 | 1L << 40, w[1]);
		assertEquals(0xdead_b000L, w[2]);
		assertEquals(0x8_dead_b000L, w[3]);
		assertEquals(EventType.C_BAD_STE, Event.decode(readRecord(rig, 1)).type());
		assertEquals(2, rig.smmu.read32(Regs.EVENTQ_PROD));
		assertEquals(List.of(Line.EVENTQ, Line.EVENTQ), rig.irqs());
		assertEquals(2, rig.smmu.stats().eventsRecorded());
		assertEquals(0, rig.smmu.stats().eventsLost());
		assertArrayEquals(new long[4], readRecord(rig, 2));
	}

	@Test
	void noPulseWithoutEventqIrqen() {
		Rig rig = new Rig().eventQueue(3);
		rig.smmu.write32(Regs.IRQ_CTRL, Regs.IRQ_CTRL_GERROR_IRQEN);
		rig.engine.sink.record(fault(1, 0x1000));
		assertEquals(1, rig.smmu.read32(Regs.EVENTQ_PROD));
		assertEquals(List.of(), rig.irqs());
	}

	@Test
	void wrapsAroundASmallQueue() {
		Rig rig = new Rig().eventQueue(1);
		for (int i = 0; i < 9; i++) {
			rig.engine.sink.record(fault(i, 0x1000L * i));
			int prod = rig.smmu.read32(Regs.EVENTQ_PROD);
			assertEquals((i + 1) & 3, prod);
			assertEquals(i, Event.decode(readRecord(rig, i & 1)).sid());
			rig.smmu.write32(Regs.EVENTQ_CONS, prod);
		}
		assertEquals(9, rig.smmu.stats().eventsRecorded());
	}

	@Test
	void overflowTogglesOvflgOncePerEpisode() {
		Rig rig = new Rig().eventQueue(1);
		var sink = rig.engine.sink;
		sink.record(fault(1, 0));
		sink.record(fault(2, 0));
		assertEquals(2, rig.smmu.read32(Regs.EVENTQ_PROD), "full: index 0, wrap 1");
		rig.irqs();
		sink.record(fault(3, 0));
		assertEquals(Regs.Q_OVF | 2, rig.smmu.read32(Regs.EVENTQ_PROD));
		sink.record(fault(4, 0));
		assertEquals(Regs.Q_OVF | 2, rig.smmu.read32(Regs.EVENTQ_PROD), "not acknowledged: no second toggle");
		assertEquals(1, Event.decode(readRecord(rig, 0)).sid(), "nothing overwritten");
		assertEquals(2, Event.decode(readRecord(rig, 1)).sid());
		assertEquals(2, rig.smmu.stats().eventsLost());
		assertEquals(List.of(), rig.irqs());
		assertEquals(0, rig.smmu.read32(Regs.GERROR), "the architected overflow is not a GERROR");

		// software drains and acknowledges: CONS = PROD including OVACKFLG
		rig.smmu.write32(Regs.EVENTQ_CONS, rig.smmu.read32(Regs.EVENTQ_PROD));
		sink.record(fault(5, 0));
		assertEquals(Regs.Q_OVF | 3, rig.smmu.read32(Regs.EVENTQ_PROD), "OVFLG kept while recording");
		assertEquals(5, Event.decode(readRecord(rig, 0)).sid());
		sink.record(fault(6, 0));
		sink.record(fault(7, 0));
		assertEquals(0, rig.smmu.read32(Regs.EVENTQ_PROD), "second episode toggles OVFLG back");
		assertEquals(3, rig.smmu.stats().eventsLost());
		assertEquals(4, rig.smmu.stats().eventsRecorded(), "recorded 1, 2, 5, 6");
	}

	@Test
	void drainingWithoutAcknowledgingKeepsOvflgAndNextOverflowDoesNotToggle() {
		Rig rig = new Rig().eventQueue(0); // a single entry
		var sink = rig.engine.sink;
		sink.record(fault(1, 0));
		sink.record(fault(2, 0));
		assertEquals(Regs.Q_OVF | 1, rig.smmu.read32(Regs.EVENTQ_PROD));
		rig.smmu.write32(Regs.EVENTQ_CONS, 1); // consumed but OVACKFLG left 0
		sink.record(fault(3, 0));
		sink.record(fault(4, 0));
		assertEquals(Regs.Q_OVF | 0, rig.smmu.read32(Regs.EVENTQ_PROD));
		assertEquals(3, Event.decode(readRecord(rig, 0)).sid());
	}

	@Test
	void disabledQueueDropsAndCounts() {
		Rig rig = new Rig();
		rig.smmu.write64(Regs.EVENTQ_BASE, Rig.EVENTQ | 3);
		rig.smmu.write32(Regs.IRQ_CTRL, 7);
		rig.engine.sink.record(fault(1, 0));
		assertEquals(0, rig.smmu.read32(Regs.EVENTQ_PROD));
		assertArrayEquals(new long[4], readRecord(rig, 0));
		assertEquals(1, rig.smmu.stats().eventsLost());
		assertEquals(List.of(), rig.irqs());
		rig.smmu.write32(Regs.CR0, Regs.CR0_EVENTQEN);
		rig.engine.sink.record(fault(2, 0));
		assertEquals(1, rig.smmu.read32(Regs.EVENTQ_PROD));
	}

	@Test
	void recordWriteAbortRaisesEventqAbtErrOncePerAcknowledgement() {
		Rig rig = new Rig();
		SmmuDevice d = rig.smmu;
		d.write64(Regs.EVENTQ_BASE, (1L << 40) | 2);
		d.write32(Regs.IRQ_CTRL, 7);
		d.write32(Regs.CR0, Regs.CR0_EVENTQEN);
		rig.engine.sink.record(fault(1, 0));
		assertEquals(Regs.GERROR_EVENTQ_ABT_ERR, d.read32(Regs.GERROR));
		assertEquals(0, d.read32(Regs.EVENTQ_PROD));
		assertEquals(List.of(Line.GERROR), rig.irqs());
		rig.engine.sink.record(fault(2, 0));
		assertEquals(Regs.GERROR_EVENTQ_ABT_ERR, d.read32(Regs.GERROR), "already active");
		assertEquals(List.of(), rig.irqs());
		d.write32(Regs.GERRORN, Regs.GERROR_EVENTQ_ABT_ERR);
		rig.engine.sink.record(fault(3, 0));
		assertEquals(0, d.read32(Regs.GERROR), "toggled again after the acknowledgement");
		assertEquals(List.of(Line.GERROR), rig.irqs());
		assertEquals(3, d.stats().eventsLost());
		assertEquals(0, d.stats().eventsRecorded());
	}

	@Test
	void concurrentRecordersLoseNothingWhileThereIsRoom() throws Exception {
		Rig rig = new Rig().eventQueue(13);
		int threads = 8, each = 1000;
		CountDownLatch start = new CountDownLatch(1);
		List<Thread> ts = new ArrayList<>();
		for (int t = 0; t < threads; t++) {
			int id = t;
			Thread th = new Thread(() -> {
				try {
					start.await();
				} catch (InterruptedException e) {
					return;
				}
				for (int i = 0; i < each; i++) {
					rig.engine.sink.record(fault(id, 0x1000L * i));
				}
			});
			th.start();
			ts.add(th);
		}
		start.countDown();
		for (Thread th : ts) {
			th.join();
		}
		int n = threads * each;
		assertEquals(n, rig.smmu.stats().eventsRecorded());
		assertEquals(0, rig.smmu.stats().eventsLost());
		assertEquals(n, rig.smmu.read32(Regs.EVENTQ_PROD));
		Set<String> seen = new HashSet<>();
		int[] perThreadNext = new int[threads];
		for (int i = 0; i < n; i++) {
			Event e = Event.decode(readRecord(rig, i));
			assertTrue(seen.add(e.sid() + ":" + e.address()), "duplicate record " + i);
			assertEquals(0x1000L * perThreadNext[e.sid()]++, e.address(), "each thread's events in its order");
		}
		assertEquals(n, seen.size());
		assertEquals(n, rig.irqs().size());
	}
}
