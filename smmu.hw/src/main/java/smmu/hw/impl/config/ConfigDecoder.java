package smmu.hw.impl.config;

import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.MemoryAbort;
import smmu.hw.PhysicalMemory;
import smmu.hw.SmmuSpec;
import smmu.hw.TableEntry;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.hw.impl.cache.Tlb;
import smmu.hw.impl.walk.PageTableWalker;
import smmu.hw.impl.walk.S1Regime;
import smmu.hw.impl.walk.S2Regime;
import smmu.hw.impl.walk.TableRegime;
import smmu.hw.impl.walk.WalkResult;
import smmu.hw.impl.xlate.StreamTable;

/**
 * Stream table lookup (linear and 2-level), STE decode, CD table lookup (linear, 4K and 64K leaf tables,
 * through stage 2 when nested) and CD decode, validated as QEMU's decode_ste / decode_cd and the
 * architecture (Arm IHI 0070) where QEMU simplifies. Stateless and thread-safe.
 * <p>
 * Where this departs from QEMU (following the architecture):
 * <ul>
 * <li>A 2-level L2 table holds 2^(Span-1) STEs; a StreamID beyond it is C_BAD_STREAMID (QEMU: C_BAD_STE, 2^Span).</li>
 * <li>STE.Config abort returns an abort without event; S2AA64 = 0 is C_BAD_STE (QEMU asserts).</li>
 * <li>Granules not advertised by IDR5 are invalid; HADx counts only with IDR3.HAD.</li>
 * <li>SubstreamIDs (QEMU uses CD 0 only): S1CDMax, S1DSS, linear and 2-level CD tables (S1Fmt 1 and 2);
 * a SubstreamID on a stream without stage 1, or SubstreamID 0 with S1DSS = SSID0, is C_BAD_SUBSTREAMID;
 * the S1CDMax and S1STALLD checks apply to stage-1 configurations only, S1STALLD only when IDR0.STALL_MODEL != 0.</li>
 * <li>Nested: the stage-1 TTBs stay IPAs (the walker translates every stage-1 table address).</li>
 * </ul>
 */
public final class ConfigDecoder {

	private static final int IDR3_HAD = 1 << 2;
	private static final int STRW_NSEL1 = 0, STRW_EL2 = 2;
	private static final long CD_HAD = 1L << 1;
	private static final int[] SHIFTS_4K = { 12, 21, 30 }, SHIFTS_16K = { 14, 25 }, SHIFTS_64K = { 16, 29 },
			SHIFTS_64K_52 = { 16, 29, 42 };

	private final PhysicalMemory memory;
	private final PageTableWalker walker;
	private final boolean s1p, s2p, hyp, asid16, vmid16, cd2l, had, stallModelFixed;
	private final int sidBits, ssidBits, oasEnc, oasBits, ias;
	private final boolean gran4k, gran16k, gran64k;

	public ConfigDecoder(SmmuSpec spec, PhysicalMemory memory, PageTableWalker walker) {
		this.memory = memory;
		this.walker = walker;
		int idr0 = spec.idr(0), idr1 = spec.idr(1), idr5 = spec.idr(5);
		s1p = Regs.IDR0_S1P.get(idr0) != 0;
		s2p = Regs.IDR0_S2P.get(idr0) != 0;
		hyp = Regs.IDR0_HYP.get(idr0) != 0;
		asid16 = Regs.IDR0_ASID16.get(idr0) != 0;
		vmid16 = Regs.IDR0_VMID16.get(idr0) != 0;
		cd2l = Regs.IDR0_CD2L.get(idr0) != 0;
		stallModelFixed = Regs.IDR0_STALL_MODEL.get(idr0) != 0;
		had = (spec.idr(3) & IDR3_HAD) != 0;
		sidBits = (int) Math.min(Regs.IDR1_SIDSIZE.get(idr1), 32);
		ssidBits = (int) Math.min(Regs.IDR1_SSIDSIZE.get(idr1), 20);
		oasEnc = (int) Math.min(Regs.IDR5_OAS.get(idr5), 6);
		oasBits = Regs.oasBits(oasEnc);
		// IHI 0070 3.4: IAS is OAS with stage 2 only, at least 48 bits when stage 1 is implemented
		ias = s1p ? Math.max(oasBits, 48) : oasBits;
		gran4k = Regs.IDR5_GRAN4K.get(idr5) != 0;
		gran16k = Regs.IDR5_GRAN16K.get(idr5) != 0;
		gran64k = Regs.IDR5_GRAN64K.get(idr5) != 0;
	}

