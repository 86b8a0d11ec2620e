package smmu.hw.arch;

/** VMSAv8-64 translation table descriptors (stage 1 and stage 2), as io-pgtable-arm writes them. */
public final class Pte {
	private Pte() {}

	public static final long VALID = 1L;
	public static final long TYPE_MASK = 3L;
	public static final long TYPE_BLOCK = 1L;
	/** Table descriptor at levels 0-2, page descriptor at level 3. */
	public static final long TYPE_TABLE = 3L, TYPE_PAGE = 3L;

	// Lower attributes
	public static final Field S1_ATTRINDX = Field.of("AttrIndx", 0, 4, 2);
	public static final long NS = 1L << 5;
	public static final long S1_AP_UNPRIV = 1L << 6;
	public static final long S1_AP_RDONLY = 1L << 7;
	public static final Field S2_MEMATTR = Field.of("MemAttr", 0, 5, 2);
	public static final long S2_HAP_READ = 1L << 6;
	public static final long S2_HAP_WRITE = 1L << 7;
	public static final Field SH = Field.of("SH", 0, 9, 8);
	public static final long AF = 1L << 10;
	public static final long NG = 1L << 11;
	// Upper attributes
	public static final long DBM = 1L << 51;
	public static final long CONT = 1L << 52;
	public static final long XN = 3L << 53;
	public static final long SW_SYNC = 1L << 55;
	/** Table descriptor APTable [62:61]; bit 62 = read-only at every level below. */
	public static final Field APTABLE = Field.of("APTable", 0, 62, 61);
	public static final long NSTABLE = 1L << 63;

	public static final int ATTRIDX_NC = 0, ATTRIDX_CACHE = 1, ATTRIDX_DEV = 2;
	public static final int MEMATTR_OIWB = 0xf, MEMATTR_NC = 0x5, MEMATTR_DEV = 0x1, MEMATTR_FWB_WB = 0x6;
	public static final int SH_OS = 2, SH_IS = 3;
	/** io-pgtable-arm MAIR: idx0 NC 0x44, idx1 WBRWA 0xff, idx2 DEV 0x04, idx3 INC_OWBRWA 0xf4. */
	public static final long MAIR = 0x0000_0000_f404_ff44L;

	/**
	 * Output address of a descriptor for a granule of {@code 1 << granuleShift} bytes: bits [47:granule],
	 * and with the 64K granule PA[51:48] from descriptor bits [15:12].
	 */
	public static long outputAddress(long desc, int granuleShift) {
		long addr = desc & 0x0000_ffff_ffff_f000L & ~((1L << granuleShift) - 1);
		if (granuleShift == 16) {
			addr |= ((desc >>> 12) & 0xfL) << 48;
		}
		return addr;
	}

	/** Encodes an output address into descriptor address bits (inverse of {@link #outputAddress}). */
	public static long encodeAddress(long pa, int granuleShift) {
		long bits = pa & 0x0000_ffff_ffff_f000L & ~((1L << granuleShift) - 1);
		if (granuleShift == 16) {
			bits |= ((pa >>> 48) & 0xfL) << 12;
		}
		return bits;
	}
}
