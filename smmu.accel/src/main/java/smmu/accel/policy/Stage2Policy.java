package smmu.accel.policy;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Decides how the devices behind each accelerated vSMMU of a VM get their stage 2: vSMMUs given the
 * same key share one guest AddressSpace, so (QEMU's VFIO: one container per AddressSpace) one IOAS and,
 * where the kernel accepts the attach, one nest-parent HWPT. Implementations are services with the
 * property {@value #NAME}; the one the VM manager uses is chosen by configuration.
 */
@ConsumerType
public interface Stage2Policy {
	/** The service property naming a policy ("shared", "per-instance", ...). */
	String NAME = "policy.name";

	/** This policy's name, equal to its {@value #NAME} property. */
	String name();

	/**
	 * The AddressSpace key of a vSMMU: equal keys within one VM share one AddressSpace.
	 *
	 * @param vm the VM's name
	 * @param vsmmu the vSMMU's id (its {@code -device arm-smmuv3,id=})
	 */
	String addressSpaceKey(String vm, String vsmmu);
}
