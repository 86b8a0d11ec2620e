package smmu.qemu;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Starts and supervises real QEMU processes (Debian's qemu-system-aarch64 in the chroot that
 * {@code tools/qemu/setup.sh} builds) whose iommufd and VFIO calls the host kernel model serves.
 */
@ProviderType
public interface RealQemus {
	/**
	 * Why real QEMU cannot run here (one line naming the set-up step), or null when it is set up.
	 */
	String notSetUp();

	/**
	 * Starts QEMU for a VM described with the options {@code vm:create} takes ({@code -m},
	 * {@code -object iommufd}, {@code -device pxb-pcie / pcie-root-port / arm-smmuv3,accel=on /
	 * vfio-pci,host=BDF}) plus options passed to QEMU as they are ({@code -smp}, {@code -append},
	 * ...). Returns once the process runs; its bridge connects a moment later.
	 *
	 * @throws QemuException when not set up, the name is taken or the description is refused
	 */
	RealQemu start(String name, String options);

	/** The QEMUs started and not yet removed by {@link #stop}, in starting order. */
	List<RealQemu> list();

	Optional<RealQemu> get(String name);

	/** Stops the QEMU (SIGTERM, then SIGKILL) and forgets it; its objects are released. */
	void stop(String name);
}