	// ---- stream table

	/** The STE of {@code sid} as the lookup finds it, or the C_BAD_STREAMID / F_STE_FETCH event. */
	public TableEntry findSte(StreamTable table, int sid, int ssid, FetchListener l) {
		long usid = sid & 0xffffffffL;
		int log2 = Math.max(0, Math.min(table.log2size(), sidBits));
		if ((usid >>> log2) != 0) {
			return missing(EventType.C_BAD_STREAMID, sid, ssid, 0);
		}
		long base = table.base() & Regs.STRTAB_BASE_ADDR_MASK;
		long addr;
		if (table.format() == Regs.STRTAB_FMT_2LVL) {
			int split = Math.max(0, Math.min(table.split(), 31));
			long l1 = (base & -(8L << Math.max(0, log2 - split))) + ((usid >>> split) << 3);
			long desc;
			try {
				desc = memory.read64(l1);
			} catch (MemoryAbort e) {
				return missing(EventType.F_STE_FETCH, sid, ssid, l1);
			}
			l.fetched(FetchListener.Kind.L1STD, l1, desc);
			int span = (int) Ste.L1_SPAN.get(desc);
			long index = usid & ((1L << split) - 1);
			// IHI 0070: Span 0 is invalid and an L2 table holds 2^(Span-1) STEs; a StreamID beyond it is
			// C_BAD_STREAMID (QEMU reports C_BAD_STE and allows 2^Span)
			if (span == 0 || (index >>> (span - 1)) != 0) {
				return missing(EventType.C_BAD_STREAMID, sid, ssid, 0);
			}
			addr = (desc & Ste.L1_L2PTR_MASK) + index * Ste.BYTES;
		} else {
			addr = (base & -((long) Ste.BYTES << log2)) + usid * Ste.BYTES;
		}
		long[] w = new long[Ste.WORDS];
		try {
			for (int i = 0; i < Ste.WORDS; i++) {
				w[i] = memory.read64(addr + 8L * i);
			}
		} catch (MemoryAbort e) {
			return missing(EventType.F_STE_FETCH, sid, ssid, addr);
		}
		l.fetched(FetchListener.Kind.STE, addr, w[0]);
		return new TableEntry(addr, w, null);
	}

	private static TableEntry missing(EventType type, int sid, int ssid, long fetchAddress) {
		return new TableEntry(-1, null, Event.config(type, sid, ssid, 0, fetchAddress));
	}

	// ---- configuration

	/**
	 * Looks up and decodes the configuration of ({@code sid}, {@code ssid}) for a transaction at {@code iova}
	 * (reported by stage-2 faults of CD fetches).
	 */
	public Decoded decode(StreamTable table, int sid, int ssid, long iova, boolean write, FetchListener l) {
		return resolve(table, sid, ssid, iova, write, l, false);
	}

	/** The CD a transaction of ({@code sid}, {@code ssid}) uses, undecoded; or the event that stops the lookup. */
	public TableEntry findCd(StreamTable table, int sid, int ssid) {
		Decoded d = resolve(table, sid, ssid, 0, false, FetchListener.NONE, true);
		if (d.cd() != null) {
			return new TableEntry(d.cdAddress(), d.cd(), null);
		}
		if (d.error() != null) {
			return new TableEntry(-1, null, d.error());
		}
		if (d.config().kind() == StreamConfig.DISABLED) {
			return new TableEntry(-1, null, Event.config(EventType.F_STREAM_DISABLED, sid, ssid, 0, 0));
		}
		return new TableEntry(-1, null, null);
	}

