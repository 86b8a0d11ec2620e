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
import smmu.gogo.vm.DefaultVm;
import smmu.hw.HostPlatform;
import smmu.hw.Smmu;
import smmu.iommufd.Iommufd;

/**
 * The report:* commands: what a VM and the host cost (objects, stage-2 bytes, VMIDs, invalidation
 * commands, TLB and walk statistics), and one scenario compared across the available stage-2 policies.
 * Services are looked up per call: reconfiguring the kernel or the policy replaces them.
 */
@Component(service = ReportCommands.class, immediate = true)
@GogoCommand(scope = "report", function = { "vm", "host", "compare" })
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
	public CompareView compare(@Descriptor("also write the comparison as an SVG chart to this file") @Parameter(names = "--svg", absentValue = "") String svg,
			@Descriptor("run each policy under both host kernels (PID smmu.kernel, mode shared and per-smmu)") @Parameter(names = "--kernels", absentValue = "false", presentValue = "true") boolean kernels,
			@Descriptor("scenario name (scenarios/NAME.gosh) or script file") String scenario) throws IOException {
		Path file = ScenarioRunner.resolve(scenario, context.getProperty(ScenarioRunner.FOLDER));
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
		DefaultVm.suspend();
		try {
			String defaultVm = DefaultVm.activeName();
			if (defaultVm != null) {
				service(VmManager.class).destroy(defaultVm);
			}
			for (String mode : modes) {
				if (kernels && !mode.equals(kernel())) {
					setKernel(cm, mode);
				}
				for (String name : names) {
					if (!policies.isEmpty()) {
						set(cm, POLICY_PID, POLICY_KEY, name);
					}
					String design = kernels ? name + " / " + mode : name;
					designs.add(design);
					measures.add(runOnce(design, statements, file));
				}
			}
		} finally {
			if (!policies.isEmpty()) {
				set(cm, POLICY_PID, POLICY_KEY, previousPolicy);
			}
			if (kernels && !kernelBefore.equals(kernel())) {
				setKernel(cm, previousKernel);
			}
			DefaultVm.resume();
			DefaultVm x = optional(DefaultVm.class);
			if (x != null) {
				x.ensure();
			}
		}
		Comparison c = Compare.comparison(scenario + (kernels ? " (policy / kernel)" : " (kernel " + kernelBefore + ")"), designs, measures);
		String written = null;
		if (!svg.isEmpty()) {
			Path out = Path.of(svg).toAbsolutePath();
			Files.writeString(out, SvgChart.render(c));
			written = out.toString();
		}
		return new CompareView(file.toString(), note, written, c);
	}

	/** One design's numbers. */
	record Measure(Costs.Counts counts, int vmids, double guestUnmap, double hostUnmap, StatsRow stats) {}

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

	/** Sets (or with null removes) one property and waits for the components to settle. */
	private void set(ConfigurationAdmin cm, String pid, String key, Object value) {
		try {
			Configuration c = cm.getConfiguration(pid, "?");
			Dictionary<String, Object> props = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
			if (value == null) {
				props.remove(key);
			} else {
				props.put(key, value);
			}
			c.update(props);
		} catch (IOException e) {
			throw new IllegalStateException("cannot configure " + pid + ": " + e.getMessage(), e);
		}
		long deadline = System.nanoTime() + 5_000_000_000L;
		do {
			try {
				Thread.sleep(100);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				return;
			}
		} while (optional(VmManager.class) == null && System.nanoTime() < deadline);
	}

	/** Sets the host kernel's mode (null: the default) and waits for the VM manager built on the new kernel. */
	private void setKernel(ConfigurationAdmin cm, Object mode) {
		long before = newest(VmManager.class);
		set(cm, KERNEL_PID, KERNEL_KEY, mode);
		long deadline = System.nanoTime() + 10_000_000_000L;
		while (newest(VmManager.class) <= before) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("no VM manager came up on kernel " + mode);
			}
			try {
				Thread.sleep(20);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				return;
			}
		}
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
