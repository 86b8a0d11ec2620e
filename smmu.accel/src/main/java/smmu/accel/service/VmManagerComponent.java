package smmu.accel.service;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

import smmu.accel.VirtualMachine;
import smmu.accel.VmException;
import smmu.accel.VmManager;
import smmu.accel.policy.Stage2Policy;
import smmu.hw.HostPlatform;
import smmu.iommufd.Iommufd;

/**
 * The host's VMs. Destroys them when the host platform or its iommufd goes away. Tracks every
 * {@link Stage2Policy} service; the one named by configuration {@value PolicyConfig#PID} (highest
 * ranking first among equal names) plumbs the VMs. When that choice changes (configuration, a policy
 * service coming or going) every running VM is re-plumbed live; with none, running VMs keep their
 * plumbing and creating a VM fails.
 */
@Component(service = VmManager.class, immediate = true, configurationPid = PolicyConfig.PID)
@Designate(ocd = PolicyConfig.class)
public final class VmManagerComponent implements VmManager {
	private final HostPlatform host;
	private final Iommufd iommufd;
	private final Map<String, VmInstance> vms = new LinkedHashMap<>();
	/** A bound policy service with what orders it: ranking, then the lower service id. */
	private record Bound(String name, int ranking, long serviceId, Stage2Policy policy) {
		boolean better(Bound o) {
			return ranking != o.ranking ? ranking > o.ranking : serviceId < o.serviceId;
		}

		static Bound of(ServiceReference<Stage2Policy> ref, Stage2Policy p) {
			Object r = ref.getProperty(Constants.SERVICE_RANKING), id = ref.getProperty(Constants.SERVICE_ID);
			return new Bound(String.valueOf(ref.getProperty(Stage2Policy.NAME)), r instanceof Integer i ? i : 0,
					id instanceof Long l ? l : Long.MAX_VALUE, p);
		}
	}

	/** Guarded by this: by ServiceReference (or a private key for policies given to the constructor). */
	private final Map<Object, Bound> policies = new java.util.HashMap<>();
	private String configured;
	private long ramPage = smmu.accel.vm.GuestRam.DEFAULT_CHUNK;
	private Stage2Policy applied;
	private final List<String> reported = new ArrayList<>();
	/** Serializes re-plumbing passes. */
	private final Object restageLock = new Object();

	@Activate
	public VmManagerComponent(@Reference(name = "host") HostPlatform host, @Reference(name = "iommufd") Iommufd iommufd, PolicyConfig config) {
		this.host = host;
		this.iommufd = iommufd;
		this.configured = config.active();
	}

	/** Outside a framework: {@code active} names the policy to use among {@code available}. */
	public VmManagerComponent(HostPlatform host, Iommufd iommufd, String active, Stage2Policy... available) {
		this.host = host;
		this.iommufd = iommufd;
		this.configured = active;
		long id = -available.length;
		for (Stage2Policy p : available) {
			policies.put(new Object(), new Bound(p.name(), 0, id++, p));
		}
		this.applied = chosen();
	}

	/** The host page size backing the guest RAM of VMs created from now on (default 2 MiB). */
	synchronized void setRamPageSize(long bytes) {
		ramPage = bytes;
	}

	/** Outside a framework: chooses another of the policies present (as a configuration update would). */
	public void setActivePolicy(String active) {
		synchronized (this) {
			configured = active;
		}
		reconcile();
	}

	@Reference(name = "policy", service = Stage2Policy.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
			policyOption = ReferencePolicyOption.GREEDY)
	void addPolicy(ServiceReference<Stage2Policy> ref, Stage2Policy p) {
		synchronized (this) {
			policies.put(ref, Bound.of(ref, p));
		}
		reconcile();
	}

	void updatedPolicy(ServiceReference<Stage2Policy> ref, Stage2Policy p) {
		synchronized (this) {
			policies.put(ref, Bound.of(ref, p));
		}
		reconcile();
	}

	// DS may bind a replacement before it unbinds the old service: the choice is made from what is bound
	void removePolicy(ServiceReference<Stage2Policy> ref) {
		synchronized (this) {
			policies.remove(ref);
		}
		reconcile();
	}

	@Modified
	void modified(PolicyConfig config) {
		synchronized (this) {
			configured = config.active();
		}
		reconcile();
	}

	private Stage2Policy chosen() {
		Bound best = null;
		for (Bound b : policies.values()) {
			if (configured.equals(b.name()) && (best == null || b.better(best))) {
				best = b;
			}
		}
		return best == null ? null : best.policy();
	}

	/** Re-plumbs the running VMs when the chosen policy is not the one they use. */
	private void reconcile() {
		synchronized (restageLock) {
			Stage2Policy p;
			List<VmInstance> running;
			synchronized (this) {
				p = chosen();
				if (p == applied || p == null) {
					applied = p == null ? applied : p;
					return;
				}
				applied = p;
				running = new ArrayList<>(vms.values());
			}
			for (VmInstance vm : running) {
				try {
					vm.restage(p::addressSpaceKey);
				} catch (RuntimeException e) {
					synchronized (this) {
						reported.add(vm.name() + ": re-plumbing for policy " + p.name() + " failed: " + e.getMessage());
					}
				}
			}
		}
	}

	@Override
	public synchronized String configuredPolicy() {
		return configured;
	}

	@Override
	public synchronized Optional<String> activePolicy() {
		Stage2Policy p = chosen();
		return p == null ? Optional.empty() : Optional.of(configured);
	}

	@Override
	public synchronized List<String> policies() {
		List<String> l = new ArrayList<>();
		for (Bound b : policies.values()) {
			String n = b.name();
			if (!l.contains(n)) {
				l.add(n);
			}
		}
		java.util.Collections.sort(l);
		return l;
	}

	@Override
	public synchronized List<String> reported() {
		return new ArrayList<>(reported);
	}

	@Override
	public synchronized VirtualMachine create(String name, String commandLine) {
		if (name == null || name.isBlank()) {
			throw new VmException("a VM needs a name");
		}
		if (vms.containsKey(name)) {
			throw new VmException("a VM named '" + name + "' exists");
		}
		Stage2Policy p = chosen();
		if (p == null) {
			throw new VmException(String.format("no stage-2 policy '%s' is available (%s %s): install and start the bundle providing it", configured,
					Stage2Policy.NAME, configured));
		}
		VmInstance vm = VmInstance.create(name, commandLine, host, iommufd, p::addressSpaceKey, ramPage);
		vms.put(name, vm);
		return vm;
	}

	@Override
	public synchronized List<VirtualMachine> list() {
		return new ArrayList<>(vms.values());
	}

	@Override
	public synchronized Optional<VirtualMachine> get(String name) {
		return Optional.ofNullable(vms.get(name));
	}

	@Override
	public synchronized boolean destroy(String name) {
		VmInstance vm = vms.remove(name);
		if (vm == null) {
			return false;
		}
		vm.close();
		return true;
	}

	@Deactivate
	synchronized void deactivate() {
		for (VmInstance vm : vms.values()) {
			vm.close();
		}
		vms.clear();
	}
}
