package smmu.hw.impl.walk;

import smmu.hw.EventType;

/**
 * The outcome of a table walk: an output address with the attributes a TLB entry keeps, or a fault
 * with what the event record needs.
 *
 * @param ok translated
 * @param pa output address of the access (ok)
 * @param ipa the intermediate address: S1 output when nested (ok or S2 fault), the input for S2-only
 * @param mappingSize size of the mapping a TLB entry may cover: the smaller of the S1 and S2 leaf sizes
 * @param level leaf level of that smaller mapping
 * @param s1Writable stage 1 allows writes (true when stage 1 is off)
 * @param s2Readable stage 2 allows reads (true when stage 2 is off)
 * @param s2Writable stage 2 allows writes (true when stage 2 is off)
 * @param fault the fault type (not ok): F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION, F_WALK_EABT
 * @param s2 the fault was raised by stage 2
 * @param faultClass {@link smmu.hw.Event#CLASS_IN} for the access itself, {@link smmu.hw.Event#CLASS_TT}
 *        for a stage-1 table read translated by stage 2, {@link smmu.hw.Event#CLASS_CD} for a CD fetch
 * @param fetchAddress the descriptor address for F_WALK_EABT
 * @param record the event is recorded (CD.R / STE.S2R for the four translation faults; always for F_WALK_EABT)
 * @param global the stage-1 leaf descriptor has nG = 0 (false without stage 1)
 */
public record WalkResult(boolean ok, long pa, long ipa, long mappingSize, int level, boolean s1Writable, boolean s2Readable,
		boolean s2Writable, EventType fault, boolean s2, int faultClass, long fetchAddress, boolean record, boolean global) {

	public static WalkResult success(long pa, long ipa, long mappingSize, int level, boolean s1Writable, boolean s2Readable,
			boolean s2Writable) {
		return success(pa, ipa, mappingSize, level, s1Writable, s2Readable, s2Writable, false);
	}

	public static WalkResult success(long pa, long ipa, long mappingSize, int level, boolean s1Writable, boolean s2Readable,
			boolean s2Writable, boolean global) {
		return new WalkResult(true, pa, ipa, mappingSize, level, s1Writable, s2Readable, s2Writable, null, false, 0, 0, false, global);
	}

	public static WalkResult fault(EventType fault, boolean s2, int faultClass, long ipa, long fetchAddress, boolean record) {
		return new WalkResult(false, 0, ipa, 0, -1, false, false, false, fault, s2, faultClass, fetchAddress, record, false);
	}
}
