package smmu.gogo.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

import smmu.gogo.report.Comparison.Metric;
import smmu.hw.HostPlatform;
import smmu.hw.Smmu;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.ObjectType;
import smmu.qemu.BridgeStats;
import smmu.qemu.RealQemu;

/**
 * What one real QEMU cost under one host kernel mode (report:kernels): its iommufd objects when the
 * guest's init had finished, the VMIDs it holds per physical SMMU, the invalidation commands each
 * physical SMMU consumed since the QEMU started, and the bridge's calls and round trips.
 */
record KernelRun(String mode, Costs.Counts counts, int nestParents, Map<String, Integer> vmids, Map<String, Long> invalidations, long calls,
		long roundTrips, double bootSeconds) {

	/** Takes the numbers of a QEMU whose guest finished its init; the SMMUs' counters were reset at its start. */
	static KernelRun of(String mode, RealQemu q, HostPlatform host) {
		List<IommufdObject> objects = q.iommufd().objects();
		int nestParents = 0;
		for (IommufdObject o : objects) {
			if (o.type() == ObjectType.HWPT_PAGING && o.detail() != null && o.detail().contains("nest-parent")) {
				nestParents++;
			}
		}
		Map<String, TreeSet<Integer>> ids = Costs.vmids(objects);
		Map<String, Integer> vmids = new LinkedHashMap<>();
		Map<String, Long> inv = new LinkedHashMap<>();
		for (Smmu s : host.smmus()) {
			vmids.put(s.id(), ids.containsKey(s.id()) ? ids.get(s.id()).size() : 0);
			long n = 0;
			for (Map.Entry<String, Long> e : s.stats().commands().entrySet()) {
				if (invalidation(e.getKey())) {
					n += e.getValue();
				}
			}
			inv.put(s.id(), n);
		}
		BridgeStats b = q.stats();
		return new KernelRun(mode, Costs.count(objects), nestParents, vmids, inv, b.calls(), b.roundTrips(),
				q.bootMillis() < 0 ? Double.NaN : Math.round(q.bootMillis() / 100.0) / 10.0);
	}

	/** The SMMUv3 invalidation commands: configuration (CFGI_*), TLB (TLBI_*) and ATC (ATC_INV); not CMD_SYNC. */
	static boolean invalidation(String command) {
		return command.startsWith("CFGI_") || command.startsWith("TLBI_") || command.equals("ATC_INV");
	}

	/** One row per metric, one column per run; per-SMMU rows only for the SMMUs some run used. */
	static Comparison comparison(String title, List<KernelRun> runs) {
		List<String> designs = new ArrayList<>();
		for (KernelRun r : runs) {
			designs.add(r.mode());
		}
		List<Metric> rows = new ArrayList<>();
		rows.add(metric("nest-parent HWPTs", "objects", runs, r -> (double) r.nestParents()));
		rows.add(metric("IOAS", "objects", runs, r -> (double) r.counts().ioas()));
		rows.add(metric("stage-2 page-table bytes", "bytes", runs, r -> (double) r.counts().stage2Bytes()));
		rows.add(metric("nested HWPTs", "objects", runs, r -> (double) r.counts().hwptNested()));
		rows.add(metric("vIOMMUs", "objects", runs, r -> (double) r.counts().viommu()));
		rows.add(metric("vDEVICEs", "objects", runs, r -> (double) r.counts().vdevice()));
		List<String> smmus = new ArrayList<>(runs.isEmpty() ? List.of() : runs.get(0).vmids().keySet());
		for (String s : smmus) {
			if (runs.stream().anyMatch(r -> r.vmids().getOrDefault(s, 0) > 0)) {
				rows.add(metric("VMIDs on " + s, "ids", runs, r -> (double) r.vmids().getOrDefault(s, 0)));
			}
		}
		for (String s : smmus) {
			if (runs.stream().anyMatch(r -> r.invalidations().getOrDefault(s, 0L) > 0)) {
				rows.add(metric("invalidations on " + s, "commands", runs, r -> (double) r.invalidations().getOrDefault(s, 0L)));
			}
		}
		rows.add(metric("bridge calls", "calls", runs, r -> (double) r.calls()));
		rows.add(metric("bridge round trips", "round trips", runs, r -> (double) r.roundTrips()));
		rows.add(metric("boot to the guest's init", "s", runs, KernelRun::bootSeconds));
		return new Comparison(title, designs, rows);
	}

	private static Metric metric(String name, String unit, List<KernelRun> runs, Function<KernelRun, Double> f) {
		List<Double> v = new ArrayList<>();
		for (KernelRun r : runs) {
			v.add(f.apply(r));
		}
		return new Metric(name, unit, v);
	}
}
