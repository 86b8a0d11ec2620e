package smmu.gogo.policy;

import smmu.gogo.format.ShellError;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import smmu.accel.VmManager;
import smmu.accel.policy.Stage2Policy;

/**
 * The policy:* commands: which stage-2 policies are installed, which one VMs use, and switching it
 * (Config Admin PID {@value #PID}, property {@value #KEY}) while VMs run: the VM manager re-plumbs them.
 */
@Component(service = PolicyCommands.class, immediate = true)
@GogoCommand(scope = "policy", function = { "list", "use" })
public class PolicyCommands {
	static final String PID = "smmu.policy", KEY = "active";

	private final BundleContext context;
	private final ConfigurationAdmin cm;
	private final VmManager vms;

	public record PolicyRow(String name, String bundle, String state) {}

	public record Switch(String configured, String active, int runningVms, List<String> problems) {}

	@Activate
	public PolicyCommands(BundleContext context, @Reference ConfigurationAdmin cm, @Reference VmManager vms) {
		this.context = context;
		this.cm = cm;
		this.vms = vms;
	}

	@Descriptor("the stage-2 policies installed (their bundles) and which one VMs use")
	public List<PolicyRow> list() throws Exception {
		List<PolicyRow> rows = new ArrayList<>();
		String active = vms.activePolicy().orElse(null);
		for (ServiceReference<Stage2Policy> r : context.getServiceReferences(Stage2Policy.class, null)) {
			String name = String.valueOf(r.getProperty(Stage2Policy.NAME));
			rows.add(new PolicyRow(name, r.getBundle().getSymbolicName(), name.equals(active) ? "active" : "-"));
		}
		if (rows.isEmpty()) {
			rows.add(new PolicyRow("(none)", "-", "configured '" + vms.configuredPolicy() + "' is not installed: new VMs are refused"));
		}
		rows.sort((a, b) -> a.name().compareTo(b.name()));
		return rows;
	}

	@Descriptor("make running and new VMs use a stage-2 policy (shared | per-instance | ...): running VMs are re-plumbed live")
	public Switch use(@Descriptor("policy name (see policy:list)") String name) throws Exception {
		if (!vms.policies().contains(name)) {
			throw new ShellError("no stage-2 policy '" + name + "' is installed (have: " + String.join(", ", vms.policies()) + ")");
		}
		int before = vms.reported().size();
		if (!name.equals(vms.configuredPolicy()) || !name.equals(vms.activePolicy().orElse(null))) {
			// confirmed by the framework: DS re-plumbs in the VM manager's modified method, then publishes the
			// new configuration as the service's properties (a MODIFIED service event with active=name)
			java.util.concurrent.CountDownLatch taken = new java.util.concurrent.CountDownLatch(1);
			org.osgi.framework.ServiceListener listener = e -> {
				if (e.getType() != org.osgi.framework.ServiceEvent.UNREGISTERING && name.equals(e.getServiceReference().getProperty(KEY))) {
					taken.countDown();
				}
			};
			context.addServiceListener(listener, "(objectClass=" + VmManager.class.getName() + ")");
			try {
				Configuration c = cm.getConfiguration(PID, "?");
				smmu.gogo.report.ReportCommands.unbind(c);
				Dictionary<String, Object> props = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
				props.put(KEY, name);
				c.update(props);
				if (!taken.await(30, java.util.concurrent.TimeUnit.SECONDS) && !name.equals(vms.activePolicy().orElse(null))) {
					throw new ShellError("policy:use " + name + ": the VM manager did not take configuration " + PID + " within 30 s");
				}
			} finally {
				context.removeServiceListener(listener);
			}
		}
		List<String> problems = vms.reported();
		return new Switch(vms.configuredPolicy(), vms.activePolicy().orElse("-"), vms.list().size(),
				problems.subList(Math.min(before, problems.size()), problems.size()));
	}
}
