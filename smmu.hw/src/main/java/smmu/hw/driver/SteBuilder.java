package smmu.hw.driver;

import smmu.hw.arch.Ste;

/**
 * Stream Table Entries as arm-smmu-v3's make functions build them ({@code arm_smmu_make_abort_ste},
 * {@code _bypass_ste}, {@code _cdtable_ste}, {@code _s2_domain_ste}, and the iommufd nested ones).
 * Each returns a new 8-word entry; nothing is written to memory.
 */
public final class SteBuilder {
	private SteBuilder() {}

	/** S1CIR/S1COR write-back read-allocate, S1CSH inner shareable, SHCFG incoming, STRW values. */
	public static final int S1C_CACHE_WBRA = 1, SH_ISH = 3, SHCFG_INCOMING = 1, STRW_NSEL1 = 0, STRW_EL2 = 2;

	/** The guest STE bits a nested STE takes over (STRTAB_STE_0/1_NESTING_ALLOWED, EATS excluded: the host sets it). */
	public static final long NESTING_ALLOWED_0 = Ste.V.mask() | Ste.CONFIG.mask() | Ste.S1FMT.mask() | Ste.S1CTXPTR.mask()
			| Ste.S1CDMAX.mask();
	public static final long NESTING_ALLOWED_1 = Ste.S1DSS.mask() | Ste.S1CIR.mask() | Ste.S1COR.mask() | Ste.S1CSH.mask()
			| Ste.S1STALLD.mask();

	private static long[] valid(int config) {
		long[] s = new long[Ste.WORDS];
		Ste.V.set(s, 1);
		Ste.CONFIG.set(s, config);
		return s;
	}

	/** Word 0 = 0x1: V, Config = abort. */
	public static long[] abort() {
		return valid(Ste.CFG_ABORT);
	}

	/** Word 0 = 0x9; SHCFG = incoming when the SMMU has ATTR_TYPES_OVR. */
	public static long[] bypass(boolean attrTypesOvr) {
		long[] s = valid(Ste.CFG_BYPASS);
		if (attrTypesOvr) {
			Ste.SHCFG.set(s, SHCFG_INCOMING);
		}
		return s;
	}

	public static long[] bypass(Features f) {
		return bypass(f.attrTypesOvr());
	}

	/**
	 * A stage-1 STE pointing at a CD table.
	 *
	 * @param cdTable CD table (or L1 CD table) address, 64-byte aligned
	 * @param s1fmt {@link Ste#S1FMT_LINEAR} or {@link Ste#S1FMT_64K_L2}
	 * @param s1cdmax log2 of the number of CDs
	 * @param s1dss {@link Ste#S1DSS_TERMINATE}, {@link Ste#S1DSS_BYPASS} or {@link Ste#S1DSS_SSID0}
	 * @param ats EATS = TRANS
	 * @param s1stalld S1STALLD (the SMMU can stall but the master does not)
	 * @param attrTypesOvr SHCFG = incoming with S1DSS = bypass
	 * @param e2h STRW = EL2, else NS-EL1 with S2VMID 0
	 */
	public static long[] cdTable(long cdTable, int s1fmt, int s1cdmax, int s1dss, boolean ats, boolean s1stalld, boolean attrTypesOvr,
			boolean e2h) {
		long[] s = valid(Ste.CFG_S1_TRANS);
		Ste.S1FMT.set(s, s1fmt);
		s[0] |= cdTable & Ste.S1CTXPTR.mask();
		Ste.S1CDMAX.set(s, s1cdmax);
		Ste.S1DSS.set(s, s1dss);
		Ste.S1CIR.set(s, S1C_CACHE_WBRA);
		Ste.S1COR.set(s, S1C_CACHE_WBRA);
		Ste.S1CSH.set(s, SH_ISH);
		Ste.S1STALLD.set(s, s1stalld ? 1 : 0);
		Ste.EATS.set(s, ats ? Ste.EATS_TRANS : Ste.EATS_ABT);
		if (attrTypesOvr && s1dss == Ste.S1DSS_BYPASS) {
			Ste.SHCFG.set(s, SHCFG_INCOMING);
		}
		Ste.STRW.set(s, e2h ? STRW_EL2 : STRW_NSEL1);
		return s;
	}

