package smmu.gogo.report;

import smmu.gogo.format.ShellError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import smmu.accel.VirtualMachine;
import smmu.accel.VmManager;
import smmu.gogo.report.CostReport.HostReport;
import smmu.iommufd.IommufdContext;
import smmu.qemu.RealQemu;
import smmu.qemu.RealQemus;
import smmu.gogo.report.CostReport.VmReport;
import smmu.gogo.report.Costs.StatsRow;
import smmu.hw.HostPlatform;
import smmu.hw.Smmu;
import smmu.iommufd.Iommufd;

/**
 * The report:* commands: what a VM and the host cost (objects, stage-2 bytes, VMIDs, invalidation
 * commands, TLB and walk statistics), and one scenario compared across the available stage-2 policies.
 * Services are looked up per call: reconfiguring the kernel or the policy replaces them.
 */
@Component(service = ReportCommands.class, immediate = true)
@GogoCommand(scope = "report", function = { "vm", "host", "compare", "kernels" })
public class ReportCommands {
	public static final String POLICY_PID = "smmu.policy", POLICY_KEY = "active", KERNEL_PID = "smmu.kernel", KERNEL_KEY = "mode";

	/** The result of report:compare: the table, what was compared, and where the chart went. */
	public record CompareView(String scenario, String note, String svg, Comparison comparison) {}

	private final BundleContext context;

	@Activate
	public ReportCommands(BundleContext context) {
		this.context = context;
	}

	@Descriptor("a VM's cost: iommufd objects, stage-2 bytes per IOAS and HWPT, VMIDs per physical SMMU, invalidation commands per guest unmap and per host unmap (probes: one 4 KiB map+unmap each), TLB and walk statistics of its physical SMMUs")
	public VmReport vm(@Descriptor("skip the unmap probes (they map and unmap one page)") @Parameter(names = "--no-probe", absentValue = "false", presentValue = "true") boolean noProbe,
			@Descriptor("VM") String vm) {
		VmManager m = service(VmManager.class);
		RealQemus qemus = optional(RealQemus.class);
		RealQemu qemu = m.get(vm).isEmpty() && qemus != null ? qemus.get(vm).orElse(null) : null;
		if (qemu != null) {
			IommufdContext ctx = qemu.iommufd();
			if (ctx == null) {
				throw new ShellError("QEMU " + vm + " has no iommufd now (" + qemu.state().name().toLowerCase() + ")");
			}
			return CostReport.process(vm, "qemu " + qemu.state().name().toLowerCase(), ctx, service(HostPlatform.class), policy(), kernel());
		}
		VirtualMachine v = m.get(vm).orElseThrow(() -> {
			List<String> have = new ArrayList<>();
			for (VirtualMachine x : m.list()) {
				have.add(x.name());
			}
			return new ShellError("no VM named '" + vm + "' (have: " + (have.isEmpty() ? "none" : String.join(", ", have)) + ")");
		});
		return CostReport.vm(v, service(HostPlatform.class), !noProbe, policy(), kernel());
	}

	@Descriptor("the host's cost: every iommufd context (VMs by name), objects and stage-2 bytes, VMIDs per physical SMMU, every SMMU's TLB and walk statistics")
	public HostReport host() {
		Map<IommufdContext, String> processes = new IdentityHashMap<>();
		RealQemus qemus = optional(RealQemus.class);
		if (qemus != null) {
			for (RealQemu q : qemus.list()) {
				IommufdContext ctx = q.iommufd();
				if (ctx != null) {
					processes.put(ctx, q.name());
				}
			}
		}
		return CostReport.host(service(HostPlatform.class), service(Iommufd.class), service(VmManager.class).list(), processes, policy(), kernel());
	}

