package smmu.iommufd;

import java.nio.file.Path;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The process making a system call, as the kernel sees it during that call: its memory
 * ({@code copy_from_user} / {@code copy_to_user}), its file table ({@code fget}, {@code fd_install})
 * and the eventfds it handed the kernel. Implemented by whoever carries the calls into the kernel
 * model (a bridge to a real process, or a test); the kernel never keeps it past the call except for
 * {@link #signalEventfd}, which it may call later from any thread (an interrupt).
 */
@ConsumerType
public interface UserProcess {
	/** copy_from_user: fills {@code dst} from user VA {@code va}; false when a byte is not readable. */
	boolean read(long va, byte[] dst);

	/** copy_to_user: false when a byte is not writable (then nothing need be written). */
	boolean write(long va, byte[] src);

	/**
	 * The host path of the regular file the process has open as {@code fd} (mapped by
	 * IOAS_MAP_FILE), or null when {@code fd} is not open or not a regular file.
	 */
	Path file(int fd);

	/** The iommufd context the process has open as {@code fd}, or null when {@code fd} is not an iommufd. */
	IommufdContext iommufd(int fd);

	/**
	 * Whether {@code fd} is an open file at all (EBADF when not, EBADFD when it is but is the wrong
	 * kind). By default: whether it is a regular file or an iommufd.
	 */
	default boolean isOpen(int fd) {
		return file(fd) != null || iommufd(fd) != null;
	}

	/** eventfd_signal on the eventfd the process has open as {@code fd} (given by VFIO_DEVICE_SET_IRQS). */
	void signalEventfd(int fd);

	/**
	 * fd_install of a new file the kernel created for the process (a vEVENTQ); returns the fd number
	 * the process sees. Throws {@link IommufdException} (EMFILE) when it cannot.
	 */
	int installFile(UserFile file);
}
