package smmu.iommufd;

/**
 * An ioctl that failed with an errno. The message reads {@code "errno NAME (number): message"}.
 * A few ioctls still copy their struct back to user space when they fail (IOAS_IOVA_RANGES with
 * EMSGSIZE returns the required {@code num_iovas}); {@link #response()} holds that struct, else null.
 */
public class IommufdException extends RuntimeException {
	private static final long serialVersionUID = 1L;
	private final Errno errno;
	private final transient Record response;

	public IommufdException(Errno errno, String message) {
		this(errno, message, null);
	}

	public IommufdException(Errno errno, String message, Record response) {
		super("errno " + errno.name() + " (" + errno.number() + "): " + message);
		this.errno = errno;
		this.response = response;
	}

	public Errno errno() {
		return errno;
	}

	/** The struct the kernel wrote back despite the error, or null. */
	public Record response() {
		return response;
	}

	/** The message alone: what a shell prints for a failed command. */
	@Override
	public String toString() {
		return getMessage();
	}
}
