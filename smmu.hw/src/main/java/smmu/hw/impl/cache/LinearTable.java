package smmu.hw.impl.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Predicate;

/**
 * An open-addressing hash table (linear probing, backward-shift deletion) of immutable nodes, split into
 * stripes by hash, read without locks and written under one stripe's monitor at a time.
 * <p>
 * <b>Readers</b> probe with {@link #stripe} and {@link Stripe#slot}. Nodes are immutable to readers, so a
 * racing reader sees a whole node or none; a node being moved by a deletion may be missed, which only
 * costs a refill.
 * <p>
 * <b>Fills</b> ({@link #insert}) lock only the node's stripe. <b>Invalidations</b> ({@link #removeIf},
 * {@link #clear}) are serialized among themselves; each first publishes its predicate in a short log and
 * advances the invalidation sequence ({@link #generation()}), then removes its nodes stripe by stripe,
 * marking each removed node {@link Node#dead}. A fill carries the sequence its lookup read; under the stripe
 * lock it is refused only if an invalidation logged since then matches the node it would insert (or the log
 * no longer reaches back that far). So a walk racing an invalidation never reinstalls what the
 * invalidation removes, and an invalidation that cannot match a fill does not cost it. Proof sketch: a
 * fill reads the sequence under its stripe lock; an invalidation advances it before taking any stripe lock.
 * Either the fill sees the advance (and tests the predicate), or it inserted before the invalidation
 * locked that stripe (and the invalidation removes the node).
 * <p>
 * <b>Replacement</b> when a stripe is full: FIFO within the stripe. The capacity is divided evenly among
 * the stripes (at least {@link #MIN_STRIPE} nodes each). The FIFO is a ring of node references per stripe
 * where a removed node stays, marked dead, until eviction passes it or the ring fills and is compacted.
 * <p>
 * <b>Layout</b>: a lookup reads only the stripe's slot array, its presence words and immutable nodes. The
 * stripe lock, FIFO ring and counters live in a separate {@link Fifo} object, so a fill or an
 * invalidation locking a stripe writes no cache line a lookup reads (beyond the slots it changes).
 * <p>
 * <b>Liveness of a held node</b>: every removal (invalidation, eviction, replacement) sets {@link Node#dead}
 * before the removing call returns, so a per-thread copy (a micro-TLB) stays valid exactly while its node
 * is not dead: an invalidation that removes other nodes does not discard it.
 */
abstract class LinearTable<N extends LinearTable.Node> {

	/** Largest capacity accepted; larger requests are clamped. */
	static final int MAX_CAPACITY = 1 << 22;
	/** Most stripes, and the fewest nodes a stripe holds when there are several. */
	static final int MAX_STRIPES = 16, MIN_STRIPE = 64;
	/** Invalidations a fill can look back over; a fill that started earlier is refused. */
	static final int LOG = 64;

