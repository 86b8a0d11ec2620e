package smmu.gogo.script;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.gogo.runtime.Parser;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import smmu.gogo.shell.Errors;
import smmu.gogo.shell.ExitRequest;
import smmu.gogo.shell.GogoLanguage;
import smmu.gogo.shell.Lines;

/**
 * Runs a Gogo script without a terminal when the framework property {@code smmu.script} names a file:
 * echoes each statement after a {@code g! } prompt, prints its result as the console does, stops at the
 * first failing statement naming its line, then stops the framework (exit status 1 on failure, or the
 * status {@code exit N} gives). Statements are split by Gogo's own parser and run in a session with the
 * whole Gogo language ({@link GogoLanguage}). Its references never change
 * while the framework runs, so reconfiguring the host, its kernel or the VM manager cannot start a script again.
 */
@Component(immediate = true)
public class ScriptRunner {
	public static final String SCRIPT = "smmu.script";

	@Activate
	public ScriptRunner(BundleContext context, @Reference CommandProcessor processor, @Reference ServiceComponentRuntime scr,
			@Reference GogoLanguage language) {
		String script = context.getProperty(SCRIPT);
		if (script == null || script.isBlank()) {
			// the welcome line is the default VM's (smmu.gogo.vm.DefaultVm): it knows what to type first
			return;
		}
		Thread t = new Thread(() -> {
			awaitFrameworkStarted(context);
			awaitComponentsSettled(scr);
			run(context, processor, Path.of(script));
		}, "smmu-script");
		t.start();
	}

	private static void run(BundleContext context, CommandProcessor processor, Path script) {
		// the process's own streams: System.out is Gogo's per-thread stream, which would write back into the session
		PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
		PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true);
		int status;
		try (CommandSession session = processor.createSession(InputStream.nullInputStream(), out, err)) {
			status = run(session, Files.readString(script), out);
		} catch (IOException e) {
			out.println("error: cannot read script " + script + ": " + e.getMessage());
			status = 1;
		} catch (RuntimeException e) {
			out.println("error: " + Errors.message(e, null, null));
			status = 1;
		}
		out.flush();
		if (status != 0) {
			Runtime.getRuntime().halt(status);
		}
		try {
			context.getBundle(0).stop();
		} catch (BundleException e) {
			Runtime.getRuntime().halt(1);
		}
	}

	/**
	 * Runs a script's statements in {@code session} (SCOPE {@code gogo:*}, as the console): echoes each after
	 * {@code g! }, prints its result as the console does, stops at the first failure with
	 * {@code error: line N: message}. Returns the exit status: 0, 1 after a failure, or what {@code exit N} said.
	 */
	public static int run(CommandSession session, String text, PrintStream out) {
		session.put("SCOPE", "gogo:*");
		List<Unit> units;
		try {
			units = units(text);
		} catch (RuntimeException e) {
			out.println("error: " + Errors.message(e, session, null));
			return 1;
		}
		for (Unit u : units) {
			out.println("g! " + u.text());
			Lines.Outcome o;
			try {
				o = Lines.run(session, u.text());
			} catch (ExitRequest e) {
				return e.status();
			}
			if (!o.ok()) {
				out.println("error: line " + u.line() + ": " + o.text());
				return 1;
			}
			if (o.text() != null) {
				out.println(o.text());
			}
		}
		return 0;
	}

	/** A statement of a script (with the statements joined to it by {@code &&}, {@code ||} or {@code |}) and its 1-based line. */
	public record Unit(int line, String text) {}

	/**
	 * Splits a script with Gogo's own parser: quotes, braces, brackets, comments and line continuations as the
	 * shell reads them; statements separated by a new line or {@code ;}. A syntax error fails the whole script.
	 */
	public static List<Unit> units(String text) {
		Parser.Program program = new Parser(text).program();
		List<Unit> units = new ArrayList<>();
		int start = -1, end = -1, line = 0;
		for (Parser.Executable e : program.tokens()) {
			if (e instanceof Parser.Operator op) {
				String o = op.toString();
				if (o.equals(";") || o.isBlank()) {
					if (start >= 0) {
						units.add(new Unit(line + 1, text.substring(start, end)));
						start = -1;
					}
				}
				continue;
			}
			if (start < 0) {
				start = e.start();
				line = e.line();
			}
			end = e.start() + e.length();
		}
		if (start >= 0) {
			units.add(new Unit(line + 1, text.substring(start, end)));
		}
		return units;
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

	/** The statements of a script's lines (Gogo's parser; see {@link #units}). */
	public static List<String> statements(List<String> lines) {
		return units(String.join("\n", lines)).stream().map(Unit::text).toList();
	}
}
