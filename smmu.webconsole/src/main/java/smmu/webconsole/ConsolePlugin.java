package smmu.webconsole;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.apache.felix.webconsole.servlet.AbstractServlet;
import org.apache.felix.webconsole.servlet.ServletConstants;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import smmu.accel.VirtualMachine;
import smmu.accel.VmException;
import smmu.accel.VmManager;
import smmu.accel.sweep.Sweep;
import smmu.accel.sweep.SweepSpec;
import smmu.accel.sweep.Sweeper;
import smmu.accel.workload.Workload;
import smmu.accel.workload.WorkloadSpec;
import smmu.accel.workload.Workloads;
import smmu.charts.Charts;
import smmu.charts.Figures;
import smmu.hw.HostPlatform;

/**
 * The "SMMU" page of the Felix Web Console ({@code /system/console/smmu}): the host's SMMUs, each VM's PCI
 * tree (vSMMU - physical SMMU, vSID - pSID), the iommufd object graph, live counters, the stage-2 policy with
 * a switch, workloads, and sweeps with their charts. The page is static HTML and script
 * ({@code res/smmu.js}) polling {@code state.json}; changes are POSTs. Services are looked up per request:
 * reconfiguring the kernel or the policy replaces them.
 */
@Component(service = Servlet.class, property = { ServletConstants.PLUGIN_LABEL + "=" + ConsolePlugin.LABEL, ServletConstants.PLUGIN_TITLE + "=SMMU",
		ServletConstants.PLUGIN_CATEGORY + "=SMMU" })
public class ConsolePlugin extends AbstractServlet {
	private static final long serialVersionUID = 1L;
	static final String LABEL = "smmu";
	static final String POLICY_PID = "smmu.policy", POLICY_KEY = "active";

	private final transient BundleContext context;

	@Activate
	public ConsolePlugin(BundleContext context) {
		this.context = context;
	}

	@Override
	protected URL getResource(String path) {
		String prefix = "/" + LABEL + "/res/";
		if (path != null && path.startsWith(prefix) && !path.contains("..")) {
			return getClass().getResource("/res/" + path.substring(prefix.length()));
		}
		return null;
	}

	/** The path below the plugin: "" for the page, "state.json", "sweep/3.svg", ... */
	private static String sub(HttpServletRequest req) {
		String p = req.getPathInfo();
		if (p == null) {
			return "";
		}
		String prefix = "/" + LABEL;
		p = p.startsWith(prefix) ? p.substring(prefix.length()) : p;
		return p.startsWith("/") ? p.substring(1) : p;
	}

