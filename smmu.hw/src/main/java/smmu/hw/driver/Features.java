package smmu.hw.driver;

import smmu.hw.arch.Regs;

/**
 * What an SMMU offers, decoded from IDR0..IDR5 as {@code arm_smmu_device_hw_probe} does.
 *
 * @param idr the raw ID registers IDR0..IDR5
 * @param s1p stage-1 translation (IDR0.S1P)
 * @param s2p stage-2 translation (IDR0.S2P)
 * @param nesting both stages
 * @param twoLevelStrtab a 2-level stream table will be used: IDR0.ST_LEVEL = 1 and SIDSIZE > 8
 * @param cd2l 2-level CD tables (IDR0.CD2L)
 * @param hyp EL2 StreamWorld (IDR0.HYP)
 * @param e2h the kernel runs at EL2 with E2H (HYP and requested by the kernel)
 * @param ats PCIe ATS (IDR0.ATS)
 * @param pri PCIe PRI (IDR0.PRI)
 * @param sev WFE wake-up on CMD_SYNC (IDR0.SEV)
 * @param msi MSIs (IDR0.MSI)
 * @param coherent coherent table walks and queue accesses (IDR0.COHACC)
 * @param stalls the stall model allows stalling faults (STALL_MODEL 0 or 2)
 * @param stallForce stalls are forced (STALL_MODEL 2)
 * @param btm broadcast TLB maintenance (IDR0.BTM)
 * @param httu hardware A/D update (IDR0.HTTU: 0 none, 1 A, 2 A+D)
 * @param aarch64Tables the AArch64 table format is supported (IDR0.TTF 2 or 3)
 * @param littleEndianTables little-endian tables are supported (IDR0.TTENDIAN 0 or 2)
 * @param attrTypesOvr incoming attribute overrides (IDR1.ATTR_TYPES_OVR)
 * @param tablesPreset IDR1.TABLES_PRESET (not supported by the driver)
 * @param queuesPreset IDR1.QUEUES_PRESET (not supported by the driver)
 * @param sidBits StreamID bits (IDR1.SIDSIZE)
 * @param ssidBits SubstreamID bits (IDR1.SSIDSIZE)
 * @param cmdqLog2 log2 of the largest command queue (IDR1.CMDQS)
 * @param evtqLog2 log2 of the largest event queue (IDR1.EVENTQS)
 * @param priqLog2 log2 of the largest PRI queue (IDR1.PRIQS)
 * @param asidBits 16 with IDR0.ASID16, else 8
 * @param vmidBits 16 with IDR0.VMID16, else 8
 * @param fwb stage-2 forced write-back (IDR3.FWB)
 * @param ril range invalidation (IDR3.RIL)
 * @param bbml break-before-make level (IDR3.BBML)
 * @param oasBits output address size (IDR5.OAS; reserved encodings read as 48, as Linux truncates)
 * @param ias input (IPA) size: 40 with AArch32 tables, at least oas
 * @param vax 52-bit virtual addresses (IDR5.VAX = 1)
 * @param gran4k 4 KiB granule (IDR5.GRAN4K)
 * @param gran16k 16 KiB granule (IDR5.GRAN16K)
 * @param gran64k 64 KiB granule (IDR5.GRAN64K)
 * @param pgsizeBitmap page sizes of the supported granules, plus 4 TiB with a 52-bit OAS
 */
