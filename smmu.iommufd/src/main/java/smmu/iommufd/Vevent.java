package smmu.iommufd;

import java.util.Arrays;

/**
 * One record read from a vEVENTQ: {@code struct iommufd_vevent_header {u32 flags, u32 sequence}}
 * followed, unless {@code flags} has {@link #FLAG_LOST_EVENTS}, by the event data (ARM_SMMUV3:
 * {@code struct iommu_vevent_arm_smmuv3 { le64 evt[4]; }}, the StreamID field holding the vSID).
 * {@code sequence} counts 0..INT_MAX and wraps to 0.
 */
public record Vevent(int flags, int sequence, long[] evt) {
	public static final int FLAG_LOST_EVENTS = 1 << 0;
	/** Bytes of a header, and of an ARM_SMMUV3 record with its header. */
	public static final int HEADER_BYTES = 8, ARM_SMMUV3_BYTES = HEADER_BYTES + 32;

	public Vevent {
		evt = evt == null ? null : evt.clone();
	}

	@Override
	public long[] evt() {
		return evt == null ? null : evt.clone();
	}

	public boolean lostEvents() {
		return (flags & FLAG_LOST_EVENTS) != 0;
	}

	/** Bytes the record takes in read(). */
	public int bytes() {
		return HEADER_BYTES + (evt == null ? 0 : 8 * evt.length);
	}

	@Override
	public boolean equals(Object o) {
		return o instanceof Vevent v && v.flags == flags && v.sequence == sequence && Arrays.equals(v.evt, evt);
	}

	@Override
	public int hashCode() {
		return 31 * (31 * flags + sequence) + Arrays.hashCode(evt);
	}

	@Override
	public String toString() {
		return lostEvents() ? "vevent[" + sequence + " LOST_EVENTS]" : String.format("vevent[%d %s]", sequence, evt == null ? "-" : Arrays.toString(
				Arrays.stream(evt).mapToObj(w -> String.format("0x%016x", w)).toArray()));
	}
}
