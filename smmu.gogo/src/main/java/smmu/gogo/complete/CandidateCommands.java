package smmu.gogo.complete;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import smmu.accel.Topology;
import smmu.accel.VirtualMachine;
import smmu.accel.VmManager;
import smmu.qemu.RealQemu;
import smmu.qemu.RealQemus;
import smmu.accel.policy.Stage2Policy;
import smmu.gogo.report.ScenarioRunner;
import smmu.hw.HostPlatform;
import smmu.hw.PciEndpoint;
import smmu.hw.Smmu;

/**
 * Candidate functions for the jline shell's tab completion ({@code runtime/etc/gosh_profile}): SMMU ids, VM
 * names, a VM's device and vSMMU ids, host BDFs, scenario and policy names. Services are looked up per call.
 */
@Component(service = CandidateCommands.class, immediate = true)
@GogoCommand(scope = "candidates", function = { "args", "smmus", "vms", "devices", "vsmmus", "bdfs", "scenarios", "policies", "qemus" })
public class CandidateCommands {
	private final BundleContext context;

	@Activate
	public CandidateCommands(BundleContext context) {
		this.context = context;
	}

	@Descriptor("the candidates for the word at index of a command line (used by complete -a)")
	public List<String> args(@Descriptor("command") String command, @Descriptor("the line's words") List<?> words, @Descriptor("the word's index") int index) {
		List<String> w = new ArrayList<>();
		for (Object o : words) {
			w.add(String.valueOf(o));
		}
		if (!w.isEmpty()) {
			w.set(0, command);
		}
		Candidates.Position p = Candidates.position(w, index);
		return switch (p.kind()) {
			case SMMU -> smmus();
			case VM -> vms();
			case DEVICE -> devices(p.positional().get(0));
			case VSMMU -> vsmmus(p.positional().get(0));
			case HOST_BDF -> bdfs();
			case SCENARIO -> scenarios();
			case POLICY -> policies();
			case QEMU -> qemus();
			case MSI_DESIGN -> msiDesigns();
			case NONE -> List.of();
		};
	}

	/** The MSI designs vm:msidesign takes. */
	static List<String> msiDesigns() {
		List<String> names = new ArrayList<>();
		for (smmu.accel.MsiDesign d : smmu.accel.MsiDesign.values()) {
			names.add(d.shellName());
		}
		return names;
	}

	@Descriptor("the host's SMMU ids")
	public List<String> smmus() {
		List<String> ids = new ArrayList<>();
		HostPlatform h = service(HostPlatform.class);
		if (h != null) {
			for (Smmu s : h.smmus()) {
				ids.add(s.id());
			}
		}
		return ids;
	}

	@Descriptor("the VMs' names")
	public List<String> vms() {
		List<String> names = new ArrayList<>();
		VmManager m = service(VmManager.class);
		if (m != null) {
			for (VirtualMachine v : m.list()) {
				names.add(v.name());
			}
		}
		return names;
	}

	@Descriptor("a VM's device ids")
	public List<String> devices(@Descriptor("VM") String vm) {
		List<String> ids = new ArrayList<>();
		Topology t = topology(vm);
		if (t != null) {
			for (Topology.Device d : t.devices()) {
				ids.add(d.id());
			}
		}
		return ids;
	}

	@Descriptor("a VM's vSMMU ids")
	public List<String> vsmmus(@Descriptor("VM") String vm) {
		List<String> ids = new ArrayList<>();
		Topology t = topology(vm);
		if (t != null) {
			for (Topology.Vsmmu v : t.vsmmus()) {
				ids.add(v.id());
			}
		}
		return ids;
	}

	@Descriptor("the host's PCI functions")
	public List<String> bdfs() {
		List<String> ids = new ArrayList<>();
		HostPlatform h = service(HostPlatform.class);
		if (h != null) {
			for (PciEndpoint e : h.endpoints()) {
				ids.add(e.bdf());
			}
		}
		return ids;
	}

	@Descriptor("the scenario names (scenarios/*.gosh)")
	public List<String> scenarios() {
		return ScenarioRunner.names(context.getProperty(ScenarioRunner.FOLDER));
	}

	@Descriptor("the real QEMUs' names")
	public List<String> qemus() {
		List<String> names = new ArrayList<>();
		RealQemus q = service(RealQemus.class);
		if (q != null) {
			for (RealQemu r : q.list()) {
				names.add(r.name());
			}
		}
		return names;
	}

	@Descriptor("the stage-2 policies registered")
	public List<String> policies() {
		return policyNames(context);
	}

	/** The names of the registered stage-2 policies, sorted. */
	public static List<String> policyNames(BundleContext context) {
		TreeSet<String> names = new TreeSet<>();
		try {
			for (ServiceReference<Stage2Policy> r : context.getServiceReferences(Stage2Policy.class, null)) {
				Object n = r.getProperty(Stage2Policy.NAME);
				if (n != null) {
					names.add(n.toString());
				}
			}
		} catch (InvalidSyntaxException e) {
			return List.of();
		}
		return new ArrayList<>(names);
	}

	private Topology topology(String vm) {
		VmManager m = service(VmManager.class);
		return m == null ? null : m.get(vm).map(VirtualMachine::topology).orElse(null);
	}

	private <T> T service(Class<T> type) {
		ServiceReference<T> r = context.getServiceReference(type);
		return r == null ? null : context.getService(r);
	}
}
