package smmu.hw.impl.config;

import smmu.hw.impl.walk.S1Regime;
import smmu.hw.impl.walk.S2Regime;

/**
 * The decoded configuration of one (StreamID, SubstreamID): what the configuration cache holds.
 *
 * @param kind {@link #ABORT}, {@link #BYPASS}, {@link #DISABLED} or {@link #TRANSLATE}
 * @param s1 the stage-1 regime (null when stage 1 is bypassed)
 * @param s2 the stage-2 regime (null when stage 2 is bypassed)
 * @param vmid TLB tag: S2VMID when IDR0.S2P, else 0
 * @param asid TLB tag: CD.ASID, or -1 for stage-2-only translation
 * @param tlbKind {@link #TLB_STAGE1}, {@link #TLB_STAGE2} or {@link #TLB_NESTED}
 * @param shifts0 TLB entry sizes (log2, ascending, at most 3) for inputs with VA[55] = 0
 * @param shifts1 the same for inputs with VA[55] = 1
 * @param inputBits for stage-2-only translation, the SMMU's input address size (IAS)
 * @param steAddress where the STE was read
 * @param cdAddress where the CD was read (its PA), or -1
 */
public record StreamConfig(int kind, S1Regime s1, S2Regime s2, int vmid, int asid, int tlbKind, int[] shifts0, int[] shifts1,
		int inputBits, long steAddress, long cdAddress) {

	/** STE.Config abort: terminate without an event. */
	public static final int ABORT = 0;
	/** STE.Config bypass, or S1DSS bypass of a stage-1-only stream. */
	public static final int BYPASS = 1;
	/** S1DSS terminate for a transaction without a SubstreamID: F_STREAM_DISABLED. */
	public static final int DISABLED = 2;
	public static final int TRANSLATE = 3;

	public static final int TLB_STAGE1 = 1, TLB_STAGE2 = 2, TLB_NESTED = 3;

	/** The TLB entry sizes to probe for {@code iova}. */
	public int[] shifts(long iova) {
		return (iova & (1L << 55)) == 0 ? shifts0 : shifts1;
	}
}