	@Descriptor("run a scenario once per available stage-2 policy (Config Admin PID smmu.policy, active), each on fresh VMs, and compare the costs side by side")
	public CompareView compare(@Descriptor("also write the comparison as a chart: SVG to this file, PNG beside it (.png)") @Parameter(names = "--svg", absentValue = "") String svg,
			@Descriptor("run each policy under both host kernels (PID smmu.kernel, mode shared and per-smmu)") @Parameter(names = "--kernels", absentValue = "false", presentValue = "true") boolean kernels,
			@Descriptor("run each policy under both MSI designs (msi-gpa, then translate: vm:msidesign <vm> translate after each vm:create of the scenario)") @Parameter(names = "--msi", absentValue = "false", presentValue = "true") boolean msi,
			@Descriptor("scenario name (scenarios/NAME.gosh) or script file") String scenario) throws IOException {
		Path file = ScenarioRunner.resolve(scenario, context.getProperty(ScenarioRunner.FOLDER));
		Path chart = svg.isEmpty() ? null : Path.of(svg).toAbsolutePath();
		if (chart != null && (chart.getParent() == null || !Files.isDirectory(chart.getParent()) || !Files.isWritable(chart.getParent()))) {
			throw new ShellError("--svg: cannot write " + chart + " (" + (chart.getParent() != null && Files.isDirectory(chart.getParent())
					? "the directory is not writable" : "no such directory: " + chart.getParent()) + ")");
		}
		refuseIfBusy("report:compare", scenario, false);
		List<String> statements = new ArrayList<>();
		for (String st : ScenarioRunner.statements(file)) {
			// the scenario's own reports are for people; their probes would add page tables to the VM measured here
			if (!st.startsWith("report:")) {
				statements.add(st);
			}
		}
		List<String> policies = policies();
		String note;
		List<String> names = new ArrayList<>();
		if (policies.isEmpty()) {
			note = "no stage-2 policy bundle is installed: compared the VM manager's built-in plumbing only";
			names.add("built-in");
		} else {
			note = "policies " + String.join(", ", policies);
			names.addAll(policies);
		}
		ConfigurationAdmin cm = optional(ConfigurationAdmin.class);
		if ((kernels || !policies.isEmpty()) && cm == null) {
			throw new IllegalStateException("no Config Admin: cannot switch the stage-2 policy or the kernel");
		}
		String kernelBefore = kernel();
		List<String> modes = kernels ? List.of("shared", "per-smmu") : List.of(kernelBefore);
		Object previousPolicy = policies.isEmpty() ? null : current(cm, POLICY_PID, POLICY_KEY);
		Object previousKernel = kernels ? current(cm, KERNEL_PID, KERNEL_KEY) : null;
		List<String> designs = new ArrayList<>();
		List<Measure> measures = new ArrayList<>();
		try {
			for (String mode : modes) {
				if (kernels && !mode.equals(kernel())) {
					setKernel(cm, mode);
				}
				for (String name : names) {
					if (!policies.isEmpty()) {
						set(cm, POLICY_PID, POLICY_KEY, name);
					}
					String design = kernels ? name + " / " + mode : name;
					if (!msi) {
						designs.add(design);
						measures.add(runOnce(design, statements, file));
						continue;
					}
					for (smmu.accel.MsiDesign d : smmu.accel.MsiDesign.values()) {
						designs.add(design + " / " + d.shellName());
						measures.add(runOnce(design + " / " + d.shellName(), withMsiDesign(statements, d), file));
					}
				}
			}
		} finally {
			if (!policies.isEmpty()) {
				set(cm, POLICY_PID, POLICY_KEY, previousPolicy);
			}
			if (kernels && !kernelBefore.equals(kernel())) {
				setKernel(cm, previousKernel);
			}
		}
		Comparison c = Compare.comparison(scenario + (kernels ? " (policy / kernel" + (msi ? " / MSI design)" : ")")
				: msi ? " (policy / MSI design, kernel " + kernelBefore + ")" : " (kernel " + kernelBefore + ")"), designs, measures);
		String written = null;
		if (chart != null) {
			Files.writeString(chart, CompareChart.svg(c));
			// the same chart as PNG beside it
			String base = chart.getFileName().toString();
			Files.write(chart.resolveSibling((base.endsWith(".svg") ? base.substring(0, base.length() - 4) : base) + ".png"), CompareChart.png(c));
			written = chart.toString();
		}
		return new CompareView(file.toString(), note, written, c);
	}

