package smmu.gogo.shell;

import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Function;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import smmu.gogo.format.Formatter;
import smmu.gogo.format.Json;
import smmu.gogo.format.ShellError;

/**
 * The shell's own commands in scope {@code gogo} (first on the SCOPE path {@code gogo:*}, ranked above
 * Gogo's): {@code help} grouped with one-line descriptions, {@code exit}/{@code quit}, {@code assert} for
 * scripts, and {@code update}/{@code refresh} that explain instead of failing on the launcher's
 * {@code jar/...} bundle locations.
 */
@Component(service = ShellCommands.class, property = { "osgi.command.scope=gogo", "osgi.command.function=help", "osgi.command.function=exit",
		"osgi.command.function=quit", "osgi.command.function=assert", "osgi.command.function=update", "osgi.command.function=refresh", "osgi.command.function=json",
		"service.ranking:Integer=100" })
public class ShellCommands {
	/** Scopes help leaves out: completion helpers and the processor's own plumbing. */
	static final List<String> HIDDEN = List.of("candidates", "osgi");
	static final int WIDTH = 100;

	private final BundleContext context;

	@Activate
	public ShellCommands(BundleContext context) {
		this.context = context;
	}

	@Descriptor("list the commands by group with one line each")
	public String help(CommandSession session) {
		Map<String, List<String[]>> groups = new LinkedHashMap<>();
		for (String c : Usage.commands(session)) {
			String scope = c.substring(0, c.indexOf(':'));
			if (HIDDEN.contains(scope) || c.startsWith("gogo:__")) {
				continue;
			}
			Object target = Usage.target(session.get(c));
			String summary = "";
			if (target != null) {
				for (Method m : Usage.methods(target, c.substring(c.indexOf(':') + 1))) {
					summary = Usage.summary(m);
					if (!summary.isEmpty()) {
						break;
					}
				}
			}
			groups.computeIfAbsent(scope, k -> new ArrayList<>()).add(new String[] { c, summary });
		}
		int w = 0;
		for (List<String[]> g : groups.values()) {
			for (String[] r : g) {
				w = Math.max(w, r[0].length());
			}
		}
		StringBuilder sb = new StringBuilder();
		for (Map.Entry<String, List<String[]>> g : groups.entrySet()) {
			sb.append(sb.length() == 0 ? "" : "\n").append(g.getKey()).append('\n');
			for (String[] r : g.getValue()) {
				String line = "  " + r[0] + " ".repeat(w - r[0].length()) + (r[1].isEmpty() ? "" : "  " + r[1]);
				sb.append(fit(line.stripTrailing())).append('\n');
			}
		}
		sb.append("\n'help COMMAND' shows a command's arguments; 'exit' (or Ctrl-D) leaves the shell.");
		return sb.toString();
	}

	@Descriptor("show a command's usage, description, options and arguments")
	public String help(CommandSession session, @Descriptor("command name, with or without its scope") String command) {
		String c = Usage.resolve(session, command);
		if (c == null) {
			throw new ShellError(Errors.unknown(session, command));
		}
		Object target = Usage.target(session.get(c));
		if (target == null) {
			return c;
		}
		StringBuilder sb = new StringBuilder();
		for (Method m : Usage.methods(target, c.substring(c.indexOf(':') + 1))) {
			sb.append(sb.length() == 0 ? "" : "\n").append("usage: ").append(Usage.line(c, m)).append('\n');
			Descriptor d = m.getAnnotation(Descriptor.class);
			if (d != null) {
				indented(sb, "  ", d.value());
			}
			List<String[]> args = new ArrayList<>();
			int w = 0;
			for (java.lang.reflect.Parameter p : m.getParameters()) {
				if (CommandSession.class.isAssignableFrom(p.getType())) {
					continue;
				}
				Parameter opt = p.getAnnotation(Parameter.class);
				Descriptor pd = p.getAnnotation(Descriptor.class);
				String name = opt != null ? String.join(", ", opt.names()) : p.isNamePresent() ? p.getName() : p.getType().getSimpleName();
				args.add(new String[] { name, pd == null ? "" : pd.value() });
				w = Math.max(w, name.length());
			}
			for (String[] a : args) {
				sb.append("    ").append(a[0]);
				if (a[1].isEmpty()) {
					sb.append('\n');
				} else {
					sb.append(" ".repeat(w - a[0].length() + 2));
					indented(sb, " ".repeat(w + 6), a[1]);
				}
			}
		}
		return sb.toString().stripTrailing();
	}

