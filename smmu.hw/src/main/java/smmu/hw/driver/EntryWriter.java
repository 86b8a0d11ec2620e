package smmu.hw.driver;

import smmu.hw.arch.Cd;
import smmu.hw.arch.Ste;

/**
 * arm-smmu-v3's {@code arm_smmu_write_entry}: changes a live STE or CD into a target one so that the
 * SMMU, which may fetch the entry between any two 64-bit stores, only ever sees the old or the new
 * configuration (in the bits each uses). If exactly one qword's used bits change, the update is
 * hitless (unused bits first, then the critical qword, then the rest); if several do, it is breaking
 * (V = 0, qwords 1..7, qword 0). Each step that changes memory is followed by a sync.
 */
public final class EntryWriter {
	private EntryWriter() {}

	public static final int QWORDS = 8;

	public enum Kind { STE, CD }

	/** How the write went: no used bit changed (one plain step), hitless, or breaking (V = 0 written). */
	public enum Mode { DIRECT, HITLESS, BREAKING }

	/** The path taken and the number of syncs issued (steps that changed something). */
	public record Outcome(Mode mode, int syncs) {}

	/** The entry's storage: single-copy-atomic qword accesses and the invalidation that follows a step. */
	public interface Entry {
		long get(int qword);

		void set(int qword, long value);

		/** Makes the SMMU forget the cached entry (CFGI_STE / CFGI_CD and CMD_SYNC). */
		void sync();
	}

	private static final long STE0_S1 = Ste.S1FMT.mask() | Ste.S1CTXPTR.mask() | Ste.S1CDMAX.mask();
	private static final long STE1_S1 = Ste.S1DSS.mask() | Ste.S1CIR.mask() | Ste.S1COR.mask() | Ste.S1CSH.mask() | Ste.S1STALLD.mask()
			| Ste.STRW.mask() | Ste.EATS.mask() | Ste.MEV.mask() | Ste.INSTCFG.mask();
	private static final long STE1_S2 = Ste.S2FWB.mask() | Ste.EATS.mask() | Ste.SHCFG.mask() | Ste.MEV.mask() | Ste.INSTCFG.mask();
	private static final long STE2_S2 = Ste.S2VMID.mask() | Ste.VTCR.mask() | Ste.S2AA64.mask() | Ste.S2ENDI.mask() | Ste.S2PTW.mask()
			| Ste.S2S.mask() | Ste.S2R.mask();
	private static final long EATS_TRANS = (long) Ste.EATS_TRANS << Ste.EATS.lo();
	private static final long EATS_S1CHK = (long) Ste.EATS_S1CHK << Ste.EATS.lo();
	private static final long CD0_TTB0_CTRL = Cd.T0SZ.mask() | Cd.TG0.mask() | Cd.IRGN0.mask() | Cd.ORGN0.mask() | Cd.SH0.mask();

	/** {@code arm_smmu_get_ste_used}: the bits of {@code ent} the SMMU interprets. */
	public static void steUsed(long[] ent, long[] used) {
		java.util.Arrays.fill(used, 0, QWORDS, 0);
		used[0] = Ste.V.mask();
		if (!Ste.V.isSet(ent)) {
			return;
		}
		used[0] |= Ste.CONFIG.mask();
		int cfg = (int) Ste.CONFIG.get(ent);
		if ((cfg & 1) != 0) {
			used[0] |= STE0_S1;
			used[1] |= STE1_S1;
			used[2] |= Ste.S2VMID.mask();
			if (Ste.S1DSS.get(ent) == Ste.S1DSS_BYPASS) {
				used[1] |= Ste.SHCFG.mask();
			}
		}
		if ((cfg & 2) != 0) {
			used[1] |= STE1_S2;
			used[2] |= STE2_S2;
			used[3] |= Ste.S2TTB.mask();
		}
		if (cfg == Ste.CFG_BYPASS) {
			used[1] |= Ste.SHCFG.mask();
		}
	}

