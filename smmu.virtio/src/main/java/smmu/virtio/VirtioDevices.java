package smmu.virtio;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The host's virtio device models, one per host BDF at most. A BDF without one keeps the plain
 * function the host starts with.
 */
@ProviderType
public interface VirtioDevices {
	/** The device kinds {@link #attach} knows. */
	List<String> kinds();

	/**
	 * Puts a new device of {@code kind} ("virtio-blk") into the function slot of host endpoint
	 * {@code bdf}, backed by {@code image} (a disk image, read and written in place; its size is the
	 * disk's, rounded down to 512-byte sectors). Do it before a process opens the function's device file.
	 *
	 * @throws IllegalArgumentException for an unknown BDF or kind, a BDF that has a device already, or
	 *         an image that is missing, unreadable or smaller than one sector
	 */
	VirtioDeviceInfo attach(String bdf, String kind, Path image);

	/** Stops the device on {@code bdf} and gives the slot back to a plain function; false when there was none. */
	boolean detach(String bdf);

	List<VirtioDeviceInfo> devices();

	Optional<VirtioDeviceInfo> device(String bdf);
}
