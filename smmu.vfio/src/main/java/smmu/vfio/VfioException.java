package smmu.vfio;

/**
 * An error QEMU reports through {@code Error **errp} (device realize, vIOMMU callbacks): the message
 * is QEMU's text. The cause, if any, is the failing ioctl's exception.
 */
public class VfioException extends RuntimeException {
	private static final long serialVersionUID = 1L;

	public VfioException(String message) {
		super(message);
	}

	public VfioException(String message, Throwable cause) {
		super(message, cause);
	}

	/** QEMU's {@code error_prepend}: the same error with {@code prefix} before its message. */
	public VfioException prepend(String prefix) {
		return new VfioException(prefix + getMessage(), getCause());
	}

	/** The message alone: what a shell prints for a failed command. */
	@Override
	public String toString() {
		return getMessage();
	}
}