	private Decoded resolve(StreamTable table, int sid, int ssid, long iova, boolean write, FetchListener l, boolean cdOnly) {
		TableEntry ste = findSte(table, sid, ssid, l);
		if (ste.error() != null) {
			return Decoded.error(ste.error(), ste.error().type() == EventType.F_STE_FETCH ? "STE fetch aborted" : "StreamID out of range");
		}
		long[] w = ste.words();
		long steAddr = ste.address();
		if (!Ste.V.isSet(w)) {
			return bad(EventType.C_BAD_STE, sid, ssid, "STE.V = 0");
		}
		int config = (int) Ste.CONFIG.get(w);
		if ((config & 4) == 0) {
			return ok(new StreamConfig(StreamConfig.ABORT, null, null, 0, 0, 0, null, null, 0, steAddr, -1));
		}
		if (config == Ste.CFG_BYPASS) {
			return ok(bypass(steAddr));
		}
		boolean st1 = (config & 1) != 0, st2 = (config & 2) != 0;
		if (st1 && !s1p || st2 && !s2p) {
			return bad(EventType.C_BAD_STE, sid, ssid, "STE.Config " + Ste.configName(config) + " not supported");
		}
		int vmid = s2p ? (int) Ste.S2VMID.get(w) & (vmid16 ? 0xffff : 0xff) : 0;
		// IHI 0070 STE.STRW: NS-EL1, or EL2 (EL2-E2H when SMMU_CR2.E2H) with IDR0.HYP and stage 1 only; the
		// Secure and EL3 encodings are reserved for a Non-secure stream
		int strw = (int) Ste.STRW.get(w);
		int kind = st2 ? Tlb.NESTED : Tlb.STAGE1;
		if (strw == STRW_EL2 && st1) {
			if (!hyp || st2) {
				return bad(EventType.C_BAD_STE, sid, ssid, "STE.STRW = EL2 " + (hyp ? "with stage 2" : "without IDR0.HYP"));
			}
			kind = table.e2h() ? Tlb.EL2_E2H : Tlb.EL2;
			// the EL2 regimes are not tagged with a VMID
			vmid = 0;
		} else if (strw != STRW_NSEL1 && st1) {
			return bad(EventType.C_BAD_STE, sid, ssid, "STE.STRW reserved");
		}
		S2Regime s2 = null;
		if (st2) {
			s2 = decodeS2(w, vmid);
			if (s2 == null) {
				return bad(EventType.C_BAD_STE, sid, ssid, "STE stage-2 fields invalid");
			}
		}
		if (!st1) {
			// IHI 0070: a SubstreamID needs stage 1
			if (ssid != Event.NO_SSID) {
				return bad(EventType.C_BAD_SUBSTREAMID, sid, ssid, "SubstreamID on a stream without stage 1");
			}
			return ok(stage2Only(s2, steAddr));
		}
		int cdMax = (int) Ste.S1CDMAX.get(w);
		int fmt = (int) Ste.S1FMT.get(w);
		int dss = (int) Ste.S1DSS.get(w);
		// QEMU: several CDs need SSID support; IHI 0070: S1Fmt 3 and S1DSS 3 reserved, 2-level CD tables need CD2L
		if (cdMax != 0 && (ssidBits == 0 || fmt == 3 || fmt != Ste.S1FMT_LINEAR && !cd2l || dss == 3)) {
			return bad(EventType.C_BAD_STE, sid, ssid, "STE stage-1 CD table fields invalid");
		}
		// IHI 0070: S1STALLD is ILLEGAL unless STALL_MODEL = 0b00
		if (Ste.S1STALLD.isSet(w) && stallModelFixed) {
			return bad(EventType.C_BAD_STE, sid, ssid, "STE.S1STALLD set without stall support");
		}
		int index;
		if (ssid == Event.NO_SSID) {
			if (cdMax == 0 || dss == Ste.S1DSS_SSID0) {
				index = 0;
			} else if (dss == Ste.S1DSS_TERMINATE) {
				return ok(new StreamConfig(StreamConfig.DISABLED, null, null, vmid, 0, 0, null, null, 0, steAddr, -1));
			} else {
				return ok(s2 == null ? bypass(steAddr) : stage2Only(s2, steAddr));
			}
		} else {
			if (cdMax == 0 || ssid < 0 || (ssid >>> Math.min(cdMax, ssidBits)) != 0) {
				return bad(EventType.C_BAD_SUBSTREAMID, sid, ssid, "SubstreamID out of range");
			}
			// IHI 0070: with S1DSS = SSID0, CD 0 belongs to transactions without a SubstreamID
			if (dss == Ste.S1DSS_SSID0 && ssid == 0) {
				return bad(EventType.C_BAD_SUBSTREAMID, sid, ssid, "SubstreamID 0 with S1DSS = SSID0");
			}
			index = ssid;
		}
		long ptr = Ste.s1ContextPtr(w);
		long cdIpa;
		if (cdMax == 0 || fmt == Ste.S1FMT_LINEAR) {
			cdIpa = ptr + (long) index * Cd.BYTES;
		} else {
			int split = fmt == Ste.S1FMT_64K_L2 ? Cd.L2_CDS_LOG2 : 6;
			long l1Ipa = ptr + ((long) (index >>> split) << 3);
			long l1 = l1Ipa;
			if (s2 != null) {
				WalkResult r = walker.translateS2(s2, l1Ipa, false, Event.CLASS_CD, l);
				if (!r.ok()) {
					return cdStage2Fault(r, sid, ssid, iova, write);
				}
				l1 = r.pa();
			}
			long desc;
			try {
				desc = memory.read64(l1);
			} catch (MemoryAbort e) {
				return fetchAbort(sid, ssid, l1, "L1 CD descriptor fetch aborted");
			}
			l.fetched(FetchListener.Kind.L1CD, l1, desc);
			if ((desc & Cd.L1_V) == 0) {
				return bad(EventType.C_BAD_SUBSTREAMID, sid, ssid, "L1 CD descriptor invalid");
			}
			cdIpa = (desc & Cd.L1_L2PTR_MASK) + ((long) (index & ((1 << split) - 1)) * Cd.BYTES);
		}
		long cdAddr = cdIpa;
		if (s2 != null) {
			WalkResult r = walker.translateS2(s2, cdIpa, false, Event.CLASS_CD, l);
			if (!r.ok()) {
				return cdStage2Fault(r, sid, ssid, iova, write);
			}
			cdAddr = r.pa();
		}
		long[] cd = new long[Cd.WORDS];
		try {
			for (int i = 0; i < Cd.WORDS; i++) {
				cd[i] = memory.read64(cdAddr + 8L * i);
			}
		} catch (MemoryAbort e) {
			return fetchAbort(sid, ssid, cdAddr, "CD fetch aborted");
		}
		l.fetched(FetchListener.Kind.CD, cdAddr, cd[0]);
		if (cdOnly) {
			return new Decoded(null, null, false, "CD", cdAddr, cd);
		}
		S1Regime s1 = decodeCd(cd, kind == Tlb.EL2);
		if (s1 == null) {
			return new Decoded(null, Event.config(EventType.C_BAD_CD, sid, ssid, 0, 0), true, "CD invalid", cdAddr, cd);
		}
		int g0 = granuleOr(s1.tt0(), granuleOr(s1.tt1(), 12));
		int g1 = granuleOr(s1.tt1(), g0);
		int g2 = s2 == null ? 0 : s2.granuleShift();
		int[] shifts0 = probeShifts(g0, g2, s1.oasBits());
		int[] shifts1 = g1 == g0 ? shifts0 : probeShifts(g1, g2, s1.oasBits());
		// EL2 (without E2H) has no ASIDs: every entry is global
		StreamConfig c = new StreamConfig(StreamConfig.TRANSLATE, s1, s2, vmid, kind == Tlb.EL2 ? Tlb.GLOBAL : s1.asid(), kind,
				shifts0, shifts1, ias, steAddr, cdAddr);
		return new Decoded(c, null, false, null, cdAddr, cd);
	}

