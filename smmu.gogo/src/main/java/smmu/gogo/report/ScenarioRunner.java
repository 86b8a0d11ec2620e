package smmu.gogo.report;

import smmu.gogo.format.ShellError;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import smmu.gogo.script.ScriptRunner;

/**
 * Runs a scenario: a Gogo script file, one statement at a time, stopping at the first that fails. A name
 * without a path is looked up as {@code NAME.gosh} in the scenario folder (framework property
 * {@value #FOLDER}, set by the {@code ./smmu} launcher to the repository's {@code scenarios/}).
 */
public final class ScenarioRunner {
	public static final String FOLDER = "smmu.scenarios";

	/** Runs one statement, returning its result. */
	@FunctionalInterface
	public interface Executor {
		Object execute(String statement) throws Exception;
	}

	/**
	 * What a run did.
	 *
	 * @param executed statements that completed
	 * @param failed   the statement that failed, or null
	 * @param error    its message, or null
	 */
	public record Outcome(int executed, String failed, String error) {
		public boolean ok() {
			return failed == null;
		}
	}

	private ScenarioRunner() {}

	/** The scenario file for {@code name}: a path to an existing file, or {@code NAME[.gosh]} in {@code folder}. */
	public static Path resolve(String name, String folder) {
		Path p = Path.of(name);
		if (Files.isRegularFile(p)) {
			return p;
		}
		String file = name.endsWith(".gosh") ? name : name + ".gosh";
		List<Path> tried = new ArrayList<>();
		for (String dir : folder == null ? new String[] { "scenarios" } : new String[] { folder, "scenarios" }) {
			Path q = Path.of(dir).resolve(file);
			tried.add(q);
			if (Files.isRegularFile(q)) {
				return q;
			}
		}
		throw new ShellError("no scenario '" + name + "' (looked for " + tried + "; have: " + String.join(", ", names(folder)) + ")");
	}

	/** The scenario names in the folder, sorted. */
	public static List<String> names(String folder) {
		List<String> names = new ArrayList<>();
		Path dir = Path.of(folder == null ? "scenarios" : folder);
		if (Files.isDirectory(dir)) {
			try (var files = Files.list(dir)) {
				files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".gosh")).sorted()
						.forEach(f -> names.add(f.substring(0, f.length() - 5)));
			} catch (IOException e) {
				return names;
			}
		}
		return names;
	}

	public static List<String> statements(Path file) {
		try {
			return ScriptRunner.statements(Files.readAllLines(file));
		} catch (IOException e) {
			throw new ShellError("cannot read scenario " + file + ": " + e.getMessage(), e);
		}
	}

	/** Runs the statements in order; {@code echo} (may be null) gets each statement after {@code g! }. */
	public static Outcome run(List<String> statements, Executor executor, PrintStream echo) {
		int n = 0;
		for (String s : statements) {
			if (echo != null) {
				echo.println("g! " + s);
			}
			try {
				executor.execute(s);
			} catch (Exception e) {
				return new Outcome(n, s, message(e));
			}
			n++;
		}
		return new Outcome(n, null, null);
	}

	static String message(Throwable e) {
		Throwable t = e;
		while (t.getCause() != null && t.getMessage() == null) {
			t = t.getCause();
		}
		return t.getMessage() != null ? t.getMessage() : t.toString();
	}
}
