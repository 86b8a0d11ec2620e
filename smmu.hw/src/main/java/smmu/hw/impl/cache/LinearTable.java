package smmu.hw.impl.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Predicate;

/**
 * An open-addressing hash table (linear probing, backward-shift deletion) of immutable nodes, split into
 * stripes by hash, read without locks and written under one stripe's monitor at a time.
 * <p>
 * <b>Readers</b> probe with {@link #home}, {@link #next} and {@link #slot}. Nodes are immutable to readers, so a
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
 * locked that stripe (and the invalidation removes the node). An invalidation that can name every key a
 * matching node may have ({@link Candidates}, asked after publishing) probes only those keys' clusters
 * instead of visiting every node; the same argument holds per cluster. It also still orders evictions: a
 * node it would have removed but that a fill evicted first has a candidate hash, so the invalidation locks
 * the stripe where the eviction marked it dead, and the mark is visible once the invalidation returns.
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
	private static final VarHandle PRESENT = MethodHandles.arrayElementVarHandle(long[].class);
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

	/**
	 * One stripe's writers' side, also its lock: the FIFO ring (oldest at {@code head}; removed nodes stay in
	 * it, dead, until passed or compacted away), the live node count, presence counts and counters.
	 */
	static final class Fifo {
		/** The stripe's number and its first slot. */
		final int stripe, base;
		final int capacity;
		final Node[] ring;
		final int ringMask;
		int head, tail, size;
		final int[] presence = new int[128];
		long insertions, invalidations, evictions, compactions;

		Fifo(int stripe, int base, int capacity) {
			this.stripe = stripe;
			this.base = base;
			this.capacity = capacity;
			int length = 2;
			while (length < 2 * capacity) {
				length <<= 1;
			}
			ring = new Node[length];
			ringMask = length - 1;
		}
	}

	/** Longs between two stripes' presence words: each stripe's pair on its own cache line. */
	private static final int PRESENT_STRIDE = 8;

	final int capacity;
	/**
	 * The lookups' side: every stripe's slots in one array (stripe k at {@code k << slotBits}, linear probing
	 * wraps inside the stripe) and its presence words ({@link #mayHold}); nothing else.
	 */
	private final Node[] slots;
	private final int slotBits, slotMask;
	private final long[] present;
	/** The writers' side, one per stripe. */
	private final Fifo[] fifos;
	private final int stripeShift;
	private final Object invalidationLock = new Object();
	private final AtomicReferenceArray<Logged> log = new AtomicReferenceArray<>(LOG);
	private volatile long generation;

	LinearTable(int capacity) {
		this.capacity = clamp(capacity);
		int n = 1;
		while (n < MAX_STRIPES && this.capacity / (2 * n) >= MIN_STRIPE) {
			n <<= 1;
		}
		int most = (this.capacity + n - 1) / n;
		int length = 2;
		while (length < 2 * most) {
			length <<= 1;
		}
		slotBits = Integer.numberOfTrailingZeros(length);
		slotMask = length - 1;
		// the writers' side first, the lookups' after it, each in its own objects: a fill or invalidation
		// locking a stripe writes no line a lookup reads, except the slots and presence words it changes
		fifos = new Fifo[n];
		for (int i = 0; i < n; i++) {
			fifos[i] = new Fifo(i, i << slotBits, this.capacity / n + (i < this.capacity % n ? 1 : 0));
		}
		slots = new Node[n << slotBits];
		present = new long[(n + 1) * PRESENT_STRIDE];
		stripeShift = 32 - Integer.numberOfTrailingZeros(n);
	}

	static int clamp(int capacity) {
		return Math.max(0, Math.min(capacity, MAX_CAPACITY));
	}

	/** Whether two nodes have the same key. */
	abstract boolean sameKey(N a, N b);

	/** A small key (0..127) whose presence readers may test before probing ({@link #mayHold}), or -1. */
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

	/** The stripe of a hash (its top bits; the slot index inside the stripe uses the low bits). */
	final int stripe(int hash) {
		return (int) ((hash & 0xffff_ffffL) >>> stripeShift);
	}

	/** The home slot of a hash: its stripe's first slot plus its low bits. */
	final int home(int hash) {
		return stripe(hash) << slotBits | (hash & slotMask);
	}

	/** The slot after {@code i} in the same stripe (wrapping inside it). */
	final int next(int i) {
		return (i & ~slotMask) | ((i + 1) & slotMask);
	}

	/** Slots probed at most per lookup: one stripe's. */
	final int stripeLength() {
		return slotMask + 1;
	}

	final Node slot(int i) {
		return (Node) SLOTS.getAcquire(slots, i);
	}

	/** Whether stripe {@code stripe} may hold a node with presence key {@code k} (exact while no write is in progress). */
	final boolean mayHold(int stripe, int k) {
		long w = (long) PRESENT.getVolatile(present, stripe * PRESENT_STRIDE + (k >>> 6));
		return (w & (1L << k)) != 0;
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
		Fifo f = fifos[stripe(node.hash)];
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
			for (int i = home(node.hash);; i = next(i)) {
				Node n = slots[i];
				if (n == null) {
					break;
				}
				if (sameKey((N) n, node)) {
					remove(f, n, i);
					break;
				}
			}
			if (f.size == f.capacity) {
				Node oldest = pollOldest(f);
				remove(f, oldest, indexOf(oldest));
				f.evictions++;
			}
			int i = home(node.hash);
			while (slots[i] != null) {
				i = next(i);
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
				setPresent(f, k, true);
			}
			return true;
		}
	}

	/** Sets or clears one presence bit of the stripe; its lock held. */
	private void setPresent(Fifo f, int k, boolean on) {
		int w = f.stripe * PRESENT_STRIDE + (k >>> 6);
		long bit = 1L << k;
		PRESENT.setVolatile(present, w, on ? present[w] | bit : present[w] & ~bit);
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

	/**
	 * Where the nodes an invalidation removes can be: the hashes of every key a matching node may have.
	 * It is asked after the invalidation is published, so a fill it does not foresee tests the predicate.
	 */
	interface Candidates {
		/** Writes the hashes into {@code out} and returns how many; -1 when there are more or it cannot say. */
		int hashes(int[] out);
	}

	/** Most candidate hashes a targeted invalidation probes; beyond that it visits every node. */
	static final int MAX_CANDIDATES = 64;
	/** The candidates' buffer; the invalidation lock held. */
	private final int[] candidates = new int[MAX_CANDIDATES];

	/** Removes every node matching {@code p}; returns how many were removed. */
	final int removeIf(Predicate<N> p) {
		return removeIf(p, null);
	}

	/**
	 * {@link #removeIf(Predicate)}, probing only the clusters of the hashes {@code where} names (none, or
	 * null: visiting every node). Exact as long as every node {@code p} matches has one of those hashes.
	 */
	@SuppressWarnings("unchecked")
	final int removeIf(Predicate<N> p, Candidates where) {
		synchronized (invalidationLock) {
			publish((Predicate<Object>) (Predicate<?>) p);
			int count = where == null ? -1 : where.hashes(candidates);
			return count < 0 ? scan(p) : probe(p, candidates, count);
		}
	}

	/** Removes the nodes matching {@code p} in the clusters of {@code hashes[0..count)}; invalidation lock held. */
	@SuppressWarnings("unchecked")
	private int probe(Predicate<N> p, int[] hashes, int count) {
		int n = 0;
		for (int k = 0; k < count; k++) {
			int h = hashes[k];
			Fifo f = fifos[stripe(h)];
			synchronized (f) {
				int removed = 0;
				for (int i = home(h); slots[i] != null;) {
					Node x = slots[i];
					if (x.hash == h && p.test((N) x)) {
						remove(f, x, i); // a later node of the cluster may have moved into slot i: look again
						removed++;
					} else {
						i = next(i);
					}
				}
				f.invalidations += removed;
				n += removed;
			}
		}
		return n;
	}

	/** Removes the nodes matching {@code p}, visiting every stripe's ring; invalidation lock held. */
	@SuppressWarnings("unchecked")
	private int scan(Predicate<N> p) {
		int n = 0;
		for (Fifo f : fifos) {
			synchronized (f) {
				int removed = 0;
				Node[] ring = f.ring;
				for (int i = f.head; i != f.tail; i++) {
					Node x = ring[i & f.ringMask];
					if (!x.dead && p.test((N) x)) {
						remove(f, x, indexOf(x));
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

	/** Removes everything. */
	final void clear() {
		synchronized (invalidationLock) {
			publish(x -> true);
			for (Fifo f : fifos) {
				synchronized (f) {
					for (int i = f.head; i != f.tail; i++) {
						DEAD.setVolatile(f.ring[i & f.ringMask], true);
					}
					for (int i = f.base; i <= f.base + slotMask; i++) {
						SLOTS.setRelease(slots, i, null);
					}
					java.util.Arrays.fill(f.ring, null);
					f.head = f.tail = 0;
					f.invalidations += f.size;
					f.size = 0;
					java.util.Arrays.fill(f.presence, 0);
					PRESENT.setVolatile(present, f.stripe * PRESENT_STRIDE, 0L);
					PRESENT.setVolatile(present, f.stripe * PRESENT_STRIDE + 1, 0L);
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

	private int indexOf(Node node) {
		for (int i = home(node.hash);; i = next(i)) {
			if (slots[i] == node) {
				return i;
			}
		}
	}

	/** Takes a node out of the slots (it stays in the ring, dead); its stripe's lock held. */
	@SuppressWarnings("unchecked")
	private void remove(Fifo f, Node node, int i) {
		DEAD.setVolatile(node, true);
		int mask = slotMask, base = f.base;
		// backward-shift deletion inside the stripe (offsets from its base): fill the hole with a later node
		// of the cluster whose home is not in (hole, j]
		int hole = i - base, j = hole;
		for (;;) {
			j = (j + 1) & mask;
			Node e = slots[base + j];
			if (e == null) {
				break;
			}
			int k = e.hash & mask;
			boolean stays = hole <= j ? hole < k && k <= j : hole < k || k <= j;
			if (!stays) {
				SLOTS.setRelease(slots, base + hole, e);
				hole = j;
			}
		}
		SLOTS.setRelease(slots, base + hole, null);
		f.size--;
		int k = presenceKey((N) node);
		if (k >= 0 && --f.presence[k] == 0) {
			setPresent(f, k, false);
		}
	}

	private interface Sum {
		long of(Fifo f);
	}

	private long sum(Sum g) {
		long n = 0;
		for (Fifo f : fifos) {
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
		for (Fifo f : fifos) {
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
