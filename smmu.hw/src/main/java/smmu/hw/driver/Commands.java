package smmu.hw.driver;

import java.util.ArrayList;
import java.util.List;

import smmu.hw.arch.Cmd;

/**
 * Command queue entries (two 64-bit words) as arm-smmu-v3's {@code arm_smmu_cmdq_build_cmd} encodes
 * them, and the range-invalidation planner of {@code arm_smmu_domain_tlbi}: range commands with RIL,
 * one command per granule without it, a full invalidation when that would take too many commands.
 */
public final class Commands {
	private Commands() {}

	/** CFGI_STE_RANGE with this range covers every StreamID (CFGI_ALL). */
	public static final int CFGI_RANGE_ALL = 31;
	/** ATC_INV size meaning the whole address space. */
	public static final int ATC_INV_SIZE_ALL = 52;
	/** Range TLBI NUM field maximum. */
	public static final int TLBI_RANGE_NUM_MAX = 31;
	/** CMD_SYNC MSH = inner shareable, MSIATTR = inner/outer write-back, as Linux sets them. */
	public static final int SYNC_MSH_ISH = 3, SYNC_MSIATTR_OIWB = 0xf;
	/** PRI_RESP responses and RESUME actions. */
	public static final int PRI_RESP_DENY = 0, PRI_RESP_FAIL = 1, PRI_RESP_SUCC = 2;
	public static final int RESUME_TERM = 0, RESUME_RETRY = 1, RESUME_ABORT = 2;

	private static long[] op(int opcode) {
		long[] c = new long[Cmd.WORDS];
		c[0] = opcode;
		return c;
	}

	private static long u32(int v) {
		return Integer.toUnsignedLong(v);
	}

	private static void sid(long[] c, int sid) {
		Cmd.SID.set(c, u32(sid));
	}

	public static long[] prefetchCfg(int sid) {
		long[] c = op(Cmd.PREFETCH_CFG);
		sid(c, sid);
		return c;
	}

	public static long[] cfgiSte(int sid, boolean leaf) {
		long[] c = op(Cmd.CFGI_STE);
		sid(c, sid);
		Cmd.CFGI_LEAF.set(c, leaf ? 1 : 0);
		return c;
	}

	/** CFGI_STE_RANGE: StreamIDs [sid & ~(2^(range+1)-1), +2^(range+1)). */
	public static long[] cfgiSteRange(int sid, int range) {
		long[] c = op(Cmd.CFGI_STE_RANGE);
		sid(c, sid);
		Cmd.CFGI_RANGE.set(c, range);
		return c;
	}

	/** CFGI_ALL: CFGI_STE_RANGE with Range = 31. */
	public static long[] cfgiAll() {
		long[] c = op(Cmd.CFGI_ALL);
		Cmd.CFGI_RANGE.set(c, CFGI_RANGE_ALL);
		return c;
	}

	public static long[] cfgiCd(int sid, int ssid, boolean leaf) {
		long[] c = op(Cmd.CFGI_CD);
		Cmd.SSID.set(c, ssid);
		sid(c, sid);
		Cmd.CFGI_LEAF.set(c, leaf ? 1 : 0);
		return c;
	}

	public static long[] cfgiCdAll(int sid) {
		long[] c = op(Cmd.CFGI_CD_ALL);
		sid(c, sid);
		return c;
	}

	public static long[] tlbiNhAll(int vmid) {
		long[] c = op(Cmd.TLBI_NH_ALL);
		Cmd.TLBI_VMID.set(c, vmid);
		return c;
	}

	public static long[] tlbiNhAsid(int vmid, int asid) {
		long[] c = op(Cmd.TLBI_NH_ASID);
		Cmd.TLBI_ASID.set(c, asid);
		Cmd.TLBI_VMID.set(c, vmid);
		return c;
	}

	private static void range(long[] c, long addr, long addrMask, boolean leaf, int tg, int num, int scale, int ttl) {
		Cmd.TLBI_NUM.set(c, num);
		Cmd.TLBI_SCALE.set(c, scale);
		Cmd.TLBI_LEAF.set(c, leaf ? 1 : 0);
		Cmd.TLBI_TTL.set(c, ttl);
		Cmd.TLBI_TG.set(c, tg);
		c[1] |= addr & addrMask;
	}

	/** TLBI_NH_VA; tg = 0 makes it a single-page command, else NUM/SCALE/TTL describe a range. */
	public static long[] tlbiNhVa(int vmid, int asid, long va, boolean leaf, int tg, int num, int scale, int ttl) {
		long[] c = op(Cmd.TLBI_NH_VA);
		Cmd.TLBI_VMID.set(c, vmid);
		Cmd.TLBI_ASID.set(c, asid);
		range(c, va, Cmd.TLBI_VA_MASK, leaf, tg, num, scale, ttl);
		return c;
	}