	@Descriptor("leave the shell (stops the runtime); in a script: end it with status 0")
	public void exit() {
		throw new ExitRequest(0);
	}

	@Descriptor("leave the shell; in a script: end it with this exit status")
	public void exit(@Descriptor("exit status") int status) {
		throw new ExitRequest(status);
	}

	@Descriptor("leave the shell (stops the runtime), as exit")
	public void quit() {
		throw new ExitRequest(0);
	}

	@Descriptor("fail (a script stops with status 1) unless the condition holds: a value (false, null, empty and 0 fail) or a closure { ... }")
	public String _assert(CommandSession session, @Descriptor("value or { closure }") Object condition) throws Exception {
		return _assert(session, condition, null);
	}

	@Descriptor("fail with this message unless the condition holds")
	public String _assert(CommandSession session, @Descriptor("value or { closure }") Object condition, @Descriptor("what failed") String message)
			throws Exception {
		Object v = condition instanceof Function f ? f.execute(session, new ArrayList<>()) : condition;
		if (!truthy(v)) {
			throw new ShellError("assertion failed: " + (message != null ? message : "got " + quote(text(session, v))));
		}
		return null;
	}

	@Descriptor("fail unless ACTUAL (as the shell prints it) equals, contains or matches (a regex) EXPECTED; != fails when equal")
	public String _assert(CommandSession session, @Descriptor("value or { closure }") Object actual,
			@Descriptor("equals | contains | matches | !=") String op, @Descriptor("expected text") Object expected) throws Exception {
		Object v = actual instanceof Function f ? f.execute(session, new ArrayList<>()) : actual;
		String a = text(session, v), e = text(session, expected);
		boolean ok = switch (op) {
			case "equals", "==" -> a.equals(e);
			case "!=" -> !a.equals(e);
			case "contains" -> a.contains(e);
			case "matches" -> java.util.regex.Pattern.compile(e, java.util.regex.Pattern.DOTALL).matcher(a).find();
			default -> throw new ShellError("assert: unknown comparison '" + op + "' (equals, ==, !=, contains, matches)");
		};
		if (!ok) {
			String verb = switch (op) {
				case "contains" -> "to contain";
				case "matches" -> "to match";
				case "!=" -> "to differ from";
				default -> "to equal";
			};
			throw new ShellError("assertion failed: expected " + quote(a) + " " + verb + " " + quote(e));
		}
		return null;
	}

	@Descriptor("the last command's result as JSON (records as objects named by their fields, numbers as numbers)")
	public String json(CommandSession session) {
		return Json.render(session.get("_"));
	}

	@Descriptor("a result as JSON, e.g. json (smmu:stats smmu0)")
	public String json(@Descriptor("a value, e.g. (smmu:list)") Object value) {
		return Json.render(value);
	}

	@Descriptor("update a bundle from a file or URL (the launcher's own jar/... locations cannot be read again)")
	public String update(@Descriptor("bundle id or symbolic name") String id) throws BundleException {
		Bundle bundle = bundle("update", id);
		String location = bundle.getLocation();
		try {
			new URL(location.startsWith("reference:") ? location.substring("reference:".length()) : location).openStream().close();
		} catch (Exception e) {
			throw new ShellError("update " + bundle.getBundleId() + ": " + bundle.getSymbolicName() + " came from '" + location
					+ "' inside the runtime jar and cannot be read again; give a file or URL: update " + bundle.getBundleId() + " FILE");
		}
		bundle.update();
		return "updated " + bundle.getSymbolicName() + " from " + location;
	}

