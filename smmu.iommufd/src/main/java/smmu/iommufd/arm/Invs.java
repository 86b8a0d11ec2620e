package smmu.iommufd.arm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

import smmu.hw.arch.Cmd;

/**
 * A per-domain invalidation array ({@code struct arm_smmu_invs}): the (SMMU, type, id) tags the domain's
 * invalidations go to, sorted, each with a user count. {@link #merge} and {@link #purge} return new
 * arrays that the domain publishes copy-on-write; {@link #unref} changes one in place and cannot fail.
 * An entry whose users dropped to 0 is trash: readers skip it, {@link #purge} removes it.
 * <p>
 * Readers (the invalidation fast path) need no lock: they read {@link #size()} and the user counts
 * (volatile/atomic) of an array they got from an {@code AtomicReference}. Writers ({@code merge},
 * {@code unref}, {@code purge}) are serialized by the caller (the attach lock).
 */
public final class Invs {

	/**
	 * Entry types in command order ({@code enum arm_smmu_inv_type}, with the share series' S2_VMID_VSMMU
	 * after S2_VMID): TLBIs before ATC invalidations.
	 */
	public enum Type {
		S1_ASID(Cmd.TLBI_NH_VA, Cmd.TLBI_NH_ASID),
		S2_VMID(Cmd.TLBI_S2_IPA, Cmd.TLBI_S12_VMALL),
		S2_VMID_VSMMU(Cmd.TLBI_S2_IPA, Cmd.TLBI_S12_VMALL),
		S2_VMID_S1_CLEAR(Cmd.TLBI_NH_ALL, Cmd.TLBI_NH_ALL),
		ATS(Cmd.ATC_INV, Cmd.ATC_INV),
		ATS_FULL(Cmd.ATC_INV, Cmd.ATC_INV);

		private final int sizeOpcode, nsizeOpcode;

		Type(int size, int nsize) {
			this.sizeOpcode = size;
			this.nsizeOpcode = nsize;
		}

		/** The opcode of an address-based invalidation (NH_VA: EL2_VA with E2H). */
		public int sizeOpcode() {
			return sizeOpcode;
		}

		/** The opcode of a full invalidation of the tag (NH_ASID: EL2_ASID with E2H). */
		public int nsizeOpcode() {
			return nsizeOpcode;
		}

		public boolean ats() {
			return this == ATS || this == ATS_FULL;
		}

		/** An IOTLB tag (ASID or VMID) rather than a companion entry. */
		public boolean tag() {
			return this == S1_ASID || this == S2_VMID || this == S2_VMID_VSMMU;
		}
	}

	/**
	 * One entry's identity.
	 *
	 * @param smmu the SMMU's index in its kernel ({@link ArmSmmuV3#index()}); orders the array as the SMMU pointer does
	 * @param type what to invalidate
	 * @param id ASID, VMID or StreamID (ATS)
	 * @param ssid SubstreamID (ATS types only, else 0)
	 */
	public record Inv(int smmu, Type type, int id, int ssid) implements Comparable<Inv> {
		public Inv {
			if (!type.ats()) {
				ssid = 0;
			}
		}

		/** {@code arm_smmu_inv_cmp}: smmu, type, id, then ssid for ATS types. */
		@Override
		public int compareTo(Inv o) {
			int c = Integer.compare(smmu, o.smmu);
			if (c == 0) {
				c = Integer.compare(type.ordinal(), o.type.ordinal());
			}
			if (c == 0) {
				c = Integer.compareUnsigned(id, o.id);
			}
			if (c == 0 && type.ats()) {
				c = Integer.compareUnsigned(ssid, o.ssid);
			}
			return c;
		}
	}

	private static final Invs EMPTY = new Invs(new Inv[0], new int[0]);

	private final Inv[] inv;
	private final AtomicIntegerArray users;
	private volatile int num;
	private int trashes;
	private final boolean hasAts;

	private Invs(Inv[] inv, int[] users) {
		this.inv = inv;
		this.users = new AtomicIntegerArray(users);
		this.num = inv.length;
		boolean ats = false;
		for (Inv i : inv) {
			ats |= i.type().ats();
		}
		this.hasAts = ats;
	}

	public static Invs empty() {
		return EMPTY;
	}

	/**
	 * An array of the given entries, each with one user (a master's build array). Sorted here;
	 * duplicates are not allowed.
	 */
	public static Invs of(Inv... entries) {
		Inv[] s = entries.clone();
		Arrays.sort(s);
		for (int i = 1; i < s.length; i++) {
			if (s[i - 1].compareTo(s[i]) == 0) {
				throw new IllegalArgumentException("duplicate entry " + s[i]);
			}
		}
		int[] u = new int[s.length];
		Arrays.fill(u, 1);
		return new Invs(s, u);
	}