	@Override
	protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
		String sub = sub(req);
		if (sub.startsWith("res/")) {
			spoolResource(req, res);
			return;
		}
		if (sub.equals("state.json")) {
			json(res, 200, State.of(service(HostPlatform.class), service(VmManager.class), service(Workloads.class), service(Sweeper.class), shippedSweeps()));
			return;
		}
		if (sub.startsWith("sweep/")) {
			sweepFile(sub.substring(6), res);
			return;
		}
		if (!sub.isEmpty()) {
			res.sendError(404);
		}
		// the page itself: the console draws its frame around renderContent
	}

	private void sweepFile(String name, HttpServletResponse res) throws IOException {
		int dot = name.lastIndexOf('.');
		Sweeper sweeper = service(Sweeper.class);
		Optional<Sweep> s = Optional.empty();
		if (dot > 0 && sweeper != null) {
			try {
				s = sweeper.get(Integer.parseInt(name.substring(0, dot)));
			} catch (NumberFormatException e) {
				s = Optional.empty();
			}
		}
		if (s.isEmpty()) {
			res.sendError(404);
			return;
		}
		var r = s.get().result();
		ServletConstantsHelper.noCache(res);
		switch (name.substring(dot + 1)) {
			case "svg" -> {
				res.setContentType("image/svg+xml;charset=utf-8");
				res.getOutputStream().write(Charts.svg(Figures.sweep(r), 520, 340).getBytes(StandardCharsets.UTF_8));
			}
			case "png" -> {
				res.setContentType("image/png");
				res.getOutputStream().write(Charts.png(Figures.sweep(r), 520, 340));
			}
			case "csv" -> {
				res.setContentType("text/csv;charset=utf-8");
				res.getOutputStream().write(r.csv().getBytes(StandardCharsets.UTF_8));
			}
			case "json" -> {
				res.setContentType("application/json;charset=utf-8");
				res.getOutputStream().write(r.json().getBytes(StandardCharsets.UTF_8));
			}
			default -> res.sendError(404);
		}
	}

	@Override
	protected void doPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
		String sub = sub(req);
		try {
			switch (sub) {
				case "policy" -> json(res, 200, switchPolicy(req.getParameter("name")));
				case "workload/start" -> json(res, 200, startWorkload(req));
				case "workload/stop" -> {
					Workloads w = require(Workloads.class);
					int n = 0;
					for (Workload x : w.list()) {
						if (x.state() == Workload.State.RUNNING) {
							x.stop();
							n++;
						}
					}
					json(res, 200, Map.of("stopped", n));
				}
				case "sweep/run" -> json(res, 200, runSweep(req.getParameter("name")));
				default -> res.sendError(404);
			}
		} catch (IllegalArgumentException | IllegalStateException | VmException e) {
			json(res, 400, Map.of("error", e.getMessage() == null ? e.toString() : e.getMessage()));
		}
	}

	/** What policy:use does: Config Admin smmu.policy active, then wait for the VM manager to apply it. */
	private Map<String, Object> switchPolicy(String name) throws IOException {
		VmManager vms = require(VmManager.class);
		if (name == null || !vms.policies().contains(name)) {
			throw new IllegalArgumentException("no stage-2 policy '" + name + "' is installed (have: " + String.join(", ", vms.policies()) + ")");
		}
		ConfigurationAdmin cm = require(ConfigurationAdmin.class);
		Configuration c = cm.getConfiguration(POLICY_PID, "?");
		Dictionary<String, Object> props = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
		props.put(POLICY_KEY, name);
		c.update(props);
		long deadline = System.nanoTime() + 10_000_000_000L;
		while (!name.equals(vms.activePolicy().orElse(null)) && System.nanoTime() < deadline) {
			try {
				Thread.sleep(20);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				break;
			}
		}
		return State.policy(vms);
	}

	private Map<String, Object> startWorkload(HttpServletRequest req) {
		VmManager vms = require(VmManager.class);
		String vm = req.getParameter("vm");
		VirtualMachine v = vms.get(vm == null ? "" : vm).orElseThrow(() -> new IllegalArgumentException("no VM named '" + vm + "'"));
		if (v.state() != VirtualMachine.State.RUNNING) {
			v.boot();
		}
		String pattern = req.getParameter("pattern");
		String seconds = req.getParameter("seconds");
		double secs;
		try {
			secs = seconds == null ? 30 : Double.parseDouble(seconds);
		} catch (NumberFormatException e) {
			throw new IllegalArgumentException("seconds: '" + seconds + "' is not a number");
		}
		if (!(secs > 0 && secs <= 3600)) {
			throw new IllegalArgumentException("seconds must be in (0, 3600]");
		}
		WorkloadSpec spec = WorkloadSpec.of(WorkloadSpec.Pattern.of(pattern == null ? "random" : pattern), Duration.ofMillis((long) (secs * 1000)))
				.withRate(2000);
		Workload w = require(Workloads.class).start(v, spec);
		return Map.of("id", w.id(), "vm", w.vm(), "devices", w.devices());
	}

	private Map<String, Object> runSweep(String name) throws IOException {
		Path file = sweepFolder().resolve((name == null ? "" : name) + ".sweep");
		if (name == null || name.contains("/") || !Files.isRegularFile(file)) {
			throw new IllegalArgumentException("no sweep '" + name + "' (have: " + String.join(", ", shippedSweeps()) + ")");
		}
		Sweep s = require(Sweeper.class).start(SweepSpec.parse(name, Files.readString(file)), 0, null);
		return Map.of("id", s.id(), "total", s.total());
	}

	private Path sweepFolder() {
		String f = context.getProperty("smmu.sweeps");
		return Path.of(f == null ? "sweeps" : f);
	}

	private List<String> shippedSweeps() {
		List<String> out = new ArrayList<>();
		Path dir = sweepFolder();
		if (Files.isDirectory(dir)) {
			try (Stream<Path> s = Files.list(dir)) {
				s.map(x -> x.getFileName().toString()).filter(n -> n.endsWith(".sweep")).sorted().forEach(n -> out.add(n.substring(0, n.length() - 6)));
			} catch (IOException e) {
				// nothing to list
			}
		}
		return out;
	}

	@Override
	public void renderContent(HttpServletRequest req, HttpServletResponse res) throws IOException {
		Object root = req.getAttribute(ServletConstants.ATTR_PLUGIN_ROOT);
		String base = root == null ? "/system/console/" + LABEL : root.toString();
		PrintWriter w = res.getWriter();
		w.println("<link rel='stylesheet' href='" + base + "/res/smmu.css'>");
		w.println("<div id='smmu' data-root='" + base + "'>");
		w.println("<p class='smmu-note' id='smmu-status'>loading...</p>");
		w.println("<h2>Host: physical SMMUs and live counters</h2><div id='smmu-host'></div>");
		w.println("<h2>Stage-2 policy</h2><div id='smmu-policy'></div>");
		w.println("<h2>VMs: PCI trees and iommufd object graphs</h2><div id='smmu-vms'></div>");
		w.println("<h2>DMA workloads</h2><div id='smmu-workloads'></div>");
		w.println("<h2>Sweeps</h2><div id='smmu-sweeps'></div>");
		w.println("</div>");
		w.println("<script src='" + base + "/res/smmu.js'></script>");
	}

	private static void json(HttpServletResponse res, int status, Object body) throws IOException {
		res.setStatus(status);
		res.setContentType("application/json;charset=utf-8");
		ServletConstantsHelper.noCache(res);
		res.getOutputStream().write(Json.write(body).getBytes(StandardCharsets.UTF_8));
	}

	private <T> T require(Class<T> type) {
		T s = service(type);
		if (s == null) {
			throw new IllegalStateException("no " + type.getSimpleName() + " service");
		}
		return s;
	}

	private <T> T service(Class<T> type) {
		ServiceReference<T> r = context.getServiceReference(type);
		return r == null ? null : context.getService(r);
	}

	/** Keeps the imports of this class to what it uses. */
	static final class ServletConstantsHelper {
		private ServletConstantsHelper() {}

		static void noCache(HttpServletResponse res) {
			AbstractServlet.setNoCache(res);
		}
	}

}
