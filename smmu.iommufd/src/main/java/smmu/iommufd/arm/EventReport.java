package smmu.iommufd.arm;

/**
 * What one pass over an SMMU's event queue did.
 *
 * @param forwarded records delivered to a vSMMU's vEVENTQ (StreamID rewritten to the vSID)
 * @param hostHandled records the host kept: no master, no vmaster, stage-2 faults, types not forwarded,
 *        or no vEVENTQ to take them
 */
public record EventReport(int forwarded, int hostHandled) {}
