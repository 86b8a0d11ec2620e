package smmu.qemu.impl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** The last lines of a QEMU's console (its stdout and stderr), bounded. Thread-safe. */
final class ConsoleRing {
	private final int capacity;
	private final ArrayDeque<String> lines = new ArrayDeque<>();
	private long total;

	ConsoleRing(int capacity) {
		this.capacity = capacity;
	}

	synchronized void add(String line) {
		if (lines.size() == capacity) {
			lines.removeFirst();
		}
		lines.addLast(line);
		total++;
		notifyAll();
	}

	/** Wakes waiters to look at their end condition again. */
	synchronized void wake() {
		notifyAll();
	}

	/** The last {@code n} lines, oldest first. */
	synchronized List<String> tail(int n) {
		List<String> all = new ArrayList<>(lines);
		return List.copyOf(all.subList(Math.max(0, all.size() - Math.max(0, n)), all.size()));
	}

	/** Waits for a line containing {@code text} among those kept; false after {@code millis} or once {@code over} holds. */
	synchronized boolean await(String text, long millis, java.util.function.BooleanSupplier over) throws InterruptedException {
		long end = System.currentTimeMillis() + millis;
		for (;;) {
			for (String l : lines) {
				if (l.contains(text)) {
					return true;
				}
			}
			long left = end - System.currentTimeMillis();
			if (left <= 0 || over.getAsBoolean()) {
				return false;
			}
			wait(Math.min(left, 200));
		}
	}

	/** Lines seen in all (including those that fell out). */
	synchronized long total() {
		return total;
	}
}