	public static long[] tlbiNhVa(int vmid, int asid, long va, boolean leaf) {
		return tlbiNhVa(vmid, asid, va, leaf, 0, 0, 0, 0);
	}

	/** TLBI_NH_VAA: all ASIDs of the VMID. */
	public static long[] tlbiNhVaa(int vmid, long va, boolean leaf, int tg, int num, int scale, int ttl) {
		long[] c = op(Cmd.TLBI_NH_VAA);
		Cmd.TLBI_VMID.set(c, vmid);
		range(c, va, Cmd.TLBI_VA_MASK, leaf, tg, num, scale, ttl);
		return c;
	}

	public static long[] tlbiEl2All() {
		return op(Cmd.TLBI_EL2_ALL);
	}

	public static long[] tlbiEl2Asid(int asid) {
		long[] c = op(Cmd.TLBI_EL2_ASID);
		Cmd.TLBI_ASID.set(c, asid);
		return c;
	}

	public static long[] tlbiEl2Va(int asid, long va, boolean leaf, int tg, int num, int scale, int ttl) {
		long[] c = op(Cmd.TLBI_EL2_VA);
		Cmd.TLBI_ASID.set(c, asid);
		range(c, va, Cmd.TLBI_VA_MASK, leaf, tg, num, scale, ttl);
		return c;
	}

	public static long[] tlbiEl2Vaa(long va, boolean leaf, int tg, int num, int scale, int ttl) {
		long[] c = op(Cmd.TLBI_EL2_VAA);
		range(c, va, Cmd.TLBI_VA_MASK, leaf, tg, num, scale, ttl);
		return c;
	}

	public static long[] tlbiS12Vmall(int vmid) {
		long[] c = op(Cmd.TLBI_S12_VMALL);
		Cmd.TLBI_VMID.set(c, vmid);
		return c;
	}

	public static long[] tlbiS2Ipa(int vmid, long ipa, boolean leaf, int tg, int num, int scale, int ttl) {
		long[] c = op(Cmd.TLBI_S2_IPA);
		Cmd.TLBI_VMID.set(c, vmid);
		range(c, ipa, Cmd.TLBI_IPA_MASK, leaf, tg, num, scale, ttl);
		return c;
	}

	public static long[] tlbiS2Ipa(int vmid, long ipa, boolean leaf) {
		return tlbiS2Ipa(vmid, ipa, leaf, 0, 0, 0, 0);
	}

	public static long[] tlbiNsnhAll() {
		return op(Cmd.TLBI_NSNH_ALL);
	}

	/**
	 * ATC_INV.
	 *
	 * @param ssv whether the SSID is valid (without it every PASID's entries in the range go)
	 * @param addr start address (bits [63:12])
	 * @param size log2 of the number of 4 KiB pages, {@link #ATC_INV_SIZE_ALL} for everything
	 */
	public static long[] atcInv(int sid, boolean ssv, int ssid, long addr, int size, boolean global) {
		long[] c = op(Cmd.ATC_INV);
		Cmd.SSV.set(c, ssv ? 1 : 0);
		Cmd.ATC_GLOBAL.set(c, global ? 1 : 0);
		Cmd.SSID.set(c, ssid);
		sid(c, sid);
		Cmd.ATC_SIZE.set(c, size);
		c[1] |= addr & ~0xfffL;
		return c;
	}

	/**
	 * ATC_INV covering [iova, iova + size) as {@code arm_smmu_atc_inv_to_cmd} computes it: the smallest
	 * naturally aligned power-of-two span of 4 KiB pages containing the range; size 0 means all. SSID 0
	 * (IOMMU_NO_PASID) sends the invalidation without a PASID.
	 */
	public static long[] atcInvRange(int sid, int ssid, long iova, long size) {
		boolean ssv = ssid != 0;
		if (size == 0) {
			return atcInv(sid, ssv, ssid, 0, ATC_INV_SIZE_ALL, false);
		}
		long start = iova >>> 12;
		long end = (iova + size - 1) >>> 12;
		int log2Span = 64 - Long.numberOfLeadingZeros(start ^ end);
		long spanMask = log2Span >= 64 ? -1L : (1L << log2Span) - 1;
		start &= ~spanMask;
		return atcInv(sid, ssv, ssid, start << 12, log2Span, false);
	}

	/** CMD_SYNC with explicit completion signal, shareability, MSI attributes, address and data. */
	public static long[] cmdSync(int cs, int msh, int msiAttr, long msiAddr, int msiData) {
		long[] c = op(Cmd.SYNC);
		Cmd.SYNC_CS.set(c, cs);
		Cmd.SYNC_MSH.set(c, msh);
		Cmd.SYNC_MSIATTR.set(c, msiAttr);
		Cmd.SYNC_MSIDATA.set(c, u32(msiData));
		c[1] = msiAddr & Cmd.SYNC_MSIADDR_MASK;
		return c;
	}

