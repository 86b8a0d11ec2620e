package smmu.gogo.shell;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;

import org.apache.felix.gogo.jline.Builtin;
import org.apache.felix.gogo.jline.Converters;
import org.apache.felix.gogo.jline.Posix;
import org.apache.felix.gogo.jline.Procedural;
import org.apache.felix.gogo.jline.Shell;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo's language commands for every session, the console's and the scripts': {@code echo}, {@code each},
 * {@code if}, {@code new}, {@code sleep}, {@code source}, ... and the converter that turns a bundle id or
 * name into a bundle. They live in the gogo.jline bundle, whose activator would also start its own
 * console; this component keeps that bundle stopped (its packages stay usable) and registers the same
 * command objects itself, so script mode and the interactive {@link Console} have the same language.
 */
@Component(service = GogoLanguage.class, immediate = true)
public class GogoLanguage {
	static final String JLINE = "org.apache.felix.gogo.jline";
	private static final String[] SHELL_FUNCTIONS = { "source" };

	private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
	private final Shell shell;

	@Activate
	public GogoLanguage(BundleContext context, @Reference CommandProcessor processor) {
		keepJlineActivatorStopped(context);
		register(context, Converter.class.getName(), new Converters(context.getBundle(0).getBundleContext()), null);
		register(context, Builtin.class.getName(), new Builtin(), functions(builtin()));
		register(context, Procedural.class.getName(), new Procedural(), functions("each", "if", "not", "throw", "try", "until", "while", "break", "continue"));
		register(context, Posix.class.getName(), new Posix(processor), functions(posix()));
		shell = new Shell(new Shell.Context() {
			@Override
			public String getProperty(String name) {
				return context.getProperty(name);
			}

			@Override
			public void exit() throws Exception {
				context.getBundle(0).stop();
			}
		}, processor);
		register(context, Shell.class.getName(), shell, functions(SHELL_FUNCTIONS));
	}

	/** jline's Shell (for its profile sourcing), shared with the console. */
	Shell shell() {
		return shell;
	}

	private static String[] builtin() {
		return new String[] { "format", "getopt", "new", "set", "tac", "type", "jobs", "fg", "bg", "keymap", "setopt", "unsetopt", "complete",
				"history", "widget", "__files", "__directories", "__usage_completion" };
	}

	private static String[] posix() {
		return new String[] { "cat", "echo", "grep", "sort", "sleep", "cd", "pwd", "ls", "less", "watch", "nano", "tmux", "head", "tail", "clear",
				"wc", "date", "ttop" };
	}

	private static Hashtable<String, Object> functions(String... names) {
		Hashtable<String, Object> props = new Hashtable<>();
		props.put(CommandProcessor.COMMAND_SCOPE, "gogo");
		props.put(CommandProcessor.COMMAND_FUNCTION, names);
		return props;
	}

	private void register(BundleContext context, String type, Object service, Hashtable<String, Object> props) {
		registrations.add(context.registerService(type, service, props));
	}

	/**
	 * The gogo.jline bundle starts at a later start level: marking it stopped now keeps its activator (and its
	 * console, which prints Java exceptions) from ever running. Its packages stay wired.
	 */
	static void keepJlineActivatorStopped(BundleContext context) {
		for (Bundle b : context.getBundles()) {
			if (JLINE.equals(b.getSymbolicName())) {
				try {
					b.stop();
				} catch (BundleException e) {
					System.err.println("warning: cannot keep gogo.jline's own console stopped: " + e.getMessage());
				}
			}
		}
	}

	@Deactivate
	void deactivate() {
		for (ServiceRegistration<?> r : registrations) {
			try {
				r.unregister();
			} catch (IllegalStateException e) {
				// already gone with the bundle
			}
		}
		registrations.clear();
	}
}
