package smmu.hw;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import smmu.hw.driver.SmmuDriver;

/**
 * The host machine's hardware: physical memory (RAM and the file regions mapped into it), its page
 * allocator, the physical SMMUv3 instances and the PCI endpoints behind them with their functions.
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
	 * The live state of endpoint {@code bdf}'s PCI function (configuration space, BARs, INTx), or
	 * empty for a BDF the host does not have. Hosts that model no functions return empty.
	 */
	default Optional<PciFunction> function(String bdf) {
		return Optional.empty();
	}

	/**
	 * Puts a new function with {@code header} into endpoint {@code bdf}'s slot (a device model, such as
	 * a virtio device, replacing the plain function the host starts with) and returns it; its device
	 * model is then connected with {@link PciFunction#setBarHandler}. Do it while nothing holds the
	 * function (no device file open): a holder keeps the function it had.
	 *
	 * @throws IllegalArgumentException for a BDF the host does not have
	 * @throws UnsupportedOperationException on hosts that model no functions
	 */
	default PciFunction installFunction(String bdf, PciHeader header) {
		throw new UnsupportedOperationException("this host models no PCI functions");
	}

	/**
	 * Makes bytes [offset, offset + length) of {@code file} host physical memory, MAP_SHARED
	 * ({@link HostMemory#mapFile}): the caller holds the returned region until it calls
	 * {@link FileRegion#release()}.
	 *
	 * @throws UnsupportedOperationException when this host's memory has no file window
	 * @throws IllegalArgumentException for a range that is not page aligned or lies past the end of the file
	 * @throws IOException when the file cannot be mapped
	 */
	default FileRegion mapFile(Path file, long offset, long length, boolean writable) throws IOException {
		if (memory() instanceof HostMemory m) {
			return m.mapFile(file, offset, length, writable);
		}
		throw new UnsupportedOperationException("this host's physical memory cannot map files");
	}

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
	 * @param mmioBase physical base of its register region where the snapshot's machine had it (QEMU virt:
	 *        0x09050000), shown as {@link SmmuSpec#mmioBase()}; no address decoding depends on it
	 * @param memory the memory image
	 * @param registers register offset -> value
	 * @since 1.3
	 */
	Smmu attachSnapshot(String id, long mmioBase, PhysicalMemory memory, Map<Integer, Long> registers);

	/** {@link #attachSnapshot(String, long, PhysicalMemory, Map)} with the MMIO base unknown (0). */
	default Smmu attachSnapshot(String id, PhysicalMemory memory, Map<Integer, Long> registers) {
		return attachSnapshot(id, 0, memory, registers);
	}

	/** Removes an SMMU created by {@link #attachSnapshot}. */
	boolean detach(String id);
}
