package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import smmu.accel.VmManager;
import smmu.accel.workload.Workloads;
import smmu.hw.HostPlatform;
import smmu.iommufd.Iommufd;

/**
 * The README is a test. A fenced block right after a line {@code <!-- session: WHAT -->} is a session,
 * run as a script on a clean host (as {@code ./smmu SCRIPT.gosh} runs it) and compared with the block:
 * <ul>
 * <li>{@code <!-- session: script -->}: the block's own {@code g! } lines are the script; the output must
 * equal the block exactly;</li>
 * <li>{@code <!-- session: PATH -->}: the script file PATH (from the repository root); the output must equal
 * the block;</li>
 * <li>{@code <!-- session: PATH excerpt -->}: as PATH, but a line {@code ...} in the block stands for output
 * left out (one or more lines) and {@code ...} inside a line for part of it left out; every other line must
 * be the next line of the output.</li>
 * <li>{@code <!-- session: PATH excerpt needs-real-qemu -->}: as above, run only where the real-QEMU set-up is
 * present ({@code setup.env} with {@code SETUP_OK=1} under {@code smmu.qemu.home}, default
 * {@code /var/lib/smmu-qemu}, and root); elsewhere skipped by a JUnit assumption that says why.</li>
 * </ul>
 * Normalised: only the checkout's absolute path (printed as the repository-relative path). Script files name
 * files relative to the repository root ({@code smmu.hw/src/...}, {@code examples/...}), as {@code ./smmu}
 * runs them from there: those paths are made absolute before the run.
 * <p>
 * Every output line of a session fits {@value #WIDTH} columns (the formatter's width in a script), even
 * the lines an excerpt leaves out; exempt are the typed commands ({@code g! }) and the lines QEMU and
 * errors word themselves ({@code qemu-system-aarch64:}, {@code error:}).
 * <p>
 * {@link #everyCommandIsInASession()}: every command this project registers appears in some session.
 */
class ReadmeTest {
	static final Pattern MARKER = Pattern.compile("^<!-- session: (\\S+)( excerpt)?( needs-real-qemu)? -->$");
	static final int WIDTH = 100;

	@InjectBundleContext
	BundleContext context;

	@InjectService
	ConfigurationAdmin cm;

	@InjectService
	Workloads workloads;

	@SuppressWarnings("rawtypes")
	@InjectService(filter = "(smmu.shell=script)")
	Function scriptService;

	@SuppressWarnings("unchecked")
	Object[] script(String text) {
		return (Object[]) scriptService.apply(text);
	}

	/** A session of the README: the marker's line (1-based), what it runs, and the fenced block after it. */
	record Session(int at, String what, boolean excerpt, boolean realQemu, List<String> block) {}

	Path readme() throws Exception {
		String readme = context.getProperty("smmu.itest.readme");
		assertNotNull(readme, "test.bndrun names README.md");
		return Path.of(readme).toRealPath();
	}

	static List<Session> sessions(List<String> lines) {
		List<Session> sessions = new ArrayList<>();
		for (int i = 0; i < lines.size(); i++) {
			Matcher m = MARKER.matcher(lines.get(i).strip());
			if (!m.matches()) {
				continue;
			}
			assertTrue(i + 1 < lines.size() && lines.get(i + 1).startsWith("```"), "README line " + (i + 1) + ": a session marker needs a fenced block right after it");
			List<String> block = new ArrayList<>();
			int j = i + 2;
			while (j < lines.size() && !lines.get(j).startsWith("```")) {
				block.add(lines.get(j));
				j++;
			}
			sessions.add(new Session(i + 1, m.group(1), m.group(2) != null, m.group(3) != null, block));
			i = j;
		}
		return sessions;
	}

	@TestFactory
	Stream<DynamicTest> everySessionOfTheReadmeReproduces() throws Exception {
		Path file = readme();
		Path root = file.getParent();
		List<DynamicTest> tests = new ArrayList<>();
		for (Session s : sessions(Files.readAllLines(file))) {
			tests.add(DynamicTest.dynamicTest("README line " + s.at() + ": " + s.what(), () -> {
				if (s.realQemu()) {
					Skip.unless("README line " + s.at() + " (" + s.what() + ", needs the real-QEMU set-up)", realQemuAbsent());
				}
				freshHost("readme line " + s.at());
				try {
					session(root, s.what(), s.excerpt(), s.block(), s.at());
				} finally {
					freshHost(null);
				}
			}));
		}
		assertTrue(tests.size() >= 5, "the README's sessions are marked: " + tests.size());
		return tests.stream();
	}