	private static Decoded ok(StreamConfig c) {
		return new Decoded(c, null, false, null, -1, null);
	}

	private static Decoded bad(EventType type, int sid, int ssid, String reason) {
		return Decoded.error(Event.config(type, sid, ssid, 0, 0), reason);
	}

	private static Decoded fetchAbort(int sid, int ssid, long address, String reason) {
		return Decoded.error(Event.config(EventType.F_CD_FETCH, sid, ssid, address, 0), reason);
	}

	private static Decoded cdStage2Fault(WalkResult r, int sid, int ssid, long iova, boolean write) {
		long address2 = r.fault() == EventType.F_WALK_EABT ? r.fetchAddress() : r.ipa();
		Event e = new Event(r.fault(), sid, ssid, iova, address2, true, Event.CLASS_CD, !write);
		return new Decoded(null, e, r.record(), "stage 2 " + r.fault().name() + " fetching the CD", -1, null);
	}

	private StreamConfig bypass(long steAddr) {
		return new StreamConfig(StreamConfig.BYPASS, null, null, 0, 0, 0, null, null, 0, steAddr, -1);
	}

	private StreamConfig stage2Only(S2Regime s2, long steAddr) {
		int[] shifts = leafShifts(s2.granuleShift(), s2.psBits());
		return new StreamConfig(StreamConfig.TRANSLATE, null, s2, s2.vmid(), Tlb.GLOBAL, Tlb.STAGE2, shifts, shifts, ias, steAddr, -1);
	}

