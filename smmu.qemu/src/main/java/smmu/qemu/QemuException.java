package smmu.qemu;

/** A real QEMU could not be started, found or stopped; the message is one line for a person. */
public class QemuException extends RuntimeException {
	private static final long serialVersionUID = 1L;

	public QemuException(String message) {
		super(message);
	}

	public QemuException(String message, Throwable cause) {
		super(message, cause);
	}

	/** The message alone: what a shell prints. */
	@Override
	public String toString() {
		return getMessage();
	}
}