	/**
	 * Commands no session needs to show: the completion's helpers ({@code candidates:*}, called by the
	 * shell's TAB, not typed) and, by name with the reason, any other.
	 */
	static final Map<String, String> NOT_IN_A_SESSION = Map.of("gogo:update",
			"replaces a bundle of the running framework (here: a bundle under the test suite); docs/shell.md and the README's script-checks section describe it");

	/**
	 * Every command of this project (a service of one of its bundles with {@code osgi.command.scope} and
	 * {@code osgi.command.function}; Gogo's own builtins, which this project only registers, left out) is typed
	 * in some README session: a {@code g! } line of a script session, or a statement of the script file a
	 * session runs. Scoped commands count as {@code scope:function}; the shell's own ({@code gogo} scope:
	 * {@code help}, {@code json}, {@code assert}, ...) also by their bare name at the start of a statement.
	 */
	@Test
	void everyCommandIsInASession() throws Exception {
		Path file = readme();
		Path root = file.getParent();
		StringBuilder typed = new StringBuilder();
		for (Session s : sessions(Files.readAllLines(file))) {
			List<String> statements = s.what().equals("script") ? s.block().stream().filter(l -> l.startsWith("g! ")).map(l -> l.substring(3)).toList()
					: Files.readAllLines(root.resolve(s.what())).stream().filter(l -> !l.strip().startsWith("#")).toList();
			statements.forEach(l -> typed.append(l).append('\n'));
		}
		Set<String> commands = new TreeSet<>();
		ServiceReference<?>[] refs = context.getAllServiceReferences(null, "(&(osgi.command.scope=*)(osgi.command.function=*))");
		for (ServiceReference<?> r : refs == null ? new ServiceReference<?>[0] : refs) {
			String bsn = r.getBundle() == null ? "" : r.getBundle().getSymbolicName();
			boolean gogoBuiltin = Stream.of((String[]) r.getProperty(Constants.OBJECTCLASS)).anyMatch(c -> c.startsWith("org.apache.felix.gogo."));
			String scope = String.valueOf(r.getProperty("osgi.command.scope"));
			if (!bsn.startsWith("smmu.") || gogoBuiltin || scope.equals("candidates")) {
				continue;
			}
			Object f = r.getProperty("osgi.command.function");
			for (Object fn : f instanceof String[] a ? a : f instanceof Collection<?> c ? c.toArray() : new Object[] { f }) {
				commands.add(scope + ":" + fn);
			}
		}
		for (String expected : List.of("smmu:list", "iommufd:open", "vm:create", "dma:msi", "host:device", "report:kernels", "workload:start", "sweep:run",
				"policy:use", "qemu:start", "gogo:help", "gogo:json")) {
			assertTrue(commands.contains(expected), "the project's commands are found (" + expected + "): " + commands);
		}
		List<String> missing = new ArrayList<>();
		for (String c : commands) {
			String scope = c.substring(0, c.indexOf(':'));
			String fn = c.substring(c.indexOf(':') + 1);
			Pattern scoped = Pattern.compile("(?<![\\w:-])" + Pattern.quote(c) + "(?![\\w-])");
			Pattern bare = Pattern.compile("(?m)(^|[;{(|=])\\s*" + Pattern.quote(fn) + "(?![\\w:-])");
			boolean shown = scoped.matcher(typed).find() || scope.equals("gogo") && bare.matcher(typed).find();
			if (!shown && !NOT_IN_A_SESSION.containsKey(c)) {
				missing.add(c);
			}
		}
		assertTrue(missing.isEmpty(), missing.size() + " commands are in no README session (add a session, or a reason to NOT_IN_A_SESSION): " + missing);
	}