	// ---- STE stage 2 (QEMU decode_ste_s2_cfg)

	private S2Regime decodeS2(long[] w, int vmid) {
		// QEMU asserts on AArch32 stage 2; here it is an invalid STE
		if (!Ste.S2AA64.isSet(w) || Ste.S2ENDI.isSet(w) || Ste.S2S.isSet(w)) {
			return null;
		}
		int g = switch ((int) Ste.S2TG.get(w)) {
			case Ste.S2TG_4K -> 12;
			case Ste.S2TG_16K -> 14;
			case Ste.S2TG_64K -> 16;
			default -> 0;
		};
		int sl0 = (int) Ste.S2SL0.get(w);
		if (!granuleSupported(g) || sl0 == 3) {
			return null;
		}
		int ps = outputBits((int) Ste.S2PS.get(w), g);
		long ttb = Ste.s2ttb(w);
		if ((ttb >>> ps) != 0) {
			return null;
		}
		// QEMU s2t0sz_valid: the IPA size is bounded by the SMMU's OAS (48 bits unless 64K), and at most 48
		int tsz = (int) Ste.S2T0SZ.get(w);
		int maxIpa = g == 16 ? oasBits : Math.min(oasBits, 48);
		if (tsz > 39 || tsz < (g == 16 ? 64 - maxIpa : Math.max(64 - maxIpa, 16))) {
			return null;
		}
		// IHI 0070: at most 16 concatenated start tables
		int start = (g == 12 ? 2 : 3) - sl0;
		int above = g + (4 - start) * (g - 3);
		if (64 - tsz - above > 4) {
			return null;
		}
		return new S2Regime(vmid, g, tsz, sl0, ps, ttb, Ste.S2AFFD.isSet(w), Ste.S2R.isSet(w));
	}

	/** min(PS encoding, IDR5.OAS) in bits, capped at 48 unless the granule is 64K. */
	private int outputBits(int psEnc, int g) {
		int bits = Regs.oasBits(Math.min(psEnc, oasEnc));
		return g == 16 ? bits : Math.min(bits, 48);
	}

