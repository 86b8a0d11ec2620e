package smmu.hw.arch;

/**
 * SMMUv3 register offsets in page 0 of the MMIO region (Arm IHI 0070) and the fields software uses.
 * Page 1 (offset 0x10000) aliases the queue pointer registers, as QEMU does.
 */
public final class Regs {
	private Regs() {}

	public static final int MMIO_SIZE = 0x20000;

	public static final int IDR0 = 0x00, IDR1 = 0x04, IDR2 = 0x08, IDR3 = 0x0c, IDR4 = 0x10, IDR5 = 0x14;
	public static final int IIDR = 0x18, AIDR = 0x1c;
	public static final int CR0 = 0x20, CR0ACK = 0x24, CR1 = 0x28, CR2 = 0x2c;
	public static final int STATUSR = 0x40, GBPA = 0x44, AGBPA = 0x48;
	public static final int IRQ_CTRL = 0x50, IRQ_CTRLACK = 0x54;
	public static final int GERROR = 0x60, GERRORN = 0x64;
	public static final int GERROR_IRQ_CFG0 = 0x68, GERROR_IRQ_CFG1 = 0x70, GERROR_IRQ_CFG2 = 0x74;
	public static final int STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88;
	public static final int CMDQ_BASE = 0x90, CMDQ_PROD = 0x98, CMDQ_CONS = 0x9c;
	public static final int EVENTQ_BASE = 0xa0, EVENTQ_PROD = 0xa8, EVENTQ_CONS = 0xac;
	public static final int EVENTQ_IRQ_CFG0 = 0xb0, EVENTQ_IRQ_CFG1 = 0xb8, EVENTQ_IRQ_CFG2 = 0xbc;

