package smmu.hw.impl.queue;

import java.util.concurrent.atomic.LongAdder;

import smmu.hw.Event;
import smmu.hw.MemoryAbort;
import smmu.hw.PhysicalMemory;
import smmu.hw.arch.Regs;
import smmu.hw.impl.xlate.EventSink;

/**
 * The event queue's registers (EVENTQ_BASE, EVENTQ_PROD, EVENTQ_CONS) and its producer: writes
 * 32-byte records at {@code base + 32 * PROD.index}. Thread-safe: many translating threads record
 * concurrently; the {@link Host} is called outside the queue's lock.
 */
public final class EventQueue implements EventSink {

	/** What the queue needs from the rest of the SMMU. */
	public interface Host {
		/** CR0.EVENTQEN. */
		boolean enabled();

		/** A record was written: pulse the EVENTQ interrupt if enabled. */
		void recorded();

		/** A record write aborted: GERROR.EVENTQ_ABT_ERR. */
		void aborted();
	}

	private static final long BASE_MASK = Regs.Q_BASE_RA | Regs.Q_BASE_ADDR_MASK;

	private final PhysicalMemory memory;
	private final int maxLog2;
	private final Host host;
	private final Object lock = new Object();
	private final LongAdder recorded = new LongAdder();
	private final LongAdder lost = new LongAdder();
	private volatile long base;
	private volatile int prod;
	private volatile int cons;
	private volatile boolean qemu;

	/**
	 * @param memory where the queue lives
	 * @param maxLog2 IDR1.EVENTQS (clamped to the architecture's 19)
	 */
	public EventQueue(PhysicalMemory memory, int maxLog2, Host host) {
		this.memory = memory;
		this.maxLog2 = QueueIndex.maxLog2(maxLog2);
		this.host = host;
		reset();
	}

	/** Reset as QEMU: PROD = CONS = 0, EVENTQ_BASE.LOG2SIZE = the maximum, the address kept. */
	public void reset() {
		synchronized (lock) {
			base = (base & BASE_MASK) | maxLog2;
			prod = 0;
			cons = 0;
		}
	}

	public int log2size() {
		return (int) (base & 0x1f);
	}

	public long base() {
		return base;
	}

	public int prod() {
		return prod & (QueueIndex.wrapIndexMask(log2size()) | Regs.Q_OVF);
	}

	public int cons() {
		return cons & (QueueIndex.wrapIndexMask(log2size()) | Regs.Q_OVF);
	}

	/** EVENTQ_BASE: RA, ADDR[51:5] and LOG2SIZE clamped to the maximum; RES0 bits dropped. */
	public void writeBase(long value) {
		synchronized (lock) {
			base = (value & BASE_MASK) | Math.min((int) (value & 0x1f), maxLog2);
		}
	}

	/** EVENTQ_PROD: index, wrap and OVFLG (the owner ignores writes while the queue is enabled). */
	public void writeProd(int value) {
		synchronized (lock) {
			prod = value & (QueueIndex.wrapIndexMask(log2size()) | Regs.Q_OVF);
		}
	}

	/** EVENTQ_CONS: index, wrap and OVACKFLG. */
	public void writeCons(int value) {
		synchronized (lock) {
			cons = value & (QueueIndex.wrapIndexMask(log2size()) | Regs.Q_OVF);
		}
	}

	/** Loads the registers as given, with the same masking as writes. */
	public void restore(long baseValue, int prodValue, int consValue) {
		synchronized (lock) {
			writeBase(baseValue);
			writeProd(prodValue);
			writeCons(consValue);
		}
	}

	/**
	 * QEMU's {@code smmuv3_write_eventq} instead of the architecture: a record that meets a disabled
	 * (CR0.EVENTQEN = 0) or full queue is lost and raises GERROR.EVENTQ_ABT_ERR; no overflow flag.
	 */
	public void qemuSemantics(boolean on) {
		qemu = on;
	}

	@Override
	public void record(Event event) {
		write(event.encode());
	}

	/** Writes a 32-byte record (four words) verbatim at EVENTQ_PROD, with the queue's rules. */
	public void write(long[] w) {
		boolean written = false, aborted = false;
		synchronized (lock) {
			int log2 = log2size();
			int p = prod;
			if (!host.enabled()) {
				lost.increment();
				aborted = qemu;
			} else if (QueueIndex.full(p, cons, log2)) {
				lost.increment();
				if (qemu) {
					aborted = true;
				} else if ((p & Regs.Q_OVF) == (cons & Regs.Q_OVF)) {
					// IHI 0070 event queue overflow: a full queue loses the event and toggles PROD.OVFLG, once per
					// overflow episode (only while OVFLG == CONS.OVACKFLG). QEMU instead raises GERROR.EVENTQ_ABT_ERR.
					prod = p ^ Regs.Q_OVF;
				}
			} else {
				long addr = (base & Regs.Q_BASE_ADDR_MASK) + (long) Event.BYTES * QueueIndex.index(p, log2);
				try {
					for (int i = 0; i < 4; i++) {
						memory.write64(addr + 8L * i, w[i]);
					}
					prod = QueueIndex.next(p, log2);
					recorded.increment();
					written = true;
				} catch (MemoryAbort abort) {
					lost.increment();
					aborted = true;
				}
			}
		}
		if (written) {
			host.recorded();
		} else if (aborted) {
			host.aborted();
		}
	}

	public long recorded() {
		return recorded.sum();
	}

	public long lost() {
		return lost.sum();
	}

	public void resetCounters() {
		recorded.reset();
		lost.reset();
	}
}
