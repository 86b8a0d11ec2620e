package smmu.hw.impl.queue;

import smmu.hw.MemoryAbort;
import smmu.hw.PhysicalMemory;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Regs;

/**
 * The command queue's registers (CMDQ_BASE, CMDQ_PROD, CMDQ_CONS) and its consumer: reads 16-byte
 * commands at {@code base + 16 * index} from CONS up to PROD and hands each to a {@link Processor}.
 * Not thread-safe: the owner serializes register writes and {@link #consume} (one consumer at a time).
 * Register values are readable from any thread.
 */
public final class CommandQueue {

	/** Executes one command; returns {@link Regs#CERROR_NONE} or the CONS.ERR code that stops the queue. */
	@FunctionalInterface
	public interface Processor {
		int execute(long word0, long word1);
	}

	private static final long BASE_MASK = Regs.Q_BASE_RA | Regs.Q_BASE_ADDR_MASK;
	private static final int ERR_MASK = (int) Regs.CMDQ_CONS_ERR.mask();

	private final PhysicalMemory memory;
	private final int maxLog2;
	private volatile long base;
	private volatile int prod;
	private volatile int cons;

	/**
	 * @param memory where the queue lives
	 * @param maxLog2 IDR1.CMDQS (clamped to the architecture's 19)
	 */
	public CommandQueue(PhysicalMemory memory, int maxLog2) {
		this.memory = memory;
		this.maxLog2 = QueueIndex.maxLog2(maxLog2);
		reset();
	}

	/** Reset as QEMU: PROD = CONS = 0, CMDQ_BASE.LOG2SIZE = the maximum, the address kept. */
	public void reset() {
		base = (base & BASE_MASK) | maxLog2;
		prod = 0;
		cons = 0;
	}

	public int log2size() {
		return (int) (base & 0x1f);
	}

	public long base() {
		return base;
	}

	public int prod() {
		return prod & QueueIndex.wrapIndexMask(log2size());
	}

	public int cons() {
		return cons & (QueueIndex.wrapIndexMask(log2size()) | ERR_MASK);
	}

	/** CMDQ_BASE: RA, ADDR[51:5] and LOG2SIZE clamped to the maximum; RES0 bits dropped. */
	public void writeBase(long value) {
		base = (value & BASE_MASK) | Math.min((int) (value & 0x1f), maxLog2);
	}

	public void writeProd(int value) {
		prod = value & QueueIndex.wrapIndexMask(log2size());
	}

	public void writeCons(int value) {
		cons = value & (QueueIndex.wrapIndexMask(log2size()) | ERR_MASK);
	}

	/** Loads the registers as given, with the same masking as writes and no consumption. */
	public void restore(long baseValue, int prodValue, int consValue) {
		writeBase(baseValue);
		writeProd(prodValue);
		writeCons(consValue);
	}

	/** Whether CONS has caught up with PROD. */
	public boolean isEmpty() {
		return QueueIndex.empty(prod, cons, log2size());
	}

	/**
	 * Runs the commands between CONS and PROD, advancing CONS after each completed one (PROD is re-read
	 * each time). On a command error CONS stays at the failing command and CONS.ERR takes the code.
	 *
	 * @return {@link Regs#CERROR_NONE} when the queue ran empty, else the error code
	 */
	public int consume(Processor processor) {
		while (true) {
			int log2 = log2size();
			int c = cons;
			if (QueueIndex.empty(prod, c, log2)) {
				return Regs.CERROR_NONE;
			}
			long addr = (base & Regs.Q_BASE_ADDR_MASK) + (long) Cmd.BYTES * QueueIndex.index(c, log2);
			long w0, w1;
			try {
				w0 = memory.read64(addr);
				w1 = memory.read64(addr + 8);
			} catch (MemoryAbort abort) {
				fail(Regs.CERROR_ABT);
				return Regs.CERROR_ABT;
			}
			int err = processor.execute(w0, w1);
			if (err != Regs.CERROR_NONE) {
				fail(err);
				return err;
			}
			cons = QueueIndex.next(cons, log2);
		}
	}

	private void fail(int err) {
		cons = (int) Regs.CMDQ_CONS_ERR.with(cons, err);
	}
}