	private boolean granuleSupported(int g) {
		return g == 12 ? gran4k : g == 14 ? gran16k : g == 16 && gran64k;
	}

	// ---- CD (QEMU decode_cd)

	/** @param el2 StreamWorld EL2 (without E2H): one VA range, TTB1 unused (as TTBR0_EL2 alone) */
	private S1Regime decodeCd(long[] cd, boolean el2) {
		if (!Cd.V.isSet(cd) || !Cd.AA64.isSet(cd) || !Cd.A.isSet(cd) || Cd.S.isSet(cd) || Cd.HA.isSet(cd) || Cd.HD.isSet(cd)) {
			return null;
		}
		int ips = (int) Cd.IPS.get(cd);
		TableRegime tt0 = decodeTt(cd, 0, ips);
		TableRegime tt1 = el2 ? new TableRegime(false, 0, 64, 12, false) : decodeTt(cd, 1, ips);
		if (tt0 == null || tt1 == null) {
			return null;
		}
		boolean all64k = (!tt0.enabled() || tt0.granuleShift() == 16) && (!tt1.enabled() || tt1.granuleShift() == 16)
				&& (tt0.enabled() || tt1.enabled());
		int oas = outputBits(ips, all64k ? 16 : 12);
		int asid = (int) Cd.ASID.get(cd) & (asid16 ? 0xffff : 0xff);
		return new S1Regime(asid, tt0, tt1, oas, Cd.TBI0.isSet(cd), Cd.TBI1.isSet(cd), Cd.AFFD.isSet(cd), Cd.R.isSet(cd));
	}

	/** TTB0 or TTB1 of a CD; null if invalid. EPDx = 1 disables it without checking its fields. */
	private TableRegime decodeTt(long[] cd, int n, int ips) {
		boolean epd = (n == 0 ? Cd.EPD0 : Cd.EPD1).isSet(cd);
		int tsz = (int) (n == 0 ? Cd.T0SZ : Cd.T1SZ).get(cd);
		int bytes = n == 0 ? Cd.tg0Granule((int) Cd.TG0.get(cd)) : Cd.tg1Granule((int) Cd.TG1.get(cd));
		int g = bytes == 0 ? 0 : Integer.numberOfTrailingZeros(bytes);
		long ttb = n == 0 ? Cd.ttb0(cd) : Cd.ttb1(cd);
		boolean hadBit = had && (cd[1 + n] & CD_HAD) != 0;
		if (epd) {
			return new TableRegime(false, ttb, tsz, g == 0 ? 12 : g, hadBit);
		}
		if (tsz < 16 || tsz > 39 || !granuleSupported(g) || Cd.ENDI.isSet(cd)) {
			return null;
		}
		if ((ttb >>> outputBits(ips, g)) != 0) {
			return null;
		}
		return new TableRegime(true, ttb, tsz, g, hadBit);
	}

	// ---- TLB entry sizes

	private static int granuleOr(TableRegime tt, int otherwise) {
		return tt.enabled() ? tt.granuleShift() : otherwise;
	}

	/** Leaf sizes of a granule: 4K pages, 2M and 1G blocks; 16K, 32M; 64K, 512M and (52-bit output) 4T. */
	static int[] leafShifts(int g, int outBits) {
		return g == 14 ? SHIFTS_16K : g == 16 ? (outBits > 48 ? SHIFTS_64K_52 : SHIFTS_64K) : SHIFTS_4K;
	}

	/**
	 * The TLB entry sizes of a stage-1 granule; with a smaller stage-2 granule the smallest size is that
	 * granule (a nested mapping is the smaller of the two leaves, and an entry may cover less than it).
	 */
	static int[] probeShifts(int g1, int g2, int outBits) {
		int[] s = leafShifts(g1, outBits);
		if (g2 != 0 && g2 < s[0]) {
			s = s.clone();
			s[0] = g2;
		}
		return s;
	}
}