	/** CMD_SYNC with Linux's MSH (ISH) and MSIATTR (OIWB). */
	public static long[] cmdSync(int cs, long msiAddr, int msiData) {
		return cmdSync(cs, SYNC_MSH_ISH, SYNC_MSIATTR_OIWB, msiAddr, msiData);
	}

	/** The CMD_SYNC Linux issues without MSI polling: CS = SEV, MSH = ISH, MSIATTR = OIWB. */
	public static long[] cmdSync() {
		return cmdSync(Cmd.SYNC_CS_SEV, 0, 0);
	}

	public static long[] priResp(int sid, boolean ssv, int ssid, int grpid, int resp) {
		long[] c = op(Cmd.PRI_RESP);
		Cmd.SSV.set(c, ssv ? 1 : 0);
		Cmd.SSID.set(c, ssid);
		sid(c, sid);
		c[1] = (grpid & 0x1ffL) | (resp & 3L) << 12;
		return c;
	}

	public static long[] resume(int sid, int stag, int resp) {
		long[] c = op(Cmd.RESUME);
		Cmd.RESUME_RESP.set(c, resp);
		sid(c, sid);
		Cmd.RESUME_STAG.set(c, stag);
		return c;
	}

	public static int opcode(long[] cmd) {
		return (int) Cmd.OP.get(cmd);
	}

	/** One line describing a command, for logs and the shell. */
	public static String describe(long[] c) {
		int op = opcode(c);
		String n = Cmd.name(op);
		return switch (op) {
			case Cmd.PREFETCH_CFG, Cmd.CFGI_CD_ALL -> n + " sid=" + Cmd.SID.get(c);
			case Cmd.CFGI_STE -> n + " sid=" + Cmd.SID.get(c) + " leaf=" + Cmd.CFGI_LEAF.get(c);
			case Cmd.CFGI_STE_RANGE -> Cmd.CFGI_RANGE.get(c) == CFGI_RANGE_ALL ? "CFGI_ALL"
					: n + " sid=" + Cmd.SID.get(c) + " range=" + Cmd.CFGI_RANGE.get(c);
			case Cmd.CFGI_CD -> n + " sid=" + Cmd.SID.get(c) + " ssid=" + Cmd.SSID.get(c) + " leaf=" + Cmd.CFGI_LEAF.get(c);
			case Cmd.TLBI_NH_ALL, Cmd.TLBI_S12_VMALL -> n + " vmid=" + Cmd.TLBI_VMID.get(c);
			case Cmd.TLBI_NH_ASID -> n + " vmid=" + Cmd.TLBI_VMID.get(c) + " asid=" + Cmd.TLBI_ASID.get(c);
			case Cmd.TLBI_EL2_ASID -> n + " asid=" + Cmd.TLBI_ASID.get(c);
			case Cmd.TLBI_NH_VA, Cmd.TLBI_NH_VAA, Cmd.TLBI_EL2_VA, Cmd.TLBI_EL2_VAA, Cmd.TLBI_S2_IPA -> String.format(
					"%s vmid=%d asid=%d addr=0x%x leaf=%d tg=%d num=%d scale=%d ttl=%d", n, Cmd.TLBI_VMID.get(c), Cmd.TLBI_ASID.get(c),
					c[1] & (op == Cmd.TLBI_S2_IPA ? Cmd.TLBI_IPA_MASK : Cmd.TLBI_VA_MASK), Cmd.TLBI_LEAF.get(c), Cmd.TLBI_TG.get(c),
					Cmd.TLBI_NUM.get(c), Cmd.TLBI_SCALE.get(c), Cmd.TLBI_TTL.get(c));
			case Cmd.ATC_INV -> String.format("%s sid=%d ssv=%d ssid=%d addr=0x%x size=%d global=%d", n, Cmd.SID.get(c), Cmd.SSV.get(c),
					Cmd.SSID.get(c), c[1] & ~0xfffL, Cmd.ATC_SIZE.get(c), Cmd.ATC_GLOBAL.get(c));
			case Cmd.SYNC -> String.format("%s cs=%d msiaddr=0x%x msidata=0x%x", n, Cmd.SYNC_CS.get(c), c[1] & Cmd.SYNC_MSIADDR_MASK,
					Cmd.SYNC_MSIDATA.get(c));
			default -> String.format("%s [0x%016x 0x%016x]", n, c[0], c[1]);
		};
	}

	// ---- range invalidation planner