	private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Node[].class);
	private static final VarHandle DEAD;

	static {
		try {
			DEAD = MethodHandles.lookup().findVarHandle(Node.class, "dead", boolean.class);
		} catch (ReflectiveOperationException e) {
			throw new ExceptionInInitializerError(e);
		}
	}

	public static class Node {
		final int hash;
		private volatile boolean dead;

		Node(int hash) {
			this.hash = hash;
		}

		/** Whether the node has left the table (invalidated, evicted or replaced): a copy of it is stale. */
		public final boolean dead() {
			return dead;
		}
	}

	/** One logged invalidation. */
	private record Logged(long seq, Predicate<Object> predicate) {}

	/** One stripe as lookups see it: its slots and presence words; written under its {@link Fifo}'s monitor. */
	static final class Stripe {
		final Node[] slots;
		final int mask;
		// bit k: some node with presence key k (0..63) / k + 64 is held; volatile, written under the lock
		volatile long present0, present1;
		/** The writers' side: lock, FIFO, counts. */
		final Fifo fifo;

		Stripe(Fifo fifo) {
			this.fifo = fifo;
			int length = 2;
			while (length < 2 * fifo.capacity) {
				length <<= 1;
			}
			slots = new Node[length];
			mask = length - 1;
		}

		Node slot(int i) {
			return (Node) SLOTS.getAcquire(slots, i);
		}

		/** Whether a node with presence key {@code k} may be held (exact while no write is in progress). */
		boolean mayHold(int k) {
			return ((k < 64 ? present0 : present1) & (1L << k)) != 0;
		}
	}

	/**
	 * One stripe's writers' side, also its lock: the FIFO ring (oldest at {@code head}; removed nodes stay in
	 * it, dead, until passed or compacted away), the live node count, presence counts and counters.
	 */
	static final class Fifo {
		final int capacity;
		final Node[] ring;
		final int ringMask;
		int head, tail, size;
		final int[] presence = new int[128];
		long insertions, invalidations, evictions, compactions;

		Fifo(int capacity) {
			this.capacity = capacity;
			int length = 2;
			while (length < 2 * capacity) {
				length <<= 1;
			}
			ring = new Node[length];
			ringMask = length - 1;
		}
	}

	final int capacity;
	final Stripe[] stripes;
	private final int stripeShift;
	private final Object invalidationLock = new Object();
	private final AtomicReferenceArray<Logged> log = new AtomicReferenceArray<>(LOG);
	private volatile long generation;

	LinearTable(int capacity) {
		this.capacity = Math.max(0, Math.min(capacity, MAX_CAPACITY));
		int n = 1;
		while (n < MAX_STRIPES && this.capacity / (2 * n) >= MIN_STRIPE) {
			n <<= 1;
		}
		// the writers' sides first, the lookups' side after them: the locks' and rings' lines stay apart from
		// the slots and presence words lookups read
		Fifo[] fifos = new Fifo[n];
		for (int i = 0; i < n; i++) {
			fifos[i] = new Fifo(this.capacity / n + (i < this.capacity % n ? 1 : 0));
		}
		stripes = new Stripe[n];
		for (int i = 0; i < n; i++) {
			stripes[i] = new Stripe(fifos[i]);
		}
		stripeShift = 32 - Integer.numberOfTrailingZeros(n);
	}

	/** Whether two nodes have the same key. */
	abstract boolean sameKey(N a, N b);

	/** A small key (0..127) whose presence readers may test before probing ({@link Stripe#mayHold}), or -1. */
	int presenceKey(N node) {
		return -1;
	}

	public final int capacity() {
		return capacity;
	}

	public final boolean enabled() {
		return capacity > 0;
	}

	/** The invalidation sequence: read it before the walk or decode whose result may be {@link #insert}ed. */
	public final long generation() {
		return generation;
	}

	/** The stripe of a hash (its top bits; the slot index uses the low bits). */
	final Stripe stripe(int hash) {
		return stripeShift == 32 ? stripes[0] : stripes[hash >>> stripeShift];
	}

	/** Fibonacci hashing: the high half of the product, whose bits depend on every bit of {@code z}. */
	static int mix(long z) {
		return (int) ((z * 0x9e3779b97f4a7c15L) >>> 32);
	}

	/**
	 * Inserts (or replaces the node with the same key), evicting its stripe's oldest node when the stripe is
	 * full. Refused when the table is disabled, when an invalidation logged since {@code readGeneration} was
	 * read matches the node, or when {@code source} (the node of another table the node was derived from,
	 * e.g. the configuration a TLB entry was walked with; may be null) is dead.
	 */
	@SuppressWarnings("unchecked")
	final boolean insert(N node, long readGeneration, Node source) {
		if (capacity == 0) {
			return false;
		}
		Stripe s = stripe(node.hash);
		Fifo f = s.fifo;
		synchronized (f) {
			long now = generation;
			if (now != readGeneration && !survives(node, readGeneration, now)) {
				return false;
			}
			// after the sequence: an invalidation of the source that returned before the sequence was read has
			// marked it dead; one after it is in the log (if it matches this node, e.g. a TLBI after a CFGI)
			if (source != null && source.dead) {
				return false;
			}
			Node[] slots = s.slots;
			int mask = s.mask;
			for (int i = node.hash & mask;; i = (i + 1) & mask) {
				Node n = slots[i];
				if (n == null) {
					break;
				}
				if (sameKey((N) n, node)) {
					remove(s, n, i);
					break;
				}
			}
			if (f.size == f.capacity) {
				Node oldest = pollOldest(f);
				remove(s, oldest, indexOf(s, oldest));
				f.evictions++;
			}
			int i = node.hash & mask;
			while (slots[i] != null) {
				i = (i + 1) & mask;
			}
			SLOTS.setRelease(slots, i, node);
			if (f.tail - f.head == f.ring.length) {
				compact(f);
			}
			f.ring[f.tail++ & f.ringMask] = node;
			f.size++;
			f.insertions++;
			int k = presenceKey(node);
			if (k >= 0 && f.presence[k]++ == 0) {
				if (k < 64) {
					s.present0 |= 1L << k;
				} else {
					s.present1 |= 1L << k;
				}
			}
			return true;
		}
	}

	/** Takes the oldest live node off the ring (dropping the dead ones before it); the stripe is not empty. */
	private static Node pollOldest(Fifo f) {
		for (;;) {
			int i = f.head++ & f.ringMask;
			Node n = f.ring[i];
			f.ring[i] = null;
			if (!n.dead) {
				return n;
			}
		}
	}

	/** Squeezes the dead nodes out of a full ring, keeping the live ones in order. */
	private static void compact(Fifo f) {
		Node[] ring = f.ring;
		int m = f.ringMask;
		int to = f.head;
		for (int from = f.head; from != f.tail; from++) {
			Node n = ring[from & m];
			if (!n.dead) {
				ring[to++ & m] = n;
			}
		}
		for (int i = to; i != f.tail; i++) {
			ring[i & m] = null;
		}
		f.tail = to;
		f.compactions++;
	}

	/** Whether no invalidation logged in (from, to] matches {@code node}; false when the log has moved past. */
	private boolean survives(Node node, long from, long to) {
		if (to - from > LOG || to < from) {
			return false;
		}
		for (long k = from + 1; k <= to; k++) {
			Logged l = log.get((int) (k & (LOG - 1)));
			if (l == null || l.seq != k || l.predicate.test(node)) {
				return false;
			}
		}
		// the entries read may have been overwritten by invalidations logged meanwhile
		return generation - from <= LOG;
	}

	/** Removes every node matching {@code p}; returns how many were removed. */
	@SuppressWarnings("unchecked")
	final int removeIf(Predicate<N> p) {
		synchronized (invalidationLock) {
			publish((Predicate<Object>) (Predicate<?>) p);
			int n = 0;
			for (Stripe s : stripes) {
				Fifo f = s.fifo;
				synchronized (f) {
					int removed = 0;
					Node[] ring = f.ring;
					for (int i = f.head; i != f.tail; i++) {
						Node x = ring[i & f.ringMask];
						if (!x.dead && p.test((N) x)) {
							remove(s, x, indexOf(s, x));
							removed++;
						}
					}
					// drop the dead nodes at the old end
					while (f.head != f.tail && ring[f.head & f.ringMask].dead) {
						ring[f.head++ & f.ringMask] = null;
					}
					f.invalidations += removed;
					n += removed;
				}
			}
			return n;
		}
	}

	/** Removes everything. */
	final void clear() {
		synchronized (invalidationLock) {
			publish(x -> true);
			for (Stripe s : stripes) {
				Fifo f = s.fifo;
				synchronized (f) {
					for (int i = f.head; i != f.tail; i++) {
						DEAD.setVolatile(f.ring[i & f.ringMask], true);
					}
					for (int i = 0; i < s.slots.length; i++) {
						SLOTS.setRelease(s.slots, i, null);
					}
					java.util.Arrays.fill(f.ring, null);
					f.head = f.tail = 0;
					f.invalidations += f.size;
					f.size = 0;
					java.util.Arrays.fill(f.presence, 0);
					s.present0 = 0;
					s.present1 = 0;
				}
			}
		}
	}

	/** Logs an invalidation and advances the sequence; invalidation lock held. */
	private void publish(Predicate<Object> p) {
		long seq = generation + 1;
		log.set((int) (seq & (LOG - 1)), new Logged(seq, p));
		generation = seq;
	}

	private static int indexOf(Stripe s, Node node) {
		for (int i = node.hash & s.mask;; i = (i + 1) & s.mask) {
			if (s.slots[i] == node) {
				return i;
			}
		}
	}

	/** Takes a node out of the slots (it stays in the ring, dead). */
	@SuppressWarnings("unchecked")
	private void remove(Stripe s, Node node, int i) {
		DEAD.setVolatile(node, true);
		Node[] slots = s.slots;
		int mask = s.mask;
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
		Fifo f = s.fifo;
		f.size--;
		int k = presenceKey((N) node);
		if (k >= 0 && --f.presence[k] == 0) {
			if (k < 64) {
				s.present0 &= ~(1L << k);
			} else {
				s.present1 &= ~(1L << k);
			}
		}
	}

	private interface Sum {
		long of(Fifo f);
	}

	private long sum(Sum g) {
		long n = 0;
		for (Stripe s : stripes) {
			Fifo f = s.fifo;
			synchronized (f) {
				n += g.of(f);
			}
		}
		return n;
	}

	public final int size() {
		return (int) sum(f -> f.size);
	}

	public final long insertions() {
		return sum(f -> f.insertions);
	}

	/** Nodes removed by invalidations (not evictions). */
	public final long invalidations() {
		return sum(f -> f.invalidations);
	}

	public final long evictions() {
		return sum(f -> f.evictions);
	}

	/** Times a stripe's FIFO ring was compacted. */
	final long compactions() {
		return sum(f -> f.compactions);
	}

	/** The live nodes in FIFO order (oldest first), stripe after stripe. */
	@SuppressWarnings("unchecked")
	final java.util.List<N> fifoOrder() {
		java.util.List<N> out = new java.util.ArrayList<>();
		for (Stripe s : stripes) {
			Fifo f = s.fifo;
			synchronized (f) {
				for (int i = f.head; i != f.tail; i++) {
					Node n = f.ring[i & f.ringMask];
					if (!n.dead) {
						out.add((N) n);
					}
				}
			}
		}
		return out;
	}
}
