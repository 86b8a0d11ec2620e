package smmu.vfio;

import java.util.concurrent.atomic.LongAdder;

/**
 * Device DMA in flight, so that software can wait until every transaction that may still use a
 * configuration it replaced has completed (what a CMD_SYNC after CFGI_STE guarantees on hardware:
 * IHI 0070 §4.6, invalidation completes once transactions using the old structures have). Two epochs:
 * {@link #quiesce} opens a new one and waits for the old one to drain.
 */
final class DmaGate {
	private final LongAdder[] inFlight = { new LongAdder(), new LongAdder() };
	private volatile int epoch;

	int enter() {
		for (;;) {
			int e = epoch;
			LongAdder a = inFlight[e & 1];
			a.increment();
			if (epoch == e) {
				return e;
			}
			a.decrement();
		}
	}

	void exit(int e) {
		inFlight[e & 1].decrement();
	}

	/** Returns once every DMA that entered before the call has exited. */
	synchronized void quiesce() {
		int old = epoch;
		epoch = old + 1;
		LongAdder a = inFlight[old & 1];
		while (a.sum() != 0) {
			Thread.onSpinWait();
			Thread.yield();
		}
	}
}
