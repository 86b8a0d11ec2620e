package smmu.accel.config;

/**
 * A VM description QEMU would refuse. {@link #getMessage()} is QEMU's message verbatim; {@link #option()}
 * is the command-line option it is reported against (QEMU prints {@code qemu-system-aarch64: <option>: <message>}),
 * or null when QEMU reports it without a location.
 */
public final class VmConfigException extends RuntimeException {
	private static final long serialVersionUID = 1L;
	private final String option;

	public VmConfigException(String option, String message) {
		super(message);
		this.option = option;
	}

	/** The offending option as written ({@code -device arm-smmuv3,...}), or null. */
	public String option() {
		return option;
	}

	/** QEMU's full error line. */
	public String qemuLine() {
		return "qemu-system-aarch64: " + (option == null ? "" : option + ": ") + getMessage();
	}
}
