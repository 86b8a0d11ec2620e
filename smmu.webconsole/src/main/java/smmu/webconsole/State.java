package smmu.webconsole;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import smmu.accel.Topology;
import smmu.accel.VirtualMachine;
import smmu.accel.VmManager;
import smmu.accel.sweep.Sweep;
import smmu.accel.sweep.Sweeper;
import smmu.accel.workload.Workload;
import smmu.accel.workload.WorkloadStats;
import smmu.accel.workload.Workloads;
import smmu.hw.CacheStats;
import smmu.hw.HostPlatform;
import smmu.hw.PciEndpoint;
import smmu.hw.Smmu;
import smmu.hw.SmmuStats;
import smmu.iommufd.IommufdObject;

/** What the page shows, as maps and lists for {@link Json}: read from the exported APIs at each request. */
final class State {
	private State() {}

	static Map<String, Object> of(HostPlatform host, VmManager vms, Workloads workloads, Sweeper sweeper, List<String> shippedSweeps) {
		Map<String, Object> m = new LinkedHashMap<>();
		m.put("time", System.currentTimeMillis());
		m.put("smmus", host == null ? List.of() : smmus(host));
		m.put("policy", vms == null ? Map.of() : policy(vms));
		m.put("vms", vms == null ? List.of() : vms(vms));
		m.put("workloads", workloads == null ? List.of() : workloads(workloads));
		m.put("sweeps", sweeper == null ? List.of() : sweeps(sweeper));
		m.put("shippedSweeps", shippedSweeps);
		return m;
	}

	static List<Object> smmus(HostPlatform host) {
		List<Object> out = new ArrayList<>();
		for (Smmu s : host.smmus()) {
			Map<String, Object> x = new LinkedHashMap<>();
			x.put("id", s.id());
			x.put("base", String.format("0x%x", s.spec().mmioBase()));
			List<String> eps = new ArrayList<>();
			for (PciEndpoint e : host.endpoints()) {
				if (e.smmu().equals(s.id())) {
					eps.add(String.format("%s sid 0x%x", e.bdf(), e.sid()));
				}
			}
			x.put("endpoints", eps);
			SmmuStats st = s.stats();
			CacheStats tlb = st.cache("tlb");
			long inv = 0, cmds = 0;
			for (Map.Entry<String, Long> e : st.commands().entrySet()) {
				cmds += e.getValue();
				if (e.getKey().startsWith("TLBI_")) {
					inv += e.getValue();
				}
			}
			long faults = 0;
			for (long f : st.faults().values()) {
				faults += f;
			}
			Map<String, Object> c = new LinkedHashMap<>();
			c.put("translations", st.translations());
			c.put("tlbLookups", tlb.lookups());
			c.put("tlbHits", tlb.hits());
			c.put("tlbEntries", tlb.entries());
			c.put("walks", st.tableReads(1) + st.tableReads(2));
			c.put("invalidations", inv);
			c.put("commands", cmds);
			c.put("events", st.eventsRecorded());
			c.put("faults", faults);
			x.put("counters", c);
			out.add(x);
		}
		return out;
	}

	static Map<String, Object> policy(VmManager vms) {
		Map<String, Object> p = new LinkedHashMap<>();
		p.put("configured", vms.configuredPolicy());
		p.put("active", vms.activePolicy().orElse(null));
		p.put("available", vms.policies());
		p.put("problems", vms.reported());
		return p;
	}

	static List<Object> vms(VmManager vms) {
		List<Object> out = new ArrayList<>();
		for (VirtualMachine vm : vms.list()) {
			Topology t;
			try {
				t = vm.topology();
			} catch (RuntimeException e) {
				continue; // destroyed meanwhile
			}
			Map<String, Object> v = new LinkedHashMap<>();
			v.put("name", vm.name());
			v.put("state", t.state().name().toLowerCase());
			v.put("ram", t.ramSize());
			List<Object> buses = new ArrayList<>();
			for (Topology.Bus b : t.buses()) {
				buses.add(Map.of("id", b.id(), "kind", b.kind(), "number", b.number(), "vsmmu", b.vsmmu() == null ? "" : b.vsmmu(), "parent",
						b.parent() == null ? "" : b.parent()));
			}
			v.put("buses", buses);
			List<Object> vsmmus = new ArrayList<>();
			for (Topology.Vsmmu s : t.vsmmus()) {
				vsmmus.add(Map.of("id", s.id(), "primaryBus", s.primaryBus(), "mmio", String.format("0x%x", s.mmioBase()), "physicalSmmu",
						s.physicalSmmu() == null ? "" : s.physicalSmmu()));
			}
			v.put("vsmmus", vsmmus);
			List<Object> devices = new ArrayList<>();
			for (Topology.Device d : t.devices()) {
				Map<String, Object> x = new LinkedHashMap<>();
				x.put("id", d.id());
				x.put("bus", d.bus());
				x.put("guestBdf", d.guestBdf());
				x.put("vsid", String.format("0x%x", d.vsid()));
				x.put("vsmmu", d.vsmmu() == null ? "" : d.vsmmu());
				x.put("hostBdf", d.hostBdf());
				x.put("psid", String.format("0x%x", d.psid()));
				x.put("physicalSmmu", d.physicalSmmu());
				devices.add(x);
			}
			v.put("devices", devices);
			List<Object> objects = new ArrayList<>();
			try {
				for (IommufdObject o : vm.iommufd().objects()) {
					Map<String, Object> x = new LinkedHashMap<>();
					x.put("id", o.id());
					x.put("type", o.type().name());
					x.put("users", o.users());
					x.put("refs", o.references());
					x.put("tableBytes", o.tableBytes());
					x.put("detail", o.detail());
					objects.add(x);
				}
			} catch (RuntimeException e) {
				// destroyed meanwhile: no graph
			}
			v.put("objects", objects);
			out.add(v);
		}
		return out;
	}

	static List<Object> workloads(Workloads workloads) {
		List<Object> out = new ArrayList<>();
		for (Workload w : workloads.list()) {
			WorkloadStats s = w.stats();
			Map<String, Object> x = new LinkedHashMap<>();
			x.put("id", w.id());
			x.put("vm", w.vm());
			x.put("pattern", w.spec().pattern().label());
			x.put("devices", w.devices());
			x.put("state", w.state().name().toLowerCase());
			x.put("ios", s.ios());
			x.put("iosPerSecond", Math.round(s.iosPerSecond()));
			x.put("faults", s.faults());
			x.put("error", w.error());
			out.add(x);
		}
		return out;
	}

	static List<Object> sweeps(Sweeper sweeper) {
		List<Object> out = new ArrayList<>();
		for (Sweep s : sweeper.list()) {
			Map<String, Object> x = new LinkedHashMap<>();
			x.put("id", s.id());
			x.put("name", s.spec().name());
			x.put("question", s.spec().question());
			x.put("completed", s.completed());
			x.put("total", s.total());
			x.put("running", s.running());
			out.add(x);
		}
		return out;
	}
}
