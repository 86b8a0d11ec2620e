package smmu.accel;

/**
 * A VM operation refused. For a description QEMU refuses, {@link #getMessage()} is QEMU's message and
 * {@link #option()} the option QEMU reports it against (QEMU prints
 * {@code qemu-system-aarch64: <option>: <message>}), or null.
 */
public class VmException extends RuntimeException {
	private static final long serialVersionUID = 1L;
	private final String option;

	public VmException(String option, String message, Throwable cause) {
		super(message, cause);
		this.option = option;
	}

	public VmException(String message) {
		this(null, message, null);
	}

	public String option() {
		return option;
	}

	/**
	 * As QEMU prints it; a refusal of the model's own (a message starting {@code model: }: something QEMU
	 * would run that the model does not) never borrows QEMU's {@code qemu-system-aarch64:} prefix and reads
	 * {@code model: <option>: <message>}.
	 */
	public String qemuLine() {
		String m = getMessage();
		if (m != null && m.startsWith(MODEL)) {
			return MODEL + (option == null ? "" : option + ": ") + m.substring(MODEL.length());
		}
		return "qemu-system-aarch64: " + (option == null ? "" : option + ": ") + m;
	}

	private static final String MODEL = "model: ";

	/** The message alone: what a shell prints for a failed command. */
	@Override
	public String toString() {
		return getMessage();
	}
}
