package smmu.hw.impl.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Predicate;

/**
 * An open-addressing hash table (linear probing, backward-shift deletion) of immutable nodes with a
 * FIFO replacement list, read without locks and written under the table's monitor.
 * <p>
 * Readers: read {@link #generation()} first, then probe with {@link #slot}. Nodes are immutable to readers,
 * so a racing reader sees a whole node or none; a node being moved by a deletion may be missed, which only
 * costs a refill. Writers: every invalidation removes its nodes and then bumps the generation (volatile), so
 * a reader starting after it returns cannot find them; {@link #insert} refuses a node built by a reader that
 * read an older generation, so a fill racing with an invalidation cannot bring back what it removed.
 * Replacement when full: FIFO, the oldest inserted node still present is evicted.
 */
abstract class LinearTable<N extends LinearTable.Node> {

	/** Largest capacity accepted; larger requests are clamped. */
	static final int MAX_CAPACITY = 1 << 22;

	private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Node[].class);

	static class Node {
		final int hash;
		// FIFO list, guarded by the table's monitor
		Node older, newer;

		Node(int hash) {
			this.hash = hash;
		}
	}

	final int capacity;
	final Node[] slots;
	final int mask;
	private volatile long generation;
	private Node oldest, newest;
	private int size;
	private long insertions, invalidations, evictions;

	LinearTable(int capacity) {
		this.capacity = Math.max(0, Math.min(capacity, MAX_CAPACITY));
		int length = 2;
		while (length < 2 * this.capacity) {
			length <<= 1;
		}
		slots = new Node[length];
		mask = length - 1;
	}

	/** Whether two nodes have the same key. */
	abstract boolean sameKey(N a, N b);

	void added(N node) {}

	void removed(N node) {}

	public final int capacity() {
		return capacity;
	}

	public final boolean enabled() {
		return capacity > 0;
	}

	/** The invalidation generation: read it before a lookup whose miss may lead to {@link #insert}. */
	public final long generation() {
		return generation;
	}

	final Node slot(int i) {
		return (Node) SLOTS.getAcquire(slots, i);
	}

	/** Fibonacci hashing: the high half of the product, whose low bits depend on every bit of {@code z}. */
	static int mix(long z) {
		return (int) ((z * 0x9e3779b97f4a7c15L) >>> 32);
	}

	/**
	 * Inserts (or replaces the node with the same key), evicting the oldest node when full. Refused when the
	 * table is disabled or an invalidation ran since {@code readGeneration} was read.
	 */
	@SuppressWarnings("unchecked")
	final synchronized boolean insert(N node, long readGeneration) {
		if (capacity == 0 || generation != readGeneration) {
			return false;
		}
		for (int i = node.hash & mask;; i = (i + 1) & mask) {
			Node n = slots[i];
			if (n == null) {
				break;
			}
			if (sameKey((N) n, node)) {
				remove(n, i);
				break;
			}
		}
		if (size == capacity) {
			remove(oldest, indexOf(oldest));
			evictions++;
		}
		int i = node.hash & mask;
		while (slots[i] != null) {
			i = (i + 1) & mask;
		}
		SLOTS.setRelease(slots, i, node);
		node.older = newest;
		if (newest != null) {
			newest.newer = node;
		} else {
			oldest = node;
		}
		newest = node;
		size++;
		insertions++;
		added(node);
		return true;
	}

	/** Removes every node matching {@code p} and bumps the generation; returns how many were removed. */
	@SuppressWarnings("unchecked")
	final synchronized int removeIf(Predicate<N> p) {
		int n = 0;
		for (Node x = oldest; x != null;) {
			Node next = x.newer;
			if (p.test((N) x)) {
				remove(x, indexOf(x));
				n++;
			}
			x = next;
		}
		invalidations += n;
		generation = generation + 1;
		return n;
	}

	/** Removes everything and bumps the generation. */
	final synchronized void clear() {
		for (int i = 0; i < slots.length; i++) {
			SLOTS.setRelease(slots, i, null);
		}
		invalidations += size;
		oldest = newest = null;
		size = 0;
		clearedAll();
		generation = generation + 1;
	}

	void clearedAll() {}

	private int indexOf(Node node) {
		for (int i = node.hash & mask;; i = (i + 1) & mask) {
			if (slots[i] == node) {
				return i;
			}
		}
	}

	@SuppressWarnings("unchecked")
	private void remove(Node node, int i) {
		// backward-shift deletion: fill the hole with a later node of the cluster whose home is not in (hole, j]
		int j = i;
		for (;;) {
			j = (j + 1) & mask;
			Node e = slots[j];
			if (e == null) {
				break;
			}
			int k = e.hash & mask;
			boolean stays = i <= j ? i < k && k <= j : i < k || k <= j;
			if (!stays) {
				SLOTS.setRelease(slots, i, e);
				i = j;
			}
		}
		SLOTS.setRelease(slots, i, null);
		if (node.older != null) {
			node.older.newer = node.newer;
		} else {
			oldest = node.newer;
		}
		if (node.newer != null) {
			node.newer.older = node.older;
		} else {
			newest = node.older;
		}
		node.older = node.newer = null;
		size--;
		removed((N) node);
	}

	public final synchronized int size() {
		return size;
	}

	public final synchronized long insertions() {
		return insertions;
	}

	/** Nodes removed by invalidations (not evictions). */
	public final synchronized long invalidations() {
		return invalidations;
	}

	public final synchronized long evictions() {
		return evictions;
	}
}
