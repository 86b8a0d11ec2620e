package smmu.hw;

import smmu.hw.arch.Field;

/**
 * An SMMUv3 event record (32 bytes, four little-endian words), as arm-smmu-v3.h lays it out:
 * word 0 ID[7:0], SSV[11], SSID[31:12], SID[63:32]; word 1 STAG[15:0], STALL[31], PnU[33], InD[34],
 * RnW[35], S2[39], CLASS[41:40], TT_READ[44]; word 2 input address; word 3 IPA or fetch address.
 *
 * @param type the event type
 * @param sid the StreamID
 * @param ssid the SubstreamID, or {@link #NO_SSID} when SSV = 0
 * @param address the input address (word 2), or the fetch address for F_CD_FETCH
 * @param address2 the IPA for stage-2 faults, or the fetch address for F_STE_FETCH / F_WALK_EABT (word 3)
 * @param s2 the fault was raised by stage 2
 * @param faultClass what was accessed: {@link #CLASS_CD}, {@link #CLASS_TT} or {@link #CLASS_IN}
 * @param read the access was a read (RnW)
 */
public record Event(EventType type, int sid, int ssid, long address, long address2, boolean s2, int faultClass, boolean read) {

	public static final int NO_SSID = -1;
	public static final int CLASS_CD = 0, CLASS_TT = 1, CLASS_IN = 2;
	public static final int BYTES = 32;

	private static final Field ID = Field.of("ID", 0, 7, 0);
	private static final Field SSV = Field.of("SSV", 0, 11, 11);
	private static final Field SSID = Field.of("SSID", 0, 31, 12);
	private static final Field SID = Field.of("SID", 0, 63, 32);
	private static final Field RNW = Field.of("RnW", 1, 35, 35);
	private static final Field S2 = Field.of("S2", 1, 39, 39);
	private static final Field CLASS = Field.of("CLASS", 1, 41, 40);

	/** A configuration or fetch event with no translation class. */
	public static Event config(EventType type, int sid, int ssid, long address, long address2) {
		return new Event(type, sid, ssid, address, address2, false, CLASS_CD, true);
	}

	public long[] encode() {
		long[] w = new long[4];
		ID.set(w, type.code());
		if (ssid != NO_SSID) {
			SSV.set(w, 1);
			SSID.set(w, ssid & 0xfffff);
		}
		SID.set(w, sid & 0xffffffffL);
		RNW.set(w, read ? 1 : 0);
		S2.set(w, s2 ? 1 : 0);
		CLASS.set(w, faultClass & 3);
		w[2] = address;
		w[3] = address2;
		return w;
	}

	/** Decodes a record; an unknown ID decodes to null. */
	public static Event decode(long[] w) {
		EventType t = EventType.of((int) ID.get(w));
		if (t == null) {
			return null;
		}
		int ssid = SSV.isSet(w) ? (int) SSID.get(w) : NO_SSID;
		return new Event(t, (int) SID.get(w), ssid, w[2], w[3], S2.isSet(w), (int) CLASS.get(w), RNW.isSet(w));
	}
}
