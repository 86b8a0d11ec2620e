package smmu.accel.service;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import smmu.accel.Topology;
import smmu.accel.VirtualMachine;
import smmu.accel.VmException;
import smmu.accel.workload.Workload;
import smmu.accel.workload.WorkloadSpec;
import smmu.accel.workload.Workloads;

/** The workload generators of this bundle's VMs. A VM's workloads stop before it is destroyed. */
@Component(service = Workloads.class)
public final class WorkloadsComponent implements Workloads {
	private final AtomicInteger ids = new AtomicInteger();
	private final Map<Integer, WorkloadRun> runs = new ConcurrentSkipListMap<>();

	@Override
	public Workload start(VirtualMachine vm, WorkloadSpec spec) {
		if (!(vm instanceof VmInstance instance)) {
			throw new VmException("VM " + vm.name() + " is not one of this runtime's VM managers");
		}
		if (vm.state() != VirtualMachine.State.RUNNING) {
			throw new VmException("VM " + vm.name() + " has not booted: 'vm:boot " + vm.name() + "' first");
		}
		Topology t = vm.topology();
		List<String> behind = new ArrayList<>();
		for (Topology.Device d : t.devices()) {
			if (d.vsmmu() != null) {
				behind.add(d.id());
			}
		}
		List<String> devices = spec.devices().isEmpty() ? behind : spec.devices();
		for (String d : devices) {
			if (!behind.contains(d)) {
				throw new VmException("VM " + vm.name() + " has no device '" + d + "' behind a vSMMU (have: "
						+ (behind.isEmpty() ? "none" : String.join(", ", behind)) + ")");
			}
		}
		if (devices.isEmpty()) {
			throw new VmException("VM " + vm.name() + " has no device behind a vSMMU");
		}
		WorkloadRun run = new WorkloadRun(ids.incrementAndGet(), vm.name(), instance.model(), spec, devices);
		Runnable hook = run::stop;
		if (!instance.onClose(hook)) {
			throw new VmException("VM " + vm.name() + " was destroyed");
		}
		runs.put(run.id(), run);
		run.start(() -> instance.removeOnClose(hook));
		return run;
	}

	@Override
	public List<Workload> list() {
		return new ArrayList<>(runs.values());
	}

	@Override
	public Optional<Workload> get(int id) {
		return Optional.ofNullable(runs.get(id));
	}

	@Override
	public int clear() {
		int n = 0;
		for (WorkloadRun r : new ArrayList<>(runs.values())) {
			if (r.state() != Workload.State.RUNNING && runs.remove(r.id()) != null) {
				n++;
			}
		}
		return n;
	}

	@Deactivate
	void deactivate() {
		for (WorkloadRun r : runs.values()) {
			r.stop();
		}
	}
}