	// IDR0
	public static final Field IDR0_S2P = Field.of("S2P", 0, 0, 0);
	public static final Field IDR0_S1P = Field.of("S1P", 0, 1, 1);
	public static final Field IDR0_TTF = Field.of("TTF", 0, 3, 2);
	public static final Field IDR0_COHACC = Field.of("COHACC", 0, 4, 4);
	public static final Field IDR0_BTM = Field.of("BTM", 0, 5, 5);
	public static final Field IDR0_HTTU = Field.of("HTTU", 0, 7, 6);
	public static final Field IDR0_HYP = Field.of("HYP", 0, 9, 9);
	public static final Field IDR0_ATS = Field.of("ATS", 0, 10, 10);
	public static final Field IDR0_ASID16 = Field.of("ASID16", 0, 12, 12);
	public static final Field IDR0_MSI = Field.of("MSI", 0, 13, 13);
	public static final Field IDR0_SEV = Field.of("SEV", 0, 14, 14);
	public static final Field IDR0_PRI = Field.of("PRI", 0, 16, 16);
	public static final Field IDR0_VMID16 = Field.of("VMID16", 0, 18, 18);
	public static final Field IDR0_CD2L = Field.of("CD2L", 0, 19, 19);
	public static final Field IDR0_TTENDIAN = Field.of("TTENDIAN", 0, 22, 21);
	public static final Field IDR0_STALL_MODEL = Field.of("STALL_MODEL", 0, 25, 24);
	public static final Field IDR0_TERM_MODEL = Field.of("TERM_MODEL", 0, 26, 26);
	public static final Field IDR0_ST_LEVEL = Field.of("ST_LEVEL", 0, 28, 27);
	// IDR1
	public static final Field IDR1_SIDSIZE = Field.of("SIDSIZE", 0, 5, 0);
	public static final Field IDR1_SSIDSIZE = Field.of("SSIDSIZE", 0, 10, 6);
	public static final Field IDR1_PRIQS = Field.of("PRIQS", 0, 15, 11);
	public static final Field IDR1_EVENTQS = Field.of("EVENTQS", 0, 20, 16);
	public static final Field IDR1_CMDQS = Field.of("CMDQS", 0, 25, 21);
	public static final Field IDR1_ATTR_TYPES_OVR = Field.of("ATTR_TYPES_OVR", 0, 27, 27);
	public static final Field IDR1_QUEUES_PRESET = Field.of("QUEUES_PRESET", 0, 29, 29);
	public static final Field IDR1_TABLES_PRESET = Field.of("TABLES_PRESET", 0, 30, 30);
	// IDR3
	public static final Field IDR3_FWB = Field.of("FWB", 0, 8, 8);
	public static final Field IDR3_RIL = Field.of("RIL", 0, 10, 10);
	public static final Field IDR3_BBML = Field.of("BBML", 0, 12, 11);
	// IDR5
	public static final Field IDR5_OAS = Field.of("OAS", 0, 2, 0);
	public static final Field IDR5_GRAN4K = Field.of("GRAN4K", 0, 4, 4);
	public static final Field IDR5_GRAN16K = Field.of("GRAN16K", 0, 5, 5);
	public static final Field IDR5_GRAN64K = Field.of("GRAN64K", 0, 6, 6);
	public static final Field IDR5_VAX = Field.of("VAX", 0, 11, 10);
	// CR0 / CR0ACK
	public static final int CR0_SMMUEN = 1 << 0, CR0_PRIQEN = 1 << 1, CR0_EVENTQEN = 1 << 2, CR0_CMDQEN = 1 << 3,
			CR0_ATSCHK = 1 << 4, CR0_VMW_MASK = 7 << 6;
	// GBPA
	public static final int GBPA_UPDATE = 1 << 31, GBPA_ABORT = 1 << 20;
	public static final int GBPA_RESET = 0x1000;
	// IRQ_CTRL
	public static final int IRQ_CTRL_GERROR_IRQEN = 1, IRQ_CTRL_PRIQ_IRQEN = 2, IRQ_CTRL_EVENTQ_IRQEN = 4;
	// GERROR bits
	public static final int GERROR_CMDQ_ERR = 1 << 0, GERROR_EVENTQ_ABT_ERR = 1 << 2, GERROR_PRIQ_ABT_ERR = 1 << 3,
			GERROR_MSI_CMDQ_ABT_ERR = 1 << 4, GERROR_MSI_EVENTQ_ABT_ERR = 1 << 5, GERROR_MSI_PRIQ_ABT_ERR = 1 << 6,
			GERROR_MSI_GERROR_ABT_ERR = 1 << 7, GERROR_SFM_ERR = 1 << 8;
	// STRTAB_BASE / _CFG
	public static final long STRTAB_BASE_RA = 1L << 62;
	public static final long STRTAB_BASE_ADDR_MASK = 0x000f_ffff_ffff_ffc0L; // [51:6]
	public static final Field STRTAB_CFG_LOG2SIZE = Field.of("LOG2SIZE", 0, 5, 0);
	public static final Field STRTAB_CFG_SPLIT = Field.of("SPLIT", 0, 10, 6);
	public static final Field STRTAB_CFG_FMT = Field.of("FMT", 0, 17, 16);
	public static final int STRTAB_FMT_LINEAR = 0, STRTAB_FMT_2LVL = 1;
	// Queue base registers: RA bit 62, ADDR [51:5], LOG2SIZE [4:0]
	public static final long Q_BASE_RA = 1L << 62;
	public static final long Q_BASE_ADDR_MASK = 0x000f_ffff_ffff_ffe0L;
	public static final Field Q_BASE_LOG2SIZE = Field.of("LOG2SIZE", 0, 4, 0);
	// CMDQ_CONS.ERR
	public static final Field CMDQ_CONS_ERR = Field.of("ERR", 0, 30, 24);
	public static final int CERROR_NONE = 0, CERROR_ILL = 1, CERROR_ABT = 2, CERROR_ATC_INV_SYNC = 3;
	/** Queue PROD/CONS overflow flag (bit 31); EVENTQ_PROD.OVFLG toggles when the queue overflows. */
	public static final int Q_OVF = 1 << 31;

	/** Output address size in bits for an IDR5.OAS / IPS / PS encoding, or -1 if reserved. */
	public static int oasBits(int encoding) {
		return switch (encoding) {
			case 0 -> 32;
			case 1 -> 36;
			case 2 -> 40;
			case 3 -> 42;
			case 4 -> 44;
			case 5 -> 48;
			case 6 -> 52;
			default -> -1;
		};
	}

	/** The IDR5.OAS / PS encoding of an address size in bits, or -1. */
	public static int oasEncoding(int bits) {
		for (int e = 0; e <= 6; e++) {
			if (oasBits(e) == bits) {
				return e;
			}
		}
		return -1;
	}
}
