package smmu.hw.arch;

/**
 * Command queue entries: two little-endian 64-bit words (16 bytes). Opcodes and fields as in
 * arm-smmu-v3.h ({@code CMDQ_0_*}, {@code CMDQ_1_*}) and QEMU's smmuv3-internal.h.
 */
public final class Cmd {
	private Cmd() {}

	public static final int WORDS = 2, BYTES = 16;

	public static final int PREFETCH_CFG = 0x01, PREFETCH_ADDR = 0x02;
	public static final int CFGI_STE = 0x03, CFGI_STE_RANGE = 0x04, CFGI_CD = 0x05, CFGI_CD_ALL = 0x06;
	/** CFGI_ALL is CFGI_STE_RANGE with RANGE = 31. */
	public static final int CFGI_ALL = CFGI_STE_RANGE;
	public static final int TLBI_NH_ALL = 0x10, TLBI_NH_ASID = 0x11, TLBI_NH_VA = 0x12, TLBI_NH_VAA = 0x13;
	public static final int TLBI_EL3_ALL = 0x18, TLBI_EL3_VA = 0x1a;
	public static final int TLBI_EL2_ALL = 0x20, TLBI_EL2_ASID = 0x21, TLBI_EL2_VA = 0x22, TLBI_EL2_VAA = 0x23;
	public static final int TLBI_S12_VMALL = 0x28, TLBI_S2_IPA = 0x2a, TLBI_NSNH_ALL = 0x30;
	public static final int ATC_INV = 0x40, PRI_RESP = 0x41, RESUME = 0x44, STALL_TERM = 0x45, SYNC = 0x46;

	public static final Field OP = Field.of("opcode", 0, 7, 0);
	public static final Field SSEC = Field.of("SSEC", 0, 10, 10);
	public static final Field SSV = Field.of("SSV", 0, 11, 11);
	public static final Field SSID = Field.of("SSID", 0, 31, 12);
	public static final Field SID = Field.of("SID", 0, 63, 32);
	// CFGI
	public static final Field CFGI_LEAF = Field.of("Leaf", 1, 0, 0);
	public static final Field CFGI_RANGE = Field.of("Range", 1, 4, 0);
	// TLBI
	public static final Field TLBI_NUM = Field.of("NUM", 0, 16, 12);
	public static final Field TLBI_SCALE = Field.of("SCALE", 0, 24, 20);
	public static final Field TLBI_VMID = Field.of("VMID", 0, 47, 32);
	public static final Field TLBI_ASID = Field.of("ASID", 0, 63, 48);
	public static final Field TLBI_LEAF = Field.of("Leaf", 1, 0, 0);
	public static final Field TLBI_TTL = Field.of("TTL", 1, 9, 8);
	public static final Field TLBI_TG = Field.of("TG", 1, 11, 10);
	/** VA [63:12] kept in place. */
	public static final long TLBI_VA_MASK = 0xffff_ffff_ffff_f000L;
	/** IPA [51:12] kept in place. */
	public static final long TLBI_IPA_MASK = 0x000f_ffff_ffff_f000L;
	// ATC_INV
	public static final Field ATC_GLOBAL = Field.of("Global", 0, 9, 9);
	public static final Field ATC_SIZE = Field.of("Size", 1, 5, 0);
	// PREFETCH
	public static final Field PREFETCH_SIZE = Field.of("Size", 1, 4, 0);
	// RESUME
	public static final Field RESUME_RESP = Field.of("Resp", 0, 13, 12);
	public static final Field RESUME_STAG = Field.of("STAG", 1, 15, 0);
	// SYNC
	public static final Field SYNC_CS = Field.of("CS", 0, 13, 12);
	public static final Field SYNC_MSH = Field.of("MSH", 0, 23, 22);
	public static final Field SYNC_MSIATTR = Field.of("MSIAttr", 0, 27, 24);
	public static final Field SYNC_MSIDATA = Field.of("MSIData", 0, 63, 32);
	public static final long SYNC_MSIADDR_MASK = 0x000f_ffff_ffff_fffcL;
	public static final int SYNC_CS_NONE = 0, SYNC_CS_IRQ = 1, SYNC_CS_SEV = 2;

	/** Range TLBI TG encodings: 0 = not a range command, 1 = 4K, 2 = 16K, 3 = 64K. */
	public static int tgGranuleShift(int tg) {
		return tg == 0 ? 12 : tg * 2 + 10;
	}

	/** The upstream name of an opcode, or "0x.." for an unknown one. */
	public static String name(int opcode) {
		return switch (opcode) {
			case PREFETCH_CFG -> "PREFETCH_CFG";
			case PREFETCH_ADDR -> "PREFETCH_ADDR";
			case CFGI_STE -> "CFGI_STE";
			case CFGI_STE_RANGE -> "CFGI_STE_RANGE";
			case CFGI_CD -> "CFGI_CD";
			case CFGI_CD_ALL -> "CFGI_CD_ALL";
			case TLBI_NH_ALL -> "TLBI_NH_ALL";
			case TLBI_NH_ASID -> "TLBI_NH_ASID";
			case TLBI_NH_VA -> "TLBI_NH_VA";
			case TLBI_NH_VAA -> "TLBI_NH_VAA";
			case TLBI_EL3_ALL -> "TLBI_EL3_ALL";
			case TLBI_EL3_VA -> "TLBI_EL3_VA";
			case TLBI_EL2_ALL -> "TLBI_EL2_ALL";
			case TLBI_EL2_ASID -> "TLBI_EL2_ASID";
			case TLBI_EL2_VA -> "TLBI_EL2_VA";
			case TLBI_EL2_VAA -> "TLBI_EL2_VAA";
			case TLBI_S12_VMALL -> "TLBI_S12_VMALL";
			case TLBI_S2_IPA -> "TLBI_S2_IPA";
			case TLBI_NSNH_ALL -> "TLBI_NSNH_ALL";
			case ATC_INV -> "ATC_INV";
			case PRI_RESP -> "PRI_RESP";
			case RESUME -> "RESUME";
			case STALL_TERM -> "STALL_TERM";
			case SYNC -> "CMD_SYNC";
			default -> String.format("0x%02x", opcode);
		};
	}
}