	/** The address-based invalidation of a domain and the full invalidation that replaces it when too big. */
	public enum TlbiKind {
		/** Stage-1 domain at NS-EL1: TLBI_NH_VA, else TLBI_NH_ASID. */
		NH_VA(Cmd.TLBI_NH_VA, Cmd.TLBI_NH_ASID),
		/** Stage-1 domain with E2H: TLBI_EL2_VA, else TLBI_EL2_ASID. */
		EL2_VA(Cmd.TLBI_EL2_VA, Cmd.TLBI_EL2_ASID),
		/** Stage-2 domain: TLBI_S2_IPA, else TLBI_S12_VMALL. */
		S2_IPA(Cmd.TLBI_S2_IPA, Cmd.TLBI_S12_VMALL);

		private final int sizeOpcode, nsizeOpcode;

		TlbiKind(int sizeOpcode, int nsizeOpcode) {
			this.sizeOpcode = sizeOpcode;
			this.nsizeOpcode = nsizeOpcode;
		}

		public int sizeOpcode() {
			return sizeOpcode;
		}

		public int nsizeOpcode() {
			return nsizeOpcode;
		}
	}

	/**
	 * Whether an invalidation of {@code size} bytes at {@code granule} is replaced by the full one
	 * ({@code arm_smmu_inv_size_too_big}): size 0 or -1 means everything; with RIL never; without RIL
	 * when it would take at least {@code granule / 8} commands (512 at 4 KiB, as arm64's MAX_TLBI_OPS).
	 */
	public static boolean tooBig(long size, long granule, boolean ril) {
		if (size == 0 || size == -1) {
			return true;
		}
		if (ril) {
			return false;
		}
		long maxOps = 1L << (63 - Long.numberOfLeadingZeros(granule) - 3);
		return Long.compareUnsigned(size, maxOps * granule) >= 0;
	}

	/**
	 * The commands (without the CMD_SYNC) that invalidate [iova, iova + size) of a domain, as Linux
	 * builds them: with RIL, range commands where each covers {@code (NUM+1) << SCALE} leaf pages, TG the
	 * leaf page size and TTL the level of {@code granule} for leaf invalidations; without RIL one
	 * single-page command per {@code granule}; or one full invalidation when {@link #tooBig}.
	 *
	 * @param vmid VMID (ignored for EL2_VA)
	 * @param asid ASID (ignored for S2_IPA)
	 * @param granule size of the entries that changed (a page or block size)
	 * @param leaf only leaf entries changed
	 * @param pageShift log2 of the domain's smallest page size (12, 14 or 16)
	 * @param ril the SMMU has range invalidation (IDR3.RIL)
	 */
	public static List<long[]> planTlbi(TlbiKind kind, int vmid, int asid, long iova, long size, long granule, boolean leaf, int pageShift,
			boolean ril) {
		List<long[]> out = new ArrayList<>();
		if (tooBig(size, granule, ril)) {
			out.add(switch (kind) {
				case NH_VA -> tlbiNhAsid(vmid, asid);
				case EL2_VA -> tlbiEl2Asid(asid);
				case S2_IPA -> tlbiS12Vmall(vmid);
			});
			return out;
		}
		if (pageShift != 12 && pageShift != 14 && pageShift != 16) {
			throw new IllegalArgumentException("page shift " + pageShift);
		}
		long page = 1L << pageShift;
		if (((iova | size) & (page - 1)) != 0 || Long.bitCount(granule) != 1) {
			throw new IllegalArgumentException(String.format("range [0x%x, +0x%x) granule 0x%x not page aligned", iova, size, granule));
		}
		long end = iova + size;
		long numPages = 0;
		int tg = 0, ttl = 0;
		long invRange = granule;
		if (ril) {
			numPages = size >>> pageShift;
			tg = (pageShift - 10) / 2;
			if (leaf) {
				ttl = 4 - ((63 - Long.numberOfLeadingZeros(granule)) - 3) / (pageShift - 3);
			} else if ((numPages & TLBI_RANGE_NUM_MAX) == 1) {
				numPages++; // avoid NUM = SCALE = TTL = 0 with TG != 0, which is reserved
			}
		}
		while (Long.compareUnsigned(iova, end) < 0) {
			int num = 0, scale = 0;
			if (ril) {
				scale = Long.numberOfTrailingZeros(numPages);
				long chunks = (numPages >>> scale) & TLBI_RANGE_NUM_MAX;
				num = (int) chunks - 1;
				invRange = chunks << (scale + pageShift);
				numPages -= chunks << scale;
			}
			out.add(switch (kind) {
				case NH_VA -> tlbiNhVa(vmid, asid, iova, leaf, tg, num, scale, ttl);
				case EL2_VA -> tlbiEl2Va(asid, iova, leaf, tg, num, scale, ttl);
				case S2_IPA -> tlbiS2Ipa(vmid, iova, leaf, tg, num, scale, ttl);
			});
			iova += invRange;
		}
		return out;
	}
}
