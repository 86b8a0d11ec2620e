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

	/** The last {@code n} lines, oldest first. */
	synchronized List<String> tail(int n) {
		List<String> all = new ArrayList<>(lines);
		return List.copyOf(all.subList(Math.max(0, all.size() - Math.max(0, n)), all.size()));
	}

	/** Lines seen in all (including those that fell out). */
	synchronized long total() {
		return total;
	}
}