	@Descriptor("update a bundle from a file or URL")
	public String update(@Descriptor("bundle id or symbolic name") String id, @Descriptor("file or URL") String location) throws Exception {
		Bundle bundle = bundle("update", id);
		Path p = Path.of(location);
		InputStream in;
		if (Files.isRegularFile(p)) {
			in = Files.newInputStream(p);
		} else {
			try {
				in = new URL(location).openStream();
			} catch (MalformedURLException e) {
				throw new ShellError("update " + bundle.getBundleId() + ": '" + location + "' is neither a file nor a URL");
			}
		}
		try (in) {
			bundle.update(in);
		} catch (BundleException e) {
			throw new ShellError("update " + bundle.getBundleId() + ": " + e.getMessage());
		}
		return "updated " + bundle.getSymbolicName() + " from " + location;
	}

	@Descriptor("refresh the wiring of the given bundles (none: every bundle that needs it); waits for the framework's event")
	public String refresh(@Descriptor("bundle ids or names") String... ids) throws InterruptedException {
		FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
		Collection<Bundle> which = null;
		if (ids != null && ids.length > 0) {
			which = new ArrayList<>();
			for (String id : ids) {
				which.add(bundle("refresh", id));
			}
		}
		CountDownLatch done = new CountDownLatch(1);
		wiring.refreshBundles(which, e -> {
			if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED || e.getType() == FrameworkEvent.ERROR) {
				done.countDown();
			}
		});
		if (!done.await(60, TimeUnit.SECONDS)) {
			throw new ShellError("refresh: the framework did not finish within 60 s");
		}
		return "refreshed " + (which == null ? "the bundles that needed it" : which.size() + " bundle(s)");
	}

	/** The bundle with this id or symbolic name, or a one-line error naming the command. */
	private Bundle bundle(String command, String id) {
		Bundle b = null;
		if (id.chars().allMatch(Character::isDigit) && !id.isEmpty() && id.length() < 19) {
			b = context.getBundle(Long.parseLong(id));
		} else {
			for (Bundle c : context.getBundles()) {
				if (id.equals(c.getSymbolicName())) {
					b = c;
				}
			}
		}
		if (b == null) {
			throw new ShellError(command + ": no bundle " + id + " ('lb' lists the bundles and their ids)");
		}
		return b;
	}

	static boolean truthy(Object v) {
		if (v == null || Boolean.FALSE.equals(v)) {
			return false;
		}
		if (v instanceof CharSequence s) {
			return s.length() > 0 && !s.toString().equals("false");
		}
		if (v instanceof Number n) {
			return n.doubleValue() != 0;
		}
		if (v instanceof Collection<?> c) {
			return !c.isEmpty();
		}
		return true;
	}

	private static String text(CommandSession session, Object v) {
		if (v == null) {
			return "null";
		}
		if (v instanceof CharSequence s) {
			return s.toString();
		}
		try {
			CharSequence t = session.format(v, Converter.INSPECT);
			return t == null ? String.valueOf(v) : t.toString();
		} catch (Exception e) {
			return String.valueOf(v);
		}
	}

	private static String quote(String s) {
		String one = s.replace("\n", "\\n");
		return "'" + (one.length() > 300 ? one.substring(0, 300) + "...'" : one + "'");
	}

	/** Appends {@code text} wrapped to the width, its first line where {@code sb} stands, the rest under {@code indent}. */
	private static void indented(StringBuilder sb, String indent, String text) {
		int start = sb.lastIndexOf("\n") + 1;
		if (sb.length() == start) {
			sb.append(indent);
		}
		List<String> lines = Formatter.wrap(text, WIDTH - indent.length());
		for (int i = 0; i < lines.size(); i++) {
			sb.append(i == 0 ? "" : indent).append(lines.get(i)).append('\n');
		}
	}

	private static String fit(String line) {
		return line.length() <= WIDTH ? line : line.substring(0, WIDTH - 3) + "...";
	}
}
