package smmu.hw.driver;

/**
 * A failure of the driver library that Linux would report as an errno: page-table map errors
 * (EINVAL, ERANGE, EEXIST, ENOMEM), unsupported hardware (ENXIO), an SMMU that does not answer
 * (ETIMEDOUT) or a command the SMMU rejected (EIO, see {@link CommandQueueException}).
 */
public class DriverException extends RuntimeException {
	private static final long serialVersionUID = 1L;
	private final Errno errno;

	public DriverException(Errno errno, String message) {
		super(errno.name() + ": " + message);
		this.errno = errno;
	}

	public Errno errno() {
		return errno;
	}

	/** The message alone: what a shell prints for a failed command. */
	@Override
	public String toString() {
		return getMessage();
	}
}