	/**
	 * A comparison needs the host to itself: it takes the host's devices for fresh VMs, resets the SMMUs'
	 * counters and switches the policy (and with --kernels the kernel, which rebuilds the VM manager). It
	 * refuses, naming what it would disturb, while the user has VMs or open iommufds, instead of setting
	 * them aside and bringing back something that is not exactly what was there.
	 */
	private void refuseIfBusy(String command, String scenario, boolean qemusToo) {
		List<String> busy = new ArrayList<>();
		List<String> hints = new ArrayList<>();
		VmManager vms = optional(VmManager.class);
		if (vms != null) {
			for (VirtualMachine v : vms.list()) {
				busy.add("VM " + v.name());
				hints.add("vm:destroy " + v.name());
			}
		}
		smmu.gogo.iommufd.IommufdCommands fds = optional(smmu.gogo.iommufd.IommufdCommands.class);
		if (fds != null) {
			for (var f : fds.fds()) {
				busy.add("iommufd " + f.fd());
				hints.add("iommufd:close " + f.fd());
			}
		}
		RealQemus qemus = qemusToo ? optional(RealQemus.class) : null;
		if (qemus != null) {
			for (RealQemu q : qemus.list()) {
				busy.add("QEMU " + q.name());
				hints.add("qemu:stop " + q.name());
			}
		}
		if (!busy.isEmpty()) {
			throw new ShellError(command + " needs the host to itself and would disturb " + String.join(", ", busy) + ": free them first ("
					+ String.join("; ", hints) + ")" + (scenario == null ? "" : " or run it on a host of its own: ./smmu --scenario " + scenario));
		}
	}

	/** The result of report:kernels: the QEMU options run, and the table (one column per host kernel mode). */
	public record KernelsView(String qemu, String note, Comparison comparison) {}

	/** The guest line report:kernels waits for: the set-up's init has finished. */
	static final String GUEST_DONE = "smmu-guest: done";

	@Descriptor("start real QEMU with the options under each host kernel mode (shared, then per-smmu), wait for its guest's init to finish, and compare its costs side by side: nest-parent HWPTs, IOAS, stage-2 bytes, VMIDs and invalidation commands per physical SMMU, vIOMMUs, bridge round trips")
	public KernelsView kernels(@Descriptor("seconds to wait for each guest's init (default 600)") @Parameter(names = "--timeout", absentValue = "600") int seconds,
			@Descriptor("name the QEMUs NAME-shared and NAME-per-smmu (default kernels)") @Parameter(names = "--name", absentValue = "kernels") String name,
			@Descriptor("QEMU options (as qemu:start takes them), the rest of the line") String... options) throws InterruptedException {
		RealQemus qemus = optional(RealQemus.class);
		if (qemus == null) {
			throw new ShellError("report:kernels: no bridge bundle (smmu.qemu) is running: real QEMU cannot start");
		}
		String missing = qemus.notSetUp();
		if (missing != null) {
			throw new ShellError("report:kernels: " + missing);
		}
		if (options.length == 0) {
			throw new ShellError("report:kernels: give the QEMU options (as qemu:start takes them)");
		}
		if (seconds <= 0) {
			throw new ShellError("--timeout: " + seconds + " is not a positive number of seconds");
		}
		refuseIfBusy("report:kernels", null, true);
		ConfigurationAdmin cm = optional(ConfigurationAdmin.class);
		if (cm == null) {
			throw new ShellError("report:kernels: no Config Admin: the host kernel's mode cannot change");
		}
		String joined = String.join(" ", smmu.gogo.qemu.QemuCommands.quoted(options));
		String kernelBefore = kernel();
		Object previousKernel = current(cm, KERNEL_PID, KERNEL_KEY);
		List<KernelRun> runs = new ArrayList<>();
		try {
			for (String mode : List.of("shared", "per-smmu")) {
				if (!mode.equals(kernel())) {
					switchKernel(cm, mode);
				}
				runs.add(runQemu(name + "-" + mode, mode, joined, seconds));
			}
		} finally {
			if (!kernelBefore.equals(kernel())) {
				switchKernel(cm, previousKernel);
			}
		}
		return new KernelsView(joined, "one real QEMU per host kernel mode, each to '" + GUEST_DONE + "'; the SMMUs' counters reset at each start; kernel "
				+ kernelBefore + " restored", KernelRun.comparison("real QEMU (kernel mode)", runs));
	}

