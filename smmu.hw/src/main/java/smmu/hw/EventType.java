package smmu.hw;

/** SMMUv3 event record types (EVTQ_0_ID), with the architecture's codes. */
public enum EventType {
	F_UUT(0x01), C_BAD_STREAMID(0x02), F_STE_FETCH(0x03), C_BAD_STE(0x04), F_BAD_ATS_TREQ(0x05),
	F_STREAM_DISABLED(0x06), F_TRANSL_FORBIDDEN(0x07), C_BAD_SUBSTREAMID(0x08), F_CD_FETCH(0x09), C_BAD_CD(0x0a),
	F_WALK_EABT(0x0b), F_TRANSLATION(0x10), F_ADDR_SIZE(0x11), F_ACCESS(0x12), F_PERMISSION(0x13),
	F_TLB_CONFLICT(0x20), F_CFG_CONFLICT(0x21), E_PAGE_REQUEST(0x24), F_VMS_FETCH(0x25);

	private final int code;

	EventType(int code) {
		this.code = code;
	}

	public int code() {
		return code;
	}

	/** The type for a code, or null if the code is not an architected event. */
	public static EventType of(int code) {
		for (EventType t : values()) {
			if (t.code == code) {
				return t;
			}
		}
		return null;
	}
}
