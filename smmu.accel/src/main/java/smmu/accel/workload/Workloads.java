package smmu.accel.workload;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import smmu.accel.VirtualMachine;

/** Starts DMA workloads on VMs of this bundle's VM managers and keeps the list of them. */
@ProviderType
public interface Workloads {
	/**
	 * Starts a workload on a running VM: for STREAM and RANDOM the guest first maps one buffer per device,
	 * then one thread per device issues the DMAs.
	 *
	 * @throws smmu.accel.VmException when the VM does not run, a device does not exist or is not behind a
	 *         vSMMU, or the VM is not one of this bundle's
	 */
	Workload start(VirtualMachine vm, WorkloadSpec spec);

	/** Every workload started, oldest first (finished ones until {@link #clear}). */
	List<Workload> list();

	Optional<Workload> get(int id);

	/** Forgets the workloads that no longer run; returns how many. */
	int clear();
}
