package smmu.gogo.shell;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.gogo.jline.Expander;
import org.apache.felix.gogo.jline.Highlighter;
import org.apache.felix.gogo.jline.ParsedLineImpl;
import org.apache.felix.gogo.jline.Parser;
import org.apache.felix.gogo.jline.Shell;
import org.apache.felix.gogo.runtime.CommandSessionImpl;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Function;
import org.apache.felix.service.command.Job;
import org.apache.felix.service.threadio.ThreadIO;
import org.jline.builtins.Completers;
import org.jline.builtins.Completers.CompletionData;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.ParsedLine;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;

/**
 * The interactive shell: jline's reader with Gogo's parser, completion, highlighting and the profile
 * ({@code $gosh.home/etc/gosh_profile}), as gogo.jline's own console, except that every result and every
 * error goes through {@link Lines} (one line per error, no Java exception names) and that {@code exit},
 * {@code quit} and Ctrl-D leave the shell and stop the runtime. Ctrl-C interrupts the running command.
 * Runs when no script is given ({@code smmu.script}) and {@code gosh.args} does not say
 * {@code --nointeractive} (the in-framework tests).
 */
@Component(immediate = true)
public class Console {
	private final BundleContext context;
	private volatile boolean stopping;
	private volatile Terminal terminal;
	private Thread thread;

	@Activate
	public Console(BundleContext context, @Reference CommandProcessor processor, @Reference GogoLanguage language,
			@Reference(cardinality = ReferenceCardinality.OPTIONAL) ThreadIO tio) {
		this.context = context;
		String script = context.getProperty("smmu.script");
		String args = context.getProperty("gosh.args");
		if (script != null && !script.isBlank() || args != null && args.contains("--nointeractive")) {
			return;
		}
		thread = new Thread(() -> run(processor, language.shell(), tio), "smmu-console");
		thread.start();
	}

	private void run(CommandProcessor processor, Shell shell, ThreadIO tio) {
		try {
			Terminal t = TerminalBuilder.builder().name("smmu").system(true).nativeSignals(true).signalHandler(Terminal.SignalHandler.SIG_IGN)
					.build();
			terminal = t;
			CommandSession session = processor.createSession(t.input(), t.output(), t.output());
			loop(session, processor, t, tio);
		} catch (Throwable e) {
			if (!stopping) {
				System.err.println("smmu: the console failed: " + Errors.message(e, null, null));
			}
		}
		if (!stopping) {
			try {
				context.getBundle(0).stop();
			} catch (BundleException | IllegalStateException e) {
				// going down already
			}
		}
	}

	private void loop(CommandSession session, CommandProcessor processor, Terminal terminal, ThreadIO tio) throws Exception {
		session.put(Shell.VAR_TERMINAL, terminal);
		session.put(Shell.VAR_PROCESSOR, processor);
		session.put(Shell.VAR_SESSION, session);
		session.put(Shell.VAR_CONTEXT, context);
		session.put("SCOPE", "gogo:*");
		session.put("#TERM", (Function) (s, a) -> terminal.getType());
		session.put("#COLUMNS", (Function) (s, a) -> terminal.getWidth());
		session.put("#LINES", (Function) (s, a) -> terminal.getHeight());
		session.put("#PWD", (Function) (s, a) -> s.currentDir().toString());
		session.put(LineReader.HISTORY_FILE, Paths.get(System.getProperty("user.home"), ".smmu_history"));
		PrintWriter writer = terminal.writer();
		if (tio != null) {
			PrintStream out = new PrintStream(new OutputStream() {
				@Override
				public void write(int b) {
					write(new byte[] { (byte) b }, 0, 1);
				}

				@Override
				public void write(byte[] b, int off, int len) {
					writer.write(new String(b, off, len));
				}

				@Override
				public void flush() {
					writer.flush();
				}
			}, true);
			tio.setStreams(terminal.input(), out, out);
		}
		Completers.CompletionEnvironment env = new Completers.CompletionEnvironment() {
			@Override
			@SuppressWarnings("unchecked")
			public Map<String, List<CompletionData>> getCompletions() {
				return (Map<String, List<CompletionData>>) session.get(Shell.VAR_COMPLETIONS);
			}

			@Override
			public Set<String> getCommands() {
				return Shell.getCommands(session);
			}

			@Override
			public String resolveCommand(String command) {
				return Shell.resolve(session, command);
			}

			@Override
			public String commandName(String command) {
				int i = command.indexOf(':');
				return i >= 0 ? command.substring(i + 1) : command;
			}

			@Override
			public Object evaluate(LineReader reader, ParsedLine line, String func) throws Exception {
				session.put(Shell.VAR_COMMAND_LINE, line);
				return session.execute(func);
			}
		};
		LineReader reader = LineReaderBuilder.builder().terminal(terminal).variables(((CommandSessionImpl) session).getVariables())
				.completer(new Completers.Completer(env)).highlighter(new Highlighter(session)).parser(new Parser()).expander(new Expander(session))
				.build();
		reader.setOpt(LineReader.Option.AUTO_FRESH_LINE);
		session.put(Shell.VAR_READER, reader);
		session.put(Shell.VAR_COMPLETIONS, new HashMap<>());
		String home = context.getProperty("gosh.home");
		File profile = new File(home == null ? "." : home, "etc/gosh_profile");
		if (profile.isFile()) {
			Lines.Outcome o = Lines.run(session, "source '" + profile.toURI() + "'");
			if (!o.ok()) {
				writer.println("warning: " + profile + ": " + o.text());
			}
		}
		Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, s -> {
			Job job = session.foregroundJob();
			if (job != null) {
				job.interrupt();
			}
		});
		try {
			while (!stopping) {
				try {
					reader.readLine(Shell.getPrompt(session), Shell.getRPrompt(session), (Character) null, null);
				} catch (UserInterruptException e) {
					continue;
				} catch (EndOfFileException e) {
					break;
				}
				ParsedLine line = reader.getParsedLine();
				if (line == null) {
					break;
				}
				Lines.Outcome o;
				try {
					o = Lines.run(session, ((ParsedLineImpl) line).program());
				} catch (ExitRequest e) {
					break;
				}
				if (o.text() != null) {
					if (o.ok()) {
						writer.println(o.text());
					} else {
						AttributedStringBuilder sb = new AttributedStringBuilder();
						sb.style(sb.style().foreground(AttributedStyle.RED)).append(o.text()).style(sb.style().foregroundDefault());
						writer.println(sb.toAnsi(terminal));
					}
				}
				writer.flush();
			}
		} finally {
			terminal.handle(Terminal.Signal.INT, previous);
			try {
				reader.getHistory().save();
			} catch (IOException e) {
				// no history then
			}
		}
	}

	@Deactivate
	void deactivate() {
		stopping = true;
		Terminal t = terminal;
		if (t != null) {
			try {
				t.close();
			} catch (IOException e) {
				// closing anyway
			}
		}
		if (thread != null) {
			thread.interrupt();
		}
	}
}
