package smmu.gogo.shell;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;

/**
 * Runs one command line in a session and says what to print: the result as the formatter renders it, or
 * the error as one line ({@link Errors}). The interactive console, the script runner and the tests all go
 * through here, so what a test sees is what a user sees.
 */
public final class Lines {
	private Lines() {}

	/**
	 * What one line did.
	 *
	 * @param ok     false when it failed
	 * @param text   what to print (null: nothing)
	 * @param result the result object (null on failure)
	 */
	public record Outcome(boolean ok, String text, Object result) {}

	/** Executes {@code line}; {@link ExitRequest} passes through. */
	public static Outcome run(CommandSession session, CharSequence line) {
		try {
			Object result = session.execute(line);
			session.put("_", result);
			if (result == null) {
				return new Outcome(true, null, null);
			}
			CharSequence text = session.format(result, Converter.INSPECT);
			return new Outcome(true, text == null ? null : text.toString(), result);
		} catch (ExitRequest e) {
			throw e;
		} catch (Exception e) {
			if (Errors.unwrap(e) instanceof ExitRequest x) {
				throw x;
			}
			session.put("exception", e);
			return new Outcome(false, Errors.message(e, session, line), null);
		}
	}
}
