package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import smmu.accel.VmManager;
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
 * </ul>
 * Normalised: only the checkout's absolute path (printed as the repository-relative path).
 * <p>
 * Every output line of a session fits {@value #WIDTH} columns (the formatter's width in a script), even
 * the lines an excerpt leaves out; exempt are the typed commands ({@code g! }) and the lines QEMU and
 * errors word themselves ({@code qemu-system-aarch64:}, {@code error:}).
 */
class ReadmeTest {
	static final Pattern MARKER = Pattern.compile("^<!-- session: (\\S+)( excerpt)? -->$");
	static final int WIDTH = 100;

	@InjectBundleContext
	BundleContext context;

	@InjectService
	ConfigurationAdmin cm;

	@SuppressWarnings("rawtypes")
	@InjectService(filter = "(smmu.shell=script)")
	Function scriptService;

	@SuppressWarnings("unchecked")
	Object[] script(String text) {
		return (Object[]) scriptService.apply(text);
	}

	@TestFactory
	Stream<DynamicTest> everySessionOfTheReadmeReproduces() throws Exception {
		String readme = context.getProperty("smmu.itest.readme");
		assertNotNull(readme, "test.bndrun names README.md");
		Path file = Path.of(readme).toRealPath();
		Path root = file.getParent();
		List<String> lines = Files.readAllLines(file);
		List<DynamicTest> tests = new ArrayList<>();
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
			String what = m.group(1);
			boolean excerpt = m.group(2) != null;
			int at = i + 1;
			tests.add(DynamicTest.dynamicTest("README line " + at + ": " + what, () -> {
				freshHost("readme line " + at);
				try {
					session(root, what, excerpt, block, at);
				} finally {
					freshHost(null);
				}
			}));
			i = j;
		}
		assertTrue(tests.size() >= 5, "the README's sessions are marked: " + tests.size());
		return tests.stream();
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
			text = Files.readString(root.resolve(what)).replaceAll("(?<![\\w/.])(smmu\\.hw/src/)", root + "/$1");
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
	 * nothing, or none), so memory, fds, VMs and counters are new; then the commands are back.
	 */
	void freshHost(String session) throws Exception {
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
