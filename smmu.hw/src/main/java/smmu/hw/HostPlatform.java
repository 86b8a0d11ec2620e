package smmu.hw;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import smmu.hw.driver.SmmuDriver;

/**
 * The host machine's hardware: physical memory, its page allocator, the physical SMMUv3 instances
 * and the PCI endpoints behind them.
 */
@ProviderType
public interface HostPlatform {

	PhysicalMemory memory();

	/** Allocator for host kernel pages (tables, queues). */
	FrameAllocator allocator();

	List<Smmu> smmus();

	Optional<Smmu> smmu(String id);

	List<PciEndpoint> endpoints();

	/**
	 * The driver-library instance that probed and enabled an SMMU at boot (the host kernel's view of
	 * it), or empty for SMMUs that were not probed (snapshots, or probing disabled by configuration).
	 */
	Optional<SmmuDriver> driver(String smmuId);

	/**
	 * The host's MSI controller (a GICv3 ITS by default, or a GICv2m frame): where a device's MSI write
	 * must land, in host physical address space, to become an interrupt.
	 */
	smmu.hw.irq.MsiController msiController();

	/**
	 * Creates an SMMU over a memory image and a saved register state, for inspection: register values
	 * are loaded without side effects (queued commands are not replayed).
	 *
	 * @param id new instance id (must be unused)
	 * @param memory the memory image
	 * @param registers register offset -> value
	 */
	Smmu attachSnapshot(String id, PhysicalMemory memory, Map<Integer, Long> registers);

	/** Removes an SMMU created by {@link #attachSnapshot}. */
	boolean detach(String id);
}
