package smmu.gogo.script;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Runs a Gogo script without a terminal when the framework property {@code smmu.script} names a file:
 * echoes each command after a {@code g! } prompt, prints its formatted result, stops at the first
 * failing command, then stops the framework (exit status 1 on failure). Its references never change
 * while the framework runs, so reconfiguring the host, its kernel or the VM manager cannot start a script again.
 */
@Component(immediate = true)
public class ScriptRunner {
	public static final String SCRIPT = "smmu.script";

	@Activate
	public ScriptRunner(BundleContext context, @Reference CommandProcessor processor, @Reference ServiceComponentRuntime scr) {
		String script = context.getProperty(SCRIPT);
		if (script == null || script.isBlank()) {
			// the welcome line is the default VM's (smmu.gogo.vm.DefaultVm): it knows what to type first
			return;
		}
		keepInteractiveShellStopped(context);
		Thread t = new Thread(() -> {
			awaitFrameworkStarted(context);
			awaitComponentsSettled(scr);
			run(context, processor, Path.of(script));
		}, "smmu-script");
		t.start();
	}

	private static void run(BundleContext context, CommandProcessor processor, Path script) {
		PrintStream out = System.out;
		boolean ok = true;
		try (CommandSession session = processor.createSession(InputStream.nullInputStream(), out, System.err)) {
			for (String command : statements(Files.readAllLines(script))) {
				out.println("g! " + command);
				try {
					Object result = session.execute(command);
					if (result != null) {
						out.println(session.format(result, Converter.INSPECT));
					}
				} catch (Exception e) {
					out.println("error: " + message(e));
					ok = false;
					break;
				}
			}
		} catch (IOException e) {
			out.println("error: cannot read script " + script + ": " + e.getMessage());
			ok = false;
		} catch (RuntimeException e) {
			out.println("error: " + message(e));
			ok = false;
		}
		out.flush();
		if (!ok) {
			Runtime.getRuntime().halt(1);
		}
		try {
			context.getBundle(0).stop();
		} catch (BundleException e) {
			Runtime.getRuntime().halt(1);
		}
	}

	/** The jline shell (started at a later start level) would run its terminal profile: not in script mode. */
	private static void keepInteractiveShellStopped(BundleContext context) {
		for (org.osgi.framework.Bundle b : context.getBundles()) {
			if ("org.apache.felix.gogo.jline".equals(b.getSymbolicName()) && b.getState() != org.osgi.framework.Bundle.ACTIVE) {
				try {
					b.stop();
				} catch (BundleException e) {
					System.err.println("warning: cannot keep the interactive shell stopped: " + e.getMessage());
				}
			}
		}
	}

	/** Commands come from bundles at every start level: run only once the framework has started. */
	private static void awaitFrameworkStarted(BundleContext context) {
		long deadline = System.nanoTime() + 60_000_000_000L;
		while (context.getBundle(0).getState() != org.osgi.framework.Bundle.ACTIVE && System.nanoTime() < deadline) {
			try {
				Thread.sleep(10);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	/** Components activate asynchronously: wait until none waits for a reference (at most 10 s). */
	private static void awaitComponentsSettled(ServiceComponentRuntime scr) {
		long deadline = System.nanoTime() + 10_000_000_000L;
		while (System.nanoTime() < deadline) {
			boolean settled = true;
			for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
				for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
					settled &= c.state != ComponentConfigurationDTO.UNSATISFIED_REFERENCE;
				}
			}
			if (settled) {
				return;
			}
			try {
				Thread.sleep(10);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	private static String message(Throwable e) {
		Throwable t = e;
		while (t.getCause() != null && t.getMessage() == null) {
			t = t.getCause();
		}
		return t.getMessage() != null ? t.getMessage() : t.toString();
	}

	/** Splits a script into statements: one per line, joining lines while braces or brackets are open. */
	public static List<String> statements(List<String> lines) {
		List<String> result = new ArrayList<>();
		StringBuilder current = new StringBuilder();
		int depth = 0;
		for (String line : lines) {
			String trimmed = line.strip();
			if (depth == 0 && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
				continue;
			}
			for (char c : trimmed.toCharArray()) {
				if (c == '{' || c == '[' || c == '(') {
					depth++;
				} else if (c == '}' || c == ']' || c == ')') {
					depth--;
				}
			}
			current.append(current.length() == 0 ? "" : "\n").append(trimmed);
			if (depth <= 0) {
				result.add(current.toString());
				current.setLength(0);
				depth = 0;
			}
		}
		if (current.length() > 0) {
			result.add(current.toString());
		}
		return result;
	}
}
