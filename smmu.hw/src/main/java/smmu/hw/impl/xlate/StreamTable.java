package smmu.hw.impl.xlate;

/**
 * The stream table as the registers describe it (STRTAB_BASE, STRTAB_BASE_CFG), captured by the
 * register file and handed to the translation engine with each transaction.
 *
 * @param base STRTAB_BASE.ADDR (bits [51:6])
 * @param log2size STRTAB_BASE_CFG.LOG2SIZE
 * @param format STRTAB_BASE_CFG.FMT (0 linear, 1 2-level)
 * @param split STRTAB_BASE_CFG.SPLIT
 * @param e2h SMMU_CR2.E2H with IDR0.HYP: StreamWorld EL2 means EL2-E2H
 */
public record StreamTable(long base, int log2size, int format, int split, boolean e2h) {

	/** A stream table with CR2.E2H = 0. */
	public StreamTable(long base, int log2size, int format, int split) {
		this(base, log2size, format, split, false);
	}
}