	/** Entries readers walk: [0, size()), some of which may be trash. */
	public int size() {
		return num;
	}

	/** Capacity (entries including trailing trash). */
	public int capacity() {
		return inv.length;
	}

	public Inv get(int i) {
		return inv[i];
	}

	public int users(int i) {
		return users.get(i);
	}

	/** Trash entries inside [0, size()). */
	public synchronized int trashes() {
		return trashes;
	}

	public boolean hasAts() {
		return hasAts;
	}

	/** The users of an entry, 0 if absent or trash. */
	public int usersOf(Inv e) {
		int n = num;
		for (int i = 0; i < n; i++) {
			if (inv[i].equals(e)) {
				return users.get(i);
			}
		}
		return 0;
	}

	/** Non-trash entries in order, for display and tests. */
	public List<Inv> live() {
		List<Inv> l = new ArrayList<>();
		int n = num;
		for (int i = 0; i < n; i++) {
			if (users.get(i) != 0) {
				l.add(inv[i]);
			}
		}
		return l;
	}

	/**
	 * {@code arm_smmu_invs_merge}: a new array holding the live entries of {@code invs} and the entries of
	 * {@code toMerge}: an entry in both gets one more user, a new one gets 1, trash of {@code invs} that
	 * is not merged again is dropped.
	 */
	public static Invs merge(Invs invs, Invs toMerge) {
		int n = invs.num, m = toMerge.num;
		Inv[] out = new Inv[n + m];
		int[] u = new int[n + m];
		int i = 0, j = 0, k = 0;
		while (i < n || j < m) {
			if (i < n && invs.users.get(i) == 0 && (j >= m || invs.inv[i].compareTo(toMerge.inv[j]) != 0)) {
				i++;
				continue;
			}
			int c = i >= n ? 1 : j >= m ? -1 : invs.inv[i].compareTo(toMerge.inv[j]);
			if (c < 0) {
				out[k] = invs.inv[i];
				u[k++] = invs.users.get(i++);
			} else if (c > 0) {
				out[k] = toMerge.inv[j++];
				u[k++] = 1;
			} else {
				out[k] = invs.inv[i];
				u[k++] = invs.users.get(i++) + 1;
				j++;
			}
		}
		return new Invs(Arrays.copyOf(out, k), Arrays.copyOf(u, k));
	}

	/**
	 * {@code arm_smmu_invs_unref}: one user less for every entry of {@code toUnref} found in {@code invs},
	 * in place. An entry reaching 0 becomes trash and its slot in {@code toUnref} gets users = 0 (the
	 * caller flushes such tags). The size shrinks past trailing trash.
	 */
	public static void unref(Invs invs, Invs toUnref) {
		synchronized (invs) {
			int n = invs.num, m = toUnref.num;
			int i = 0, j = 0;
			while (i < n && j < m) {
				int c = invs.inv[i].compareTo(toUnref.inv[j]);
				if (c < 0) {
					i++;
				} else if (c > 0) {
					j++;
				} else {
					if (invs.users.get(i) > 0 && invs.users.decrementAndGet(i) == 0) {
						invs.trashes++;
						toUnref.users.set(j, 0);
					}
					i++;
					j++;
				}
			}
			while (n > 0 && invs.users.get(n - 1) == 0) {
				n--;
				invs.trashes--;
			}
			invs.num = n;
		}
	}

	/** {@code arm_smmu_invs_purge}: a new array without trash, or null if there is none. */
	public static Invs purge(Invs invs) {
		synchronized (invs) {
			if (invs.trashes == 0) {
				return null;
			}
			int n = invs.num;
			Inv[] out = new Inv[n];
			int[] u = new int[n];
			int k = 0;
			for (int i = 0; i < n; i++) {
				int x = invs.users.get(i);
				if (x != 0) {
					out[k] = invs.inv[i];
					u[k++] = x;
				}
			}
			return new Invs(Arrays.copyOf(out, k), Arrays.copyOf(u, k));
		}
	}

	@Override
	public String toString() {
		StringBuilder b = new StringBuilder("[");
		int n = num;
		for (int i = 0; i < n; i++) {
			Inv e = inv[i];
			b.append(i == 0 ? "" : ", ").append(e.smmu()).append(':').append(e.type()).append(':').append(e.id());
			if (e.type().ats()) {
				b.append('/').append(e.ssid());
			}
			b.append(" x").append(users.get(i));
		}
		return b.append(']').toString();
	}
}
