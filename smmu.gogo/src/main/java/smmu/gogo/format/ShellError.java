package smmu.gogo.format;

/** A wrong command line: the shell prints its message alone, with no exception class in front. */
public final class ShellError extends IllegalArgumentException {
	private static final long serialVersionUID = 1L;

	public ShellError(String message) {
		super(message);
	}

	public ShellError(String message, Throwable cause) {
		super(message, cause);
	}

	@Override
	public String toString() {
		return getMessage();
	}
}
