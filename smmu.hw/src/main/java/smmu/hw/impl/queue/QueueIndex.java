package smmu.hw.impl.queue;

/**
 * Queue pointer arithmetic (IHI 0070 §3.5): a PROD or CONS value holds an index in bits
 * [log2size-1:0] and a wrap bit at [log2size]; other bits (CONS.ERR, the overflow flags) are not
 * part of the position and are preserved by {@link #next}.
 */
public final class QueueIndex {
	private QueueIndex() {}

	/** The largest LOG2SIZE the architecture allows for any queue. */
	public static final int MAX_LOG2SIZE = 19;

	public static int wrapIndexMask(int log2size) {
		return (2 << log2size) - 1;
	}

	public static int index(int pointer, int log2size) {
		return pointer & ((1 << log2size) - 1);
	}

	public static boolean empty(int prod, int cons, int log2size) {
		return ((prod ^ cons) & wrapIndexMask(log2size)) == 0;
	}

	public static boolean full(int prod, int cons, int log2size) {
		return ((prod ^ cons) & wrapIndexMask(log2size)) == 1 << log2size;
	}

	/** The pointer advanced by one entry, carrying into the wrap bit and keeping the flag bits. */
	public static int next(int pointer, int log2size) {
		int m = wrapIndexMask(log2size);
		return (pointer & ~m) | ((pointer + 1) & m);
	}

	/** The largest LOG2SIZE a queue may use given the ID register field (IDR1.CMDQS / EVENTQS). */
	public static int maxLog2(int idrField) {
		return Math.min(idrField, MAX_LOG2SIZE);
	}
}