	private KernelRun runQemu(String name, String mode, String options, int seconds) throws InterruptedException {
		RealQemus qemus = service(RealQemus.class);
		HostPlatform host = service(HostPlatform.class);
		for (Smmu s : host.smmus()) {
			s.resetStats();
		}
		RealQemu q = qemus.start(name, options);
		try {
			if (!q.awaitConsole(GUEST_DONE, seconds * 1000L)) {
				List<String> last = q.console(3);
				throw new ShellError("report:kernels: kernel " + mode + ": no console line '" + GUEST_DONE + "' "
						+ (q.state() == RealQemu.State.EXITED ? "(QEMU exited " + q.exitStatus() + ")" : "within " + seconds + " s")
						+ (last.isEmpty() ? "" : "; its last line: " + last.get(last.size() - 1).strip()));
			}
			if (q.iommufd() == null) {
				throw new ShellError("report:kernels: kernel " + mode + ": QEMU has no iommufd (" + q.state().name().toLowerCase() + ")");
			}
			return KernelRun.of(mode, q, host);
		} finally {
			qemus.stop(name);
		}
	}

	/** Sets the kernel's mode (null: the default) and waits for the VM manager and the QEMU service on the new kernel. */
	private void switchKernel(ConfigurationAdmin cm, Object mode) throws InterruptedException {
		long before = newest(RealQemus.class);
		setKernel(cm, mode);
		long deadline = System.nanoTime() + 30_000_000_000L;
		while (newest(RealQemus.class) <= before) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("no QEMU service came back on kernel " + mode + " within 30 s");
			}
			Thread.sleep(20);
		}
	}

	private static final java.util.regex.Pattern VM_CREATE = java.util.regex.Pattern.compile("^\\s*vm:create\\s+(\\S+)");

	/**
	 * The scenario with {@code vm:msidesign <vm> <design>} after each {@code vm:create} (the VMs start with
	 * msi-gpa, so that design's run is the scenario as written).
	 */
	static List<String> withMsiDesign(List<String> statements, smmu.accel.MsiDesign design) {
		if (design == smmu.accel.MsiDesign.DIRECT_GPA) {
			return statements;
		}
		List<String> out = new ArrayList<>();
		for (String st : statements) {
			out.add(st);
			java.util.regex.Matcher m = VM_CREATE.matcher(st);
			if (m.find()) {
				out.add("vm:msidesign " + m.group(1) + " " + design.shellName());
			}
		}
		return out;
	}

	/** One design's numbers. */
	record Measure(Costs.Counts counts, int vmids, double guestUnmap, double hostUnmap, StatsRow stats, long msiStage2Pages, long msiStage1Pages,
			double translationsPerMsi, double vmmWalksPerMsiRoute, double vmmReadsPerMsiRoute) {}

	private Measure runOnce(String design, List<String> statements, Path file) {
		VmManager manager = service(VmManager.class);
		Set<String> before = new HashSet<>();
		for (VirtualMachine v : manager.list()) {
			before.add(v.name());
		}
		HostPlatform host = service(HostPlatform.class);
		for (Smmu s : host.smmus()) {
			s.resetStats();
		}
		ByteArrayOutputStream log = new ByteArrayOutputStream();
		ScenarioRunner.Outcome outcome;
		CommandProcessor processor = service(CommandProcessor.class);
		PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
		try (CommandSession session = processor.createSession(InputStream.nullInputStream(), out, out)) {
			outcome = ScenarioRunner.run(statements, session::execute, null);
		}
		List<VirtualMachine> created = new ArrayList<>();
		for (VirtualMachine v : service(VmManager.class).list()) {
			if (!before.contains(v.name())) {
				created.add(v);
			}
		}
		try {
			if (!outcome.ok()) {
				throw new IllegalStateException(design + ": scenario " + file + " failed at '" + outcome.failed() + "': " + outcome.error());
			}
			if (created.isEmpty()) {
				throw new IllegalStateException(design + ": scenario " + file + " left no VM to report on (a scenario must not destroy its VMs)");
			}
			List<StatsRow> rows = new ArrayList<>();
			for (Smmu s : host.smmus()) {
				rows.add(Costs.stats(s.id(), s.stats()));
			}
			StatsRow stats = Costs.total("total", rows);
			List<VmReport> reports = new ArrayList<>();
			for (VirtualMachine v : created) {
				reports.add(CostReport.vm(v, host, true, design, kernel()));
			}
			return Compare.measure(reports, stats);
		} finally {
			for (VirtualMachine v : created) {
				manager.destroy(v.name());
			}
		}
	}

	/** The names of the registered stage-2 policies, sorted. */
	List<String> policies() {
		return smmu.gogo.complete.CandidateCommands.policyNames(context);
	}

	private String policy() {
		if (policies().isEmpty()) {
			return "built-in";
		}
		ConfigurationAdmin cm = optional(ConfigurationAdmin.class);
		Object v = cm == null ? null : current(cm, POLICY_PID, POLICY_KEY);
		return v == null ? "default" : v.toString();
	}

	private String kernel() {
		ConfigurationAdmin cm = optional(ConfigurationAdmin.class);
		Object v = cm == null ? null : current(cm, KERNEL_PID, KERNEL_KEY);
		return v == null ? "shared" : v.toString();
	}

	private static Object current(ConfigurationAdmin cm, String pid, String key) {
		try {
			Configuration[] cs = cm.listConfigurations("(service.pid=" + pid + ")");
			if (cs == null || cs.length == 0 || cs[0].getProperties() == null) {
				return null;
			}
			return cs[0].getProperties().get(key);
		} catch (IOException | InvalidSyntaxException e) {
			return null;
		}
	}

	/**
	 * Sets (null: removes) one property and waits until the framework says the VM manager took it: for the
	 * policy a VM manager service event carrying the new value (DS publishes a component's configuration as
	 * its service properties once its modified method has re-plumbed the VMs), for the kernel a new VM
	 * manager registered on the new kernel. No sleeping, no polling; 30 s at most, then an error.
	 */
	private void set(ConfigurationAdmin cm, String pid, String key, Object value) {
		boolean kernel = pid.equals(KERNEL_PID);
		long newestBefore = newest(VmManager.class);
		java.util.concurrent.CountDownLatch taken = new java.util.concurrent.CountDownLatch(1);
		org.osgi.framework.ServiceListener listener = e -> {
			ServiceReference<?> r = e.getServiceReference();
			if (e.getType() == org.osgi.framework.ServiceEvent.UNREGISTERING) {
				return;
			}
			boolean done = kernel ? (Long) r.getProperty("service.id") > newestBefore
					: value == null || value.toString().equals(String.valueOf(r.getProperty(key)));
			if (done) {
				taken.countDown();
			}
		};
		try {
			Configuration c = cm.getConfiguration(pid, "?");
			unbind(c);
			Dictionary<String, Object> props = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
			if (java.util.Objects.equals(props.get(key), value)) {
				return; // nothing changes: no event will come
			}
			if (value == null) {
				props.remove(key);
			} else {
				props.put(key, value);
			}
			context.addServiceListener(listener, "(objectClass=" + VmManager.class.getName() + ")");
			c.update(props);
			if (!taken.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
				throw new IllegalStateException("no VM manager took " + pid + " " + key + "=" + value + " within 30 s");
			}
		} catch (IOException e) {
			throw new IllegalStateException("cannot configure " + pid + ": " + e.getMessage(), e);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new ShellError("interrupted while " + pid + " was being changed");
		} catch (InvalidSyntaxException e) {
			throw new IllegalStateException(e);
		} finally {
			context.removeServiceListener(listener);
		}
	}

	/**
	 * A configuration read by another bundle first (cm:getconfiguration at the prompt) is bound to that
	 * bundle's location and never reaches the component it is for: make it a multi-location one again.
	 */
	public static void unbind(Configuration c) {
		String location = c.getBundleLocation();
		if (location != null && !location.startsWith("?")) {
			c.setBundleLocation("?");
		}
	}

	/** Sets the host kernel's mode (null: the default) and waits for the VM manager built on the new kernel. */
	private void setKernel(ConfigurationAdmin cm, Object mode) {
		set(cm, KERNEL_PID, KERNEL_KEY, mode);
	}

	private long newest(Class<?> type) {
		long max = 0;
		try {
			ServiceReference<?>[] refs = context.getServiceReferences(type.getName(), null);
			if (refs != null) {
				for (ServiceReference<?> r : refs) {
					max = Math.max(max, (Long) r.getProperty("service.id"));
				}
			}
		} catch (InvalidSyntaxException e) {
			throw new IllegalStateException(e);
		}
		return max;
	}

	private <T> T service(Class<T> type) {
		T s = optional(type);
		if (s == null) {
			throw new IllegalStateException("no " + type.getSimpleName() + " service");
		}
		return s;
	}

	private <T> T optional(Class<T> type) {
		ServiceReference<T> r = context.getServiceReference(type);
		return r == null ? null : context.getService(r);
	}
}