	/** {@code arm_smmu_make_cdtable_ste} for a master ({@code masterStall}: the master may stall). */
	public static long[] cdTable(Features f, CdTable t, int s1dss, boolean ats, boolean masterStall) {
		return cdTable(t.base(), t.s1fmt(), t.s1cdmax(), s1dss, ats, f.stalls() && !masterStall, f.attrTypesOvr(), f.e2h());
	}

	/**
	 * A stage-2 STE.
	 *
	 * @param vttbr stage-2 table base
	 * @param vtcr the 19-bit VTCR field ({@link IoPageTable.Vtcr#encode})
	 * @param s2fwb S2FWB (the table has the S2FWB quirk)
	 * @param vmid S2VMID
	 * @param ats EATS = TRANS
	 * @param stall S2S (the master stalls)
	 * @param attrTypesOvr SHCFG = incoming
	 */
	public static long[] s2(long vttbr, long vtcr, boolean s2fwb, int vmid, boolean ats, boolean stall, boolean attrTypesOvr) {
		long[] s = valid(Ste.CFG_S2_TRANS);
		Ste.EATS.set(s, ats ? Ste.EATS_TRANS : Ste.EATS_ABT);
		Ste.S2FWB.set(s, s2fwb ? 1 : 0);
		if (attrTypesOvr) {
			Ste.SHCFG.set(s, SHCFG_INCOMING);
		}
		Ste.S2VMID.set(s, vmid);
		Ste.VTCR.set(s, vtcr);
		Ste.S2AA64.set(s, 1);
		Ste.S2PTW.set(s, 1);
		Ste.S2S.set(s, stall ? 1 : 0);
		Ste.S2R.set(s, 1);
		s[3] = vttbr & Ste.S2TTB.mask();
		return s;
	}

	/** {@code arm_smmu_make_s2_domain_ste} for a stage-2 table. */
	public static long[] s2(Features f, IoPageTable s2, int vmid, boolean ats, boolean masterStall) {
		return s2(s2.vttbr(), s2.vtcr().encode(), s2.hasQuirk(IoPageTable.Quirk.ARM_S2FWB), vmid, ats, masterStall, f.attrTypesOvr());
	}

	/**
	 * A nested STE (Config 7): the stage-2 STE of the parent table with the guest's stage-1 fields
	 * ({@link #NESTING_ALLOWED_0}/{@link #NESTING_ALLOWED_1} of its words 0 and 1) and MEV
	 * ({@code arm_smmu_make_nested_cd_table_ste}).
	 */
	public static long[] nestedCdTable(Features f, long guestWord0, long guestWord1, IoPageTable s2Parent, int vmid, boolean ats,
			boolean masterStall) {
		long[] s = s2(f, s2Parent, vmid, ats, masterStall);
		s[0] = Ste.V.mask() | (long) Ste.CFG_NESTED << Ste.CONFIG.lo();
		s[0] |= guestWord0 & NESTING_ALLOWED_0 & ~Ste.CONFIG.mask();
		s[1] |= guestWord1 & NESTING_ALLOWED_1;
		Ste.MEV.set(s, 1);
		return s;
	}

	/**
	 * The physical STE for a guest STE ({@code arm_smmu_make_nested_domain_ste}): invalid or abort gives
	 * abort, bypass gives the parent's stage-2 STE, stage 1 gives the nested STE.
	 */
	public static long[] nested(Features f, long[] guestSte, IoPageTable s2Parent, int vmid, boolean ats, boolean masterStall) {
		int cfg = Ste.V.isSet(guestSte) ? (int) Ste.CONFIG.get(guestSte) : Ste.CFG_ABORT;
		return switch (cfg) {
			case Ste.CFG_S1_TRANS -> nestedCdTable(f, guestSte[0], guestSte[1], s2Parent, vmid, ats, masterStall);
			case Ste.CFG_BYPASS -> s2(f, s2Parent, vmid, ats, masterStall);
			default -> abort();
		};
	}
}
