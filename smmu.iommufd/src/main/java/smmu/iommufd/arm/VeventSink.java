package smmu.iommufd.arm;

/**
 * Where a vSMMU delivers the event records the host forwards to its VM (the iommufd core implements it
 * with the vIOMMU's ARM_SMMUV3 vEVENTQ).
 */
@FunctionalInterface
public interface VeventSink {
	/**
	 * One event record, four words as the SMMU wrote them, with the StreamID field replaced by the vSID.
	 *
	 * @return false if there is no vEVENTQ to take it (the host then handles the event itself)
	 */
	boolean deliver(long[] evt);
}
