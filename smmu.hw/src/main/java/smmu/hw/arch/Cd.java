package smmu.hw.arch;

/** Context Descriptor: eight little-endian 64-bit words (64 bytes). Bit positions as in arm-smmu-v3.h. */
public final class Cd {
	private Cd() {}

	public static final int WORDS = 8, BYTES = 64;

	public static final Field T0SZ = Field.of("T0SZ", 0, 5, 0);
	public static final Field TG0 = Field.of("TG0", 0, 7, 6);
	public static final Field IRGN0 = Field.of("IRGN0", 0, 9, 8);
	public static final Field ORGN0 = Field.of("ORGN0", 0, 11, 10);
	public static final Field SH0 = Field.of("SH0", 0, 13, 12);
	public static final Field EPD0 = Field.of("EPD0", 0, 14, 14);
	public static final Field ENDI = Field.of("ENDI", 0, 15, 15);
	public static final Field T1SZ = Field.of("T1SZ", 0, 21, 16);
	public static final Field TG1 = Field.of("TG1", 0, 23, 22);
	public static final Field EPD1 = Field.of("EPD1", 0, 30, 30);
	public static final Field V = Field.of("V", 0, 31, 31);
	public static final Field IPS = Field.of("IPS", 0, 34, 32);
	public static final Field AFFD = Field.of("AFFD", 0, 35, 35);
	public static final Field TBI0 = Field.of("TBI0", 0, 38, 38);
	public static final Field TBI1 = Field.of("TBI1", 0, 39, 39);
	public static final Field AA64 = Field.of("AA64", 0, 41, 41);
	public static final Field HD = Field.of("HD", 0, 42, 42);
	public static final Field HA = Field.of("HA", 0, 43, 43);
	public static final Field S = Field.of("S", 0, 44, 44);
	public static final Field R = Field.of("R", 0, 45, 45);
	public static final Field A = Field.of("A", 0, 46, 46);
	public static final Field ASET = Field.of("ASET", 0, 47, 47);
	public static final Field ASID = Field.of("ASID", 0, 63, 48);
	public static final Field HAFT = Field.of("HAFT", 1, 3, 3);
	/** TTB0 bits [51:4] kept in place: use {@link #ttb0}. */
	public static final Field TTB0 = Field.of("TTB0", 1, 51, 4);
	public static final Field TTB1 = Field.of("TTB1", 2, 51, 4);
	public static final Field MAIR = Field.of("MAIR", 3, 63, 0);

	/** TG0 encodings (TTB0): 0 = 4K, 1 = 64K, 2 = 16K. */
	public static final int TG0_4K = 0, TG0_64K = 1, TG0_16K = 2;
	/** TG1 encodings (TTB1): 1 = 16K, 2 = 4K, 3 = 64K. */
	public static final int TG1_16K = 1, TG1_4K = 2, TG1_64K = 3;

	public static long ttb0(long[] cd) {
		return cd[1] & TTB0.mask();
	}

	public static long ttb1(long[] cd) {
		return cd[2] & TTB1.mask();
	}

	/** Level-1 CD table descriptor (8 bytes, 64K_L2 format): V bit 0, L2Ptr [51:12]. 1024 CDs per L2 table. */
	public static final long L1_V = 1;
	public static final long L1_L2PTR_MASK = 0x000f_ffff_ffff_f000L;
	public static final int L2_CDS_LOG2 = 10;

	/** Granule size in bytes for a TG0 encoding, or 0 if reserved. */
	public static int tg0Granule(int tg0) {
		return switch (tg0) {
			case TG0_4K -> 4096;
			case TG0_64K -> 65536;
			case TG0_16K -> 16384;
			default -> 0;
		};
	}

	/** Granule size in bytes for a TG1 encoding, or 0 if reserved. */
	public static int tg1Granule(int tg1) {
		return switch (tg1) {
			case TG1_16K -> 16384;
			case TG1_4K -> 4096;
			case TG1_64K -> 65536;
			default -> 0;
		};
	}
}
