package smmu.hw.arch;

/** Stream Table Entry: eight little-endian 64-bit words (64 bytes). Bit positions as in arm-smmu-v3.h. */
public final class Ste {
	private Ste() {}

	public static final int WORDS = 8, BYTES = 64;

	public static final Field V = Field.of("V", 0, 0, 0);
	public static final Field CONFIG = Field.of("Config", 0, 3, 1);
	public static final Field S1FMT = Field.of("S1Fmt", 0, 5, 4);
	/** S1ContextPtr bits [51:6] kept in place: use {@link #s1ContextPtr}. */
	public static final Field S1CTXPTR = Field.of("S1ContextPtr", 0, 51, 6);
	public static final Field S1CDMAX = Field.of("S1CDMax", 0, 63, 59);

	public static final Field S1DSS = Field.of("S1DSS", 1, 1, 0);
	public static final Field S1CIR = Field.of("S1CIR", 1, 3, 2);
	public static final Field S1COR = Field.of("S1COR", 1, 5, 4);
	public static final Field S1CSH = Field.of("S1CSH", 1, 7, 6);
	public static final Field MEV = Field.of("MEV", 1, 19, 19);
	public static final Field S2FWB = Field.of("S2FWB", 1, 25, 25);
	public static final Field S1STALLD = Field.of("S1STALLD", 1, 27, 27);
	public static final Field EATS = Field.of("EATS", 1, 29, 28);
	public static final Field STRW = Field.of("STRW", 1, 31, 30);
	public static final Field SHCFG = Field.of("SHCFG", 1, 45, 44);
	public static final Field INSTCFG = Field.of("INSTCFG", 1, 51, 50);

	public static final Field S2VMID = Field.of("S2VMID", 2, 15, 0);
	public static final Field VTCR = Field.of("VTCR", 2, 50, 32);
	public static final Field S2T0SZ = Field.of("S2T0SZ", 2, 37, 32);
	public static final Field S2SL0 = Field.of("S2SL0", 2, 39, 38);
	public static final Field S2IR0 = Field.of("S2IR0", 2, 41, 40);
	public static final Field S2OR0 = Field.of("S2OR0", 2, 43, 42);
	public static final Field S2SH0 = Field.of("S2SH0", 2, 45, 44);
	public static final Field S2TG = Field.of("S2TG", 2, 47, 46);
	public static final Field S2PS = Field.of("S2PS", 2, 50, 48);
	public static final Field S2AA64 = Field.of("S2AA64", 2, 51, 51);
	public static final Field S2ENDI = Field.of("S2ENDI", 2, 52, 52);
	public static final Field S2AFFD = Field.of("S2AFFD", 2, 53, 53);
	public static final Field S2PTW = Field.of("S2PTW", 2, 54, 54);
	public static final Field S2S = Field.of("S2S", 2, 57, 57);
	public static final Field S2R = Field.of("S2R", 2, 58, 58);
	/** S2TTB bits [51:4] kept in place: use {@link #s2ttb}. */
	public static final Field S2TTB = Field.of("S2TTB", 3, 51, 4);

	public static final int CFG_ABORT = 0, CFG_BYPASS = 4, CFG_S1_TRANS = 5, CFG_S2_TRANS = 6, CFG_NESTED = 7;
	public static final int S1FMT_LINEAR = 0, S1FMT_64K_L2 = 2;
	public static final int S1DSS_TERMINATE = 0, S1DSS_BYPASS = 1, S1DSS_SSID0 = 2;
	public static final int EATS_ABT = 0, EATS_TRANS = 1, EATS_S1CHK = 2;
	public static final int S2TG_4K = 0, S2TG_64K = 1, S2TG_16K = 2;

	public static long s1ContextPtr(long[] ste) {
		return ste[0] & S1CTXPTR.mask();
	}

	public static long s2ttb(long[] ste) {
		return ste[3] & S2TTB.mask();
	}

	/** The name of a Config value, for display. */
	public static String configName(int config) {
		return switch (config) {
			case CFG_BYPASS -> "bypass";
			case CFG_S1_TRANS -> "s1";
			case CFG_S2_TRANS -> "s2";
			case CFG_NESTED -> "nested";
			default -> (config & 4) == 0 ? "abort" : "reserved(" + config + ")";
		};
	}

	/** L1 stream table descriptor (8 bytes): SPAN[4:0], L2Ptr[51:6]. */
	public static final Field L1_SPAN = Field.of("Span", 0, 4, 0);
	public static final long L1_L2PTR_MASK = 0x000f_ffff_ffff_ffc0L;
}
