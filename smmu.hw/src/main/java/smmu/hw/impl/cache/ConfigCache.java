package smmu.hw.impl.cache;

/**
 * The configuration cache: a decoded configuration per (StreamID, SubstreamID). See {@link LinearTable} for
 * the concurrency protocol and the FIFO replacement policy.
 *
 * @param <V> the decoded configuration
 */
public final class ConfigCache<V> extends LinearTable<ConfigCache.Slot> {

	/** A cached configuration; {@link #dead()} once it has left the cache. */
	public static final class Slot extends LinearTable.Node {
		final long key;
		final Object value;

		Slot(long key, Object value) {
			super(mix(key ^ key >>> 29));
			this.key = key;
			this.value = value;
		}

		public Object value() {
			return value;
		}

		/** The (StreamID, SubstreamID) of the configuration: {@code sid << 32 | ssid & 0xffffffffL}. */
		public long key() {
			return key;
		}

		int sid() {
			return (int) (key >>> 32);
		}
	}

	public ConfigCache(int capacity) {
		super(capacity);
	}

	private static long key(int sid, int ssid) {
		return (long) sid << 32 | (ssid & 0xffffffffL);
	}

	@Override
	boolean sameKey(Slot a, Slot b) {
		return a.key == b.key;
	}

	/** The configuration of ({@code sid}, {@code ssid}); call {@link #generation()} first. */
	@SuppressWarnings("unchecked")
	public V get(int sid, int ssid) {
		Slot s = slot(sid, ssid);
		return s == null ? null : (V) s.value;
	}

	/** The slot holding the configuration of ({@code sid}, {@code ssid}), or null. */
	public Slot slot(int sid, int ssid) {
		long key = key(sid, ssid);
		int h = mix(key ^ key >>> 29);
		int i = home(h);
		for (int n = stripeLength(); n > 0; n--, i = next(i)) {
			Node x = slot(i);
			if (x == null) {
				return null;
			}
			Slot s = (Slot) x;
			if (s.key == key) {
				return s;
			}
		}
		return null;
	}

	/** Caches a configuration decoded after reading {@code readGeneration}; returns whether it was inserted. */
	public boolean put(int sid, int ssid, V value, long readGeneration) {
		return insert(new Slot(key(sid, ssid), value), readGeneration, null);
	}

	/** Removes every SubstreamID of the StreamIDs {@code first .. last} (unsigned, inclusive). */
	public int invalidateSids(long first, long last) {
		return removeIf(s -> {
			long sid = s.sid() & 0xffffffffL;
			return sid >= first && sid <= last;
		});
	}

	/** Removes the configurations of ({@code sid}, {@code ssidA}) and ({@code sid}, {@code ssidB}). */
	public int invalidate(int sid, int ssidA, int ssidB) {
		long a = key(sid, ssidA), b = key(sid, ssidB);
		return removeIf(s -> s.key == a || s.key == b);
	}

	public void invalidateAll() {
		clear();
	}
}
