package smmu.hw.driver;

import smmu.hw.arch.Cd;

/** Context Descriptors as {@code arm_smmu_make_s1_cd} builds them. */
public final class CdBuilder {
	private CdBuilder() {}

	/**
	 * A valid AArch64 stage-1 CD using TTB0 only (EPD1), recording faults (R), aborting on faults (A),
	 * ASET = 1 (not shared with CPU broadcast invalidation).
	 *
	 * @param tcr T0SZ/TG0/IRGN0/ORGN0/SH0/IPS
	 * @param ttb0 the table base
	 * @param mair MAIR
	 * @param asid ASID
	 * @param stall S: the master stalls
	 * @param hd HA and HD (the table has the HD quirk)
	 */
	public static long[] s1(IoPageTable.Tcr tcr, long ttb0, long mair, int asid, boolean stall, boolean hd) {
		long[] c = new long[Cd.WORDS];
		Cd.T0SZ.set(c, tcr.tsz());
		Cd.TG0.set(c, tcr.tg());
		Cd.IRGN0.set(c, tcr.irgn());
		Cd.ORGN0.set(c, tcr.orgn());
		Cd.SH0.set(c, tcr.sh());
		Cd.EPD1.set(c, 1);
		Cd.V.set(c, 1);
		Cd.IPS.set(c, tcr.ips());
		Cd.AA64.set(c, 1);
		Cd.S.set(c, stall ? 1 : 0);
		Cd.R.set(c, 1);
		Cd.A.set(c, 1);
		Cd.ASET.set(c, 1);
		Cd.ASID.set(c, asid);
		if (hd) {
			Cd.HA.set(c, 1);
			Cd.HD.set(c, 1);
		}
		c[1] = ttb0 & Cd.TTB0.mask();
		c[3] = mair;
		return c;
	}

	/** The CD for a stage-1 table. */
	public static long[] s1(IoPageTable s1, int asid, boolean stall) {
		return s1(s1.tcr(), s1.ttbr(), s1.mair(), asid, stall, s1.hasQuirk(IoPageTable.Quirk.ARM_HD));
	}

	/** An invalid (all zero) CD, as {@code arm_smmu_clear_cd} writes. */
	public static long[] clear() {
		return new long[Cd.WORDS];
	}
}
