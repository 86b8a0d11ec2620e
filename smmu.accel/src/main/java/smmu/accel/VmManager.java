package smmu.accel;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/** Creates, finds and destroys VMs on the host. */
@ProviderType
public interface VmManager {
	/**
	 * Builds a VM from QEMU options, e.g. {@code -m 256M -object iommufd,id=iommufd0 -device
	 * pxb-pcie,id=pcie.1,bus_nr=1 -device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on -device
	 * vfio-pci,host=0000:01:00.0,id=dev0,bus=pcie.1,iommufd=iommufd0} (split like a shell). Its devices are
	 * cold-plugged; the guest has not booted.
	 *
	 * @throws VmException QEMU's message for a description QEMU refuses or a device it cannot realize
	 *         (nothing is left allocated), or a VM of that name exists
	 */
	VirtualMachine create(String name, String commandLine);

	/** The VMs in creation order. */
	List<VirtualMachine> list();

	Optional<VirtualMachine> get(String name);

	/**
	 * Unplugs every device, closes the VM's iommufd and releases its guest RAM.
	 *
	 * @return false when there is no such VM
	 */
	boolean destroy(String name);

	/** The stage-2 policy name configuration asks for ({@code smmu.policy} {@code active}, default "shared"). */
	String configuredPolicy();

	/** The configured policy when a service of that name is present, else empty (new VMs are then refused). */
	Optional<String> activePolicy();

	/** The names of the stage-2 policy services present, sorted. */
	List<String> policies();

	/** Messages of re-plumbing passes that failed, oldest first. */
	List<String> reported();
}