	/**
	 * {@code arm_smmu_get_ste_update_safe}: bits that may change in any order. MEV only merges fault
	 * records; EATS = TRANS is safe unless either entry uses EATS = S1CHK or S2S.
	 */
	public static void steUpdateSafe(long[] cur, long[] target, long[] safe) {
		java.util.Arrays.fill(safe, 0, QWORDS, 0);
		safe[1] |= Ste.MEV.mask();
		if (((cur[1] | target[1]) & EATS_S1CHK) == 0 && ((cur[2] | target[2]) & Ste.S2S.mask()) == 0) {
			safe[1] |= EATS_TRANS;
		}
	}

	/** {@code arm_smmu_get_cd_used}: V alone when invalid, else everything but the TTB0 controls under EPD0. */
	public static void cdUsed(long[] ent, long[] used) {
		java.util.Arrays.fill(used, 0, QWORDS, 0);
		used[0] = Cd.V.mask();
		if (!Cd.V.isSet(ent)) {
			return;
		}
		java.util.Arrays.fill(used, 0, QWORDS, -1L);
		if (Cd.EPD0.isSet(ent)) {
			used[0] &= ~CD0_TTB0_CTRL;
			used[1] &= ~Cd.TTB0.mask();
		}
	}

	public static void used(Kind kind, long[] ent, long[] used) {
		if (kind == Kind.STE) {
			steUsed(ent, used);
		} else {
			cdUsed(ent, used);
		}
	}

	/**
	 * {@code arm_smmu_entry_qword_diff}: fills {@code unusedUpdate} with the current entry where it is in
	 * use and the target elsewhere, and returns the bitmap of qwords whose used bits still differ.
	 */
	public static int qwordDiff(Kind kind, long[] cur, long[] target, long[] unusedUpdate) {
		long[] curUsed = new long[QWORDS], targetUsed = new long[QWORDS], safe = new long[QWORDS];
		used(kind, cur, curUsed);
		used(kind, target, targetUsed);
		if (kind == Kind.STE) {
			steUpdateSafe(cur, target, safe);
		}
		int diff = 0;
		for (int i = 0; i < QWORDS; i++) {
			safe[i] &= targetUsed[i] & curUsed[i];
			curUsed[i] &= ~safe[i];
			unusedUpdate[i] = (cur[i] & curUsed[i]) | (target[i] & ~curUsed[i]);
			if ((unusedUpdate[i] & targetUsed[i]) != target[i]) {
				diff |= 1 << i;
			}
		}
		return diff;
	}

	/** Writes {@code target} into {@code entry} by the algorithm above. */
	public static Outcome write(Kind kind, Entry entry, long[] target) {
		if (target.length != QWORDS) {
			throw new IllegalArgumentException("an entry has 8 qwords");
		}
		long[] cur = new long[QWORDS];
		for (int i = 0; i < QWORDS; i++) {
			cur[i] = entry.get(i);
		}
		long[] unused = new long[QWORDS];
		int diff = qwordDiff(kind, cur, target, unused);
		int syncs = 0;
		Mode mode;
		if (Integer.bitCount(diff) == 1) {
			int critical = Integer.numberOfTrailingZeros(diff);
			unused[critical] = cur[critical];
			syncs += set(entry, cur, unused, 0, QWORDS);
			syncs += set(entry, cur, target, critical, 1);
			syncs += set(entry, cur, target, 0, QWORDS);
			mode = Mode.HITLESS;
		} else if (diff != 0) {
			unused[0] = 0;
			syncs += set(entry, cur, unused, 0, 1);
			syncs += set(entry, cur, target, 1, QWORDS - 1);
			syncs += set(entry, cur, target, 0, 1);
			mode = Mode.BREAKING;
		} else {
			syncs += set(entry, cur, target, 0, QWORDS);
			mode = Mode.DIRECT;
		}
		return new Outcome(mode, syncs);
	}

	private static int set(Entry entry, long[] cur, long[] target, int start, int len) {
		boolean changed = false;
		for (int i = start; i < start + len; i++) {
			if (cur[i] != target[i]) {
				entry.set(i, target[i]);
				cur[i] = target[i];
				changed = true;
			}
		}
		if (changed) {
			entry.sync();
			return 1;
		}
		return 0;
	}
}