public record Features(int[] idr, boolean s1p, boolean s2p, boolean nesting, boolean twoLevelStrtab, boolean cd2l, boolean hyp, boolean e2h,
		boolean ats, boolean pri, boolean sev, boolean msi, boolean coherent, boolean stalls, boolean stallForce, boolean btm, int httu,
		boolean aarch64Tables, boolean littleEndianTables, boolean attrTypesOvr, boolean tablesPreset, boolean queuesPreset, int sidBits,
		int ssidBits, int cmdqLog2, int evtqLog2, int priqLog2, int asidBits, int vmidBits, boolean fwb, boolean ril, int bbml, int oasBits,
		int ias, boolean vax, boolean gran4k, boolean gran16k, boolean gran64k, long pgsizeBitmap) {

	public Features {
		idr = idr.clone();
	}

	@Override
	public int[] idr() {
		return idr.clone();
	}

	public boolean asid16() {
		return asidBits == 16;
	}

	public boolean vmid16() {
		return vmidBits == 16;
	}

	/**
	 * Decodes ID registers.
	 *
	 * @param idr IDR0..IDR5
	 * @param kernelE2h the kernel runs in VHE mode at EL2 (used only when IDR0.HYP is set)
	 */
	public static Features decode(int[] idr, boolean kernelE2h) {
		if (idr.length != 6) {
			throw new IllegalArgumentException("IDR0..IDR5 expected");
		}
		int r0 = idr[0], r1 = idr[1], r3 = idr[3], r5 = idr[5];
		boolean s1p = Regs.IDR0_S1P.get(r0) != 0;
		boolean s2p = Regs.IDR0_S2P.get(r0) != 0;
		int ttf = (int) Regs.IDR0_TTF.get(r0);
		int endian = (int) Regs.IDR0_TTENDIAN.get(r0);
		int stallModel = (int) Regs.IDR0_STALL_MODEL.get(r0);
		boolean hyp = Regs.IDR0_HYP.get(r0) != 0;
		int sidBits = (int) Regs.IDR1_SIDSIZE.get(r1);
		int oas = Regs.oasBits((int) Regs.IDR5_OAS.get(r5));
		long pg = 0;
		if (oas < 0) {
			oas = 48;
		}
		if (oas == 52) {
			pg |= IoPageTable.SZ_4T;
		}
		boolean g4 = Regs.IDR5_GRAN4K.get(r5) != 0, g16 = Regs.IDR5_GRAN16K.get(r5) != 0, g64 = Regs.IDR5_GRAN64K.get(r5) != 0;
		if (g64) {
			pg |= IoPageTable.SZ_64K | IoPageTable.SZ_512M;
		}
		if (g16) {
			pg |= IoPageTable.SZ_16K | IoPageTable.SZ_32M;
		}
		if (g4) {
			pg |= IoPageTable.SZ_4K | IoPageTable.SZ_2M | IoPageTable.SZ_1G;
		}
		int ias = Math.max(ttf == 3 ? 40 : 0, oas);
		return new Features(idr, s1p, s2p, s1p && s2p, Regs.IDR0_ST_LEVEL.get(r0) == 1 && sidBits > 8, Regs.IDR0_CD2L.get(r0) != 0, hyp,
				hyp && kernelE2h, Regs.IDR0_ATS.get(r0) != 0, Regs.IDR0_PRI.get(r0) != 0, Regs.IDR0_SEV.get(r0) != 0,
				Regs.IDR0_MSI.get(r0) != 0, Regs.IDR0_COHACC.get(r0) != 0, stallModel == 0 || stallModel == 2, stallModel == 2,
				Regs.IDR0_BTM.get(r0) != 0, (int) Regs.IDR0_HTTU.get(r0), ttf == 2 || ttf == 3, endian == 0 || endian == 2,
				Regs.IDR1_ATTR_TYPES_OVR.get(r1) != 0, Regs.IDR1_TABLES_PRESET.get(r1) != 0, Regs.IDR1_QUEUES_PRESET.get(r1) != 0, sidBits,
				(int) Regs.IDR1_SSIDSIZE.get(r1), (int) Regs.IDR1_CMDQS.get(r1), (int) Regs.IDR1_EVENTQS.get(r1),
				(int) Regs.IDR1_PRIQS.get(r1), Regs.IDR0_ASID16.get(r0) != 0 ? 16 : 8, Regs.IDR0_VMID16.get(r0) != 0 ? 16 : 8,
				Regs.IDR3_FWB.get(r3) != 0, Regs.IDR3_RIL.get(r3) != 0, (int) Regs.IDR3_BBML.get(r3), oas, ias,
				Regs.IDR5_VAX.get(r5) == 1, g4, g16, g64, pg);
	}

	/** A copy with SEV, nesting and BTM turned off where asked (IIDR-based errata, {@link Errata}). */
	public Features withErrata(boolean noSev, boolean noNesting, boolean noBtm) {
		return new Features(idr, s1p, s2p, nesting && !noNesting, twoLevelStrtab, cd2l, hyp, e2h, ats, pri, sev && !noSev, msi, coherent, stalls,
				stallForce, btm && !noBtm, httu, aarch64Tables, littleEndianTables, attrTypesOvr, tablesPreset, queuesPreset, sidBits, ssidBits,
				cmdqLog2, evtqLog2, priqLog2, asidBits, vmidBits, fwb, ril, bbml, oasBits, ias, vax, gran4k, gran16k, gran64k, pgsizeBitmap);
	}

	/**
	 * Why the driver cannot use this SMMU (as {@code arm_smmu_device_hw_probe} fails with ENXIO), or
	 * null if it can.
	 */
	public String unsupportedReason() {
		if (tablesPreset || queuesPreset) {
			return "embedded implementation (TABLES_PRESET/QUEUES_PRESET) not supported";
		}
		if (!s1p && !s2p) {
			return "no translation support";
		}
		if (!aarch64Tables) {
			return "AArch64 table format not supported";
		}
		if (!littleEndianTables) {
			return "unknown/unsupported TT endianness";
		}
		if (pgsizeBitmap == 0) {
			return "no supported translation granule";
		}
		return null;
	}

	@Override
	public boolean equals(Object o) {
		return o instanceof Features f && java.util.Arrays.equals(idr, f.idr) && e2h == f.e2h && nesting == f.nesting && sev == f.sev && btm == f.btm;
	}

	@Override
	public int hashCode() {
		return java.util.Arrays.hashCode(idr) * 31 + (e2h ? 1 : 0) + (nesting ? 2 : 0) + (sev ? 4 : 0) + (btm ? 8 : 0);
	}

	@Override
	public String toString() {
		return String.format(
				"Features[s1p=%b s2p=%b nesting=%b 2lvl-strtab=%b cd2l=%b sidbits=%d ssidbits=%d asid=%d vmid=%d ril=%b fwb=%b ats=%b oas=%d ias=%d pgsizes=0x%x cmdq=%d evtq=%d hyp=%b e2h=%b coherent=%b stalls=%b attr-types-ovr=%b]",
				s1p, s2p, nesting, twoLevelStrtab, cd2l, sidBits, ssidBits, asidBits, vmidBits, ril, fwb, ats, oasBits, ias, pgsizeBitmap, cmdqLog2,
				evtqLog2, hyp, e2h, coherent, stalls, attrTypesOvr);
	}
}
