package smmu.gogo.shell;

/** Thrown by {@code exit} / {@code quit}: the console stops the framework, a script ends with this status. */
public final class ExitRequest extends RuntimeException {
	private static final long serialVersionUID = 1L;
	private final int status;

	public ExitRequest(int status) {
		super("exit " + status, null, false, false);
		this.status = status;
	}

	public int status() {
		return status;
	}
}
