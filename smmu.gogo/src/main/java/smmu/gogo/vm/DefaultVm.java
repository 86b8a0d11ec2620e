package smmu.gogo.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import smmu.accel.Topology;
import smmu.accel.VirtualMachine;
import smmu.accel.VmException;
import smmu.accel.VmManager;

/**
 * The shell's default VM, created at start from shipped configuration: a file of QEMU options ({@code #}
 * comments and line breaks allowed) named by the framework property {@value #FILE} (the {@code ./smmu}
 * launcher sets it to {@code runtime/etc/vm0.args} for the interactive shell), or by Config Admin PID
 * {@value #PID} ({@code file} or {@code options}, and {@code name}, default {@code vm0}). Without either,
 * no VM is created (script mode and the in-framework tests start on a clean host). Without a script
 * (framework property {@code smmu.script}) its first activation prints the shell's welcome line.
 */
@Component(service = DefaultVm.class, immediate = true, configurationPid = DefaultVm.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class DefaultVm {
	public static final String PID = "smmu.vm.default", FILE = "smmu.vm.default";
	private static final AtomicInteger SUSPENDED = new AtomicInteger();
	private static volatile DefaultVm active;
	private static final java.util.concurrent.atomic.AtomicBoolean WELCOMED = new java.util.concurrent.atomic.AtomicBoolean();

	private final VmManager manager;
	private final String name;
	private final String options;
	private final String source;
	private volatile String problem;
	private final String console;
	private volatile boolean created;

	@Activate
	public DefaultVm(BundleContext context, Map<String, Object> config, @Reference VmManager manager) {
		this.manager = manager;
		Object n = config.get("name");
		this.name = n == null ? "vm0" : n.toString();
		String opts = null, src = null;
		try {
			if (config.get("options") != null) {
				opts = config.get("options").toString();
				src = "configuration " + PID;
			} else {
				Object f = config.get("file") != null ? config.get("file") : context.getProperty(FILE);
				if (f != null && !f.toString().isBlank()) {
					src = f.toString();
					opts = options(Files.readAllLines(Path.of(src)));
				}
			}
		} catch (IOException e) {
			problem = "cannot read " + src + ": " + e.getMessage();
			opts = null;
		}
		this.options = opts;
		this.source = src;
		active = this;
		this.console = consoleAddress(context);
		ensure();
		String script = context.getProperty("smmu.script");
		if ((script == null || script.isBlank()) && WELCOMED.compareAndSet(false, true)) {
			// the interactive shell's one line, once per framework run
			System.out.println(welcome());
		}
	}

	/**
	 * The web console's address when the HTTP service has a fixed port (framework property
	 * org.osgi.service.http.port, set by ./smmu; bound to org.apache.felix.http.host), else null.
	 */
	static String consoleAddress(BundleContext context) {
		String port = context.getProperty("org.osgi.service.http.port");
		if (port == null || !port.strip().matches("[1-9][0-9]*")) {
			return null;
		}
		String host = context.getProperty("org.apache.felix.http.host");
		return "http://" + (host == null || host.isBlank() ? "localhost" : host.strip()) + ":" + port.strip() + "/system/console/smmu";
	}

	/** QEMU options from the lines of a description file: comments dropped, lines joined. */
	public static String options(List<String> lines) {
		StringBuilder sb = new StringBuilder();
		for (String line : lines) {
			String l = line.strip();
			if (l.isEmpty() || l.startsWith("#")) {
				continue;
			}
			if (l.endsWith("\\")) {
				l = l.substring(0, l.length() - 1).strip();
			}
			sb.append(sb.length() == 0 ? "" : " ").append(l);
		}
		return sb.toString();
	}

	/** Creates the default VM unless it exists, is not configured, or a comparison is running. */
	public synchronized void ensure() {
		if (options == null || SUSPENDED.get() > 0 || manager.get(name).isPresent()) {
			return;
		}
		try {
			manager.create(name, options);
			created = true;
			problem = null;
		} catch (VmException e) {
			problem = "VM " + name + " from " + source + " refused: " + e.qemuLine();
		} catch (RuntimeException e) {
			problem = "VM " + name + " from " + source + " failed: " + e.getMessage();
		}
	}

	/** The default VM's name while one is configured, or null. */
	public static String activeName() {
		DefaultVm d = active;
		return d == null || d.options == null ? null : d.name;
	}

	/** Keeps the default VM from being created again (while report:compare needs the host's devices). */
	public static void suspend() {
		SUSPENDED.incrementAndGet();
	}

	public static void resume() {
		SUSPENDED.decrementAndGet();
	}

	/** The shell's welcome line: what the host has and what to type first. */
	public String welcome() {
		StringBuilder sb = new StringBuilder("SMMU runtime.");
		VirtualMachine vm = options == null ? null : manager.get(name).orElse(null);
		if (vm != null) {
			Topology t = vm.topology();
			sb.append(" VM ").append(name).append(" (").append(t.vsmmus().size()).append(" vSMMUs, ").append(t.devices().size())
					.append(" devices) is ready to boot: type 'vm:topology ").append(name).append("', then 'vm:boot ").append(name)
					.append("' and 'report:vm ").append(name).append("'.");
		} else if (problem != null) {
			sb.append(" No default VM: ").append(problem).append('.');
		}
		sb.append(" 'smmu:list' shows the host's SMMUs, 'help' every command, TAB completes.");
		if (console != null) {
			sb.append(" Web console: ").append(console);
		}
		return sb.toString();
	}

	@Deactivate
	void deactivate() {
		if (active == this) {
			active = null;
		}
		if (created && SUSPENDED.get() == 0) {
			try {
				manager.destroy(name);
			} catch (RuntimeException e) {
				// the manager is going away too
			}
		}
	}
}