	/** Why the real-QEMU set-up is not usable here, or null when it is (as tools/qemu/check-common.sh decides). */
	String realQemuAbsent() throws Exception {
		String h = context.getProperty("smmu.qemu.home");
		Path env = Path.of(h == null || h.isBlank() ? "/var/lib/smmu-qemu" : h, "setup.env");
		if (!Files.isRegularFile(env)) {
			return "no " + env + " (run sudo tools/qemu/setup.sh)";
		}
		if (!Files.readAllLines(env).contains("SETUP_OK=1")) {
			return env + " has no SETUP_OK=1 (the set-up did not finish: run sudo tools/qemu/setup.sh)";
		}
		if (!"root".equals(System.getProperty("user.name"))) {
			return "QEMU runs in the set-up's chroot: the session needs root";
		}
		return null;
	}

	void session(Path root, String what, boolean excerpt, List<String> block, int at) throws Exception {
		String text;
		if (what.equals("script")) {
			StringBuilder sb = new StringBuilder();
			for (String l : block) {
				if (l.startsWith("g! ")) {
					sb.append(l.substring(3)).append('\n');
				}
			}
			text = sb.toString();
		} else {
			// scripts name files relative to the repository root (where ./smmu runs them)
			text = Files.readString(root.resolve(what)).replaceAll("(?<![\\w/.])(smmu\\.hw/src/|examples/)", root + "/$1");
		}
		Object[] r = script(text);
		String out = ((String) r[1]).replace("\r", "").replace(root + "/", "");
		List<String> output = new ArrayList<>(List.of(out.split("\n", -1)));
		if (!output.isEmpty() && output.get(output.size() - 1).isEmpty()) {
			output.remove(output.size() - 1);
		}
		String where = "README line " + at + " (" + what + "), output:\n" + out;
		for (String l : output) {
			if (l.length() > WIDTH && !l.startsWith("g! ") && !l.startsWith("qemu-system-aarch64:") && !l.startsWith("error:")) {
				fail("README line " + at + " (" + what + "): an output line of " + l.length() + " columns (more than " + WIDTH + "): '" + l + "'; " + where);
			}
		}
		if (!excerpt) {
			assertEquals(String.join("\n", block), String.join("\n", output), where);
			return;
		}
		int o = 0;
		boolean skipping = false;
		for (String b : block) {
			if (b.equals("...")) {
				skipping = true;
				continue;
			}
			Pattern p = Pattern.compile(Pattern.quote(b).replace("...", "\\E.*\\Q"));
			if (skipping) {
				while (o < output.size() && !p.matcher(output.get(o)).matches()) {
					o++;
				}
			}
			if (o >= output.size() || !p.matcher(output.get(o)).matches()) {
				fail("'" + b + "' is not the next line (" + (o < output.size() ? "'" + output.get(o) + "'" : "end of output")
						+ "); mark left-out output with a line '...'; " + where);
			}
			o++;
			skipping = false;
		}
		assertTrue(skipping || o == output.size(), "output after the block's last line: end the block with '...'; " + where);
	}

	/**
	 * A host as ./smmu starts it: the host platform component is created again (a property that changes
	 * nothing, or none), so memory, fds, VMs and counters are new; then the commands are back. The workloads
	 * that ended (other tests', a session's) leave the list; their ids go on counting over the framework's
	 * life (a session shows them as {@code ...}).
	 */
	void freshHost(String session) throws Exception {
		workloads.clear();
		long host = Platform.newestId(context, HostPlatform.class);
		long kernel = Platform.newestId(context, Iommufd.class);
		if (session == null) {
			Platform.reset(cm, "smmu.host");
		} else {
			Platform.configure(cm, "smmu.host", "readme.session", session);
		}
		Platform.configure(cm, "smmu.policy", "active", "shared");
		Platform.awaitNewer(context, HostPlatform.class, host);
		Platform.awaitNewer(context, Iommufd.class, kernel);
		Platform.awaitNewer(context, VmManager.class, Platform.newestId(context, Iommufd.class));
		long deadline = System.nanoTime() + 10_000_000_000L;
		while ((Integer) script("smmu:list\nvm:list\niommufd:fds\npolicy:list\n")[0] != 0) {
			assertTrue(System.nanoTime() < deadline, "the shell's commands came back on the new host");
			Thread.sleep(20);
		}
	}
}
