package smmu.gogo.report;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import smmu.accel.GuestBuffer;
import smmu.accel.Topology;
import smmu.accel.VirtualMachine;
import smmu.gogo.format.Hex;
import smmu.gogo.hw.StreamCounts;
import smmu.gogo.hw.Views.StreamReadRow;
import smmu.gogo.hw.Views.StreamRow;
import smmu.gogo.report.Costs.Counts;
import smmu.gogo.report.Costs.StatsRow;
import smmu.gogo.report.Costs.TableRow;
import smmu.hw.HostPlatform;
import smmu.hw.Smmu;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IoasUnmap;
import smmu.iommufd.Iommufd;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.ObjectType;
import smmu.iommufd.VmmAddressSpace;

/**
 * The cost report of a VM or of the host: iommufd objects and stage-2 bytes, VMIDs per physical SMMU,
 * the invalidation commands one guest unmap and one host unmap send (measured by probes: the deltas of the
 * physical SMMUs' command counters around one 4 KiB unmap), and the SMMUs' TLB and walk statistics: the
 * whole SMMUs' ({@code smmus}) and, for a VM, its own share ({@code streams}, {@code streamReads}: the
 * counters of its devices' pSIDs).
 */
public final class CostReport {
	/** The physical commands one operation sent, per SMMU. */
	public record InvalidationRow(String operation, String smmu, long commands, Map<String, Long> byName) {}

	public record VmidRow(String smmu, int count, String vmids) {}

	/** Per VM, the numbers of the host report. */
	public record VmSummary(String vm, String state, int ioas, int hwptPaging, int hwptNested, int viommu, int vdevice, @Hex long stage2Bytes,
			int vmids) {}

	public record VmReport(String vm, String state, String policy, String kernel, int ioas, int hwptPaging, int hwptNested, int viommu,
			int vdevice, @Hex long stage2Bytes, double commandsPerGuestUnmap, double commandsPerHostUnmap, List<TableRow> tables,
			List<VmidRow> vmids, List<InvalidationRow> invalidations, List<StatsRow> smmus, List<StreamRow> streams, List<StreamReadRow> streamReads,
			String msiDesign, long msiStage2Pages, long msiStage1Pages, double translationsPerMsi, double vmmWalksPerMsiRoute,
			double vmmReadsPerMsiRoute) {}

	public record HostReport(int smmus, int contexts, int vms, String policy, String kernel, int ioas, int hwptPaging, int hwptNested, int viommu,
			int vdevice, @Hex long stage2Bytes, List<VmSummary> perVm, List<TableRow> tables, List<VmidRow> vmids, List<StatsRow> statistics) {}

	private CostReport() {}

	/**
	 * The report of one VM; with {@code probe} it measures one guest unmap per vSMMU (the guest maps and
	 * unmaps a page for the first device behind it; the VM must run) and one host unmap (the VMM maps one
	 * page of its memory at a free IOVA of every IOAS of the VM and unmaps it again).
	 */
	public static VmReport vm(VirtualMachine vm, HostPlatform host, boolean probe, String policy, String kernel) {
		Topology t = vm.topology();
		List<IommufdObject> objects = vm.iommufd().objects();
		Counts c = Costs.count(objects);
		List<InvalidationRow> inv = new ArrayList<>();
		double guest = Double.NaN, hostUnmap = Double.NaN;
		if (probe) {
			if (t.state() == VirtualMachine.State.RUNNING) {
				long total = 0;
				int n = 0;
				for (Topology.Vsmmu v : t.vsmmus()) {
					for (Topology.Device d : t.devices()) {
						if (v.id().equals(d.vsmmu())) {
							List<InvalidationRow> rows = guestUnmap(vm, host, d.id(), v.id());
							inv.addAll(rows);
							for (InvalidationRow r : rows) {
								total += r.commands();
							}
							n++;
							break;
						}
					}
				}
				guest = n == 0 ? Double.NaN : (double) total / n;
			}
			List<InvalidationRow> rows = hostUnmap(vm, host);
			if (rows != null) {
				long total = 0;
				for (InvalidationRow r : rows) {
					total += r.commands();
				}
				inv.addAll(rows);
				hostUnmap = total;
			}
		}
		double perMsi = Double.NaN;
		if (probe && t.state() == VirtualMachine.State.RUNNING) {
			perMsi = msiProbe(vm, host, t);
		}
		// the MSI design's pages: doorbell pages in stage 2 (iommufd_sw_msi, one per doorbell per paging
		// domain) and, in the guest's stage 1 of each device behind a vSMMU, the identity-mapped RMR window
		// (1 MiB, 256 pages) plus its vITS doorbell page once the guest requested an MSI
		long s1Pages = 0;
		for (Topology.Device d : t.devices()) {
			if (d.vsmmu() != null && t.state() == VirtualMachine.State.RUNNING) {
				s1Pages += MSI_WINDOW_PAGES + (vm.msiVectors(d.id()).isEmpty() ? 0 : 1);
			}
		}
		// what setting the routes up cost the VMM: software walks of the guest's stage 1 (translate design only)
		smmu.accel.MsiRouteCost route = vm.msiRouteCost();
		Map<String, TreeSet<Integer>> vmids = Costs.vmids(objects);
		// the VM's own share of its physical SMMUs: the counters of its devices' pSIDs
		List<StreamRow> streams = List.of();
		List<StreamReadRow> streamReads = List.of();
		List<StreamCounts.Stream> own = new ArrayList<>();
		for (Topology.Device d : t.devices()) {
			own.add(new StreamCounts.Stream(d.physicalSmmu(), d.psid(), d.id()));
		}
		if (!own.isEmpty()) {
			StreamCounts.Counted counted = StreamCounts.count(host, own);
			streams = counted.streams();
			streamReads = counted.reads();
		}
		return new VmReport(vm.name(), t.state().name().toLowerCase(), policy, kernel, c.ioas(), c.hwptPaging(), c.hwptNested(), c.viommu(),
				c.vdevice(), c.stage2Bytes(), guest, hostUnmap, Costs.tables(vm.name(), objects), vmidRows(vmids), inv,
				stats(host, smmusOf(t)), streams, streamReads, route.design().shellName(), vm.iommufd().swMsiPages(), s1Pages, perMsi,
				perRoute(route.vmmWalks(), route.routes()), perRoute(route.vmmReads(), route.routes()));
	}

	private static double perRoute(long n, long routes) {
		return routes == 0 ? Double.NaN : (double) n / routes;
	}

	/** The IORT RMR window (0x8000000, 1 MiB) in 4 KiB pages. */
	static final long MSI_WINDOW_PAGES = 256;

	/**
	 * Probe: the first device behind each vSMMU raises MSI vector 0 twice; the physical SMMUs' translations
	 * per delivered MSI (the second one, with warm caches, is what every later MSI costs).
	 */
	private static double msiProbe(VirtualMachine vm, HostPlatform host, Topology t) {
		long translations = 0;
		int n = 0;
		for (Topology.Vsmmu v : t.vsmmus()) {
			for (Topology.Device d : t.devices()) {
				if (v.id().equals(d.vsmmu())) {
					vm.msi(d.id(), 0);
					long before = translations(host, d.physicalSmmu());
					if (vm.msi(d.id(), 0).delivered()) {
						translations += translations(host, d.physicalSmmu()) - before;
						n++;
					}
					break;
				}
			}
		}
		return n == 0 ? Double.NaN : (double) translations / n;
	}

	private static long translations(HostPlatform host, String smmu) {
		return host.smmu(smmu).map(s -> s.stats().translations()).orElse(0L);
	}

	/**
	 * The report of a real QEMU process's iommufd (no probes: the guest is QEMU's, not the model's);
	 * the SMMU statistics are those of every physical SMMU.
	 */
	public static VmReport process(String name, String state, IommufdContext ctx, HostPlatform host, String policy, String kernel) {
		List<IommufdObject> objects = ctx.objects();
		Counts c = Costs.count(objects);
		List<String> ids = new ArrayList<>();
		for (Smmu s : host.smmus()) {
			ids.add(s.id());
		}
		return new VmReport(name, state, policy, kernel, c.ioas(), c.hwptPaging(), c.hwptNested(), c.viommu(), c.vdevice(), c.stage2Bytes(),
				Double.NaN, Double.NaN, Costs.tables(name, objects), vmidRows(Costs.vmids(objects)), List.of(), stats(host, ids), List.of(), List.of(), "msi-gpa",
				// the doorbell pages the host kernel mapped; the real guest's stage-1 MSI pages are not counted
				ctx.swMsiPages(), 0, Double.NaN, Double.NaN, Double.NaN);
	}

	/** Every context of the host kernel (a VM's by its name, others as {@code fd#n}) and every SMMU. */
	public static HostReport host(HostPlatform host, Iommufd iommufd, List<VirtualMachine> vms, String policy, String kernel) {
		return host(host, iommufd, vms, Map.of(), policy, kernel);
	}

	/** As above; {@code processes} names the contexts of real QEMU processes (shown as state {@code qemu}). */
	public static HostReport host(HostPlatform host, Iommufd iommufd, List<VirtualMachine> vms, Map<IommufdContext, String> processes, String policy,
			String kernel) {
		Map<IommufdContext, VirtualMachine> owners = new IdentityHashMap<>();
		for (VirtualMachine vm : vms) {
			try {
				owners.put(vm.iommufd(), vm);
			} catch (RuntimeException e) {
				// destroyed meanwhile
			}
		}
		List<VmSummary> perVm = new ArrayList<>();
		List<TableRow> tables = new ArrayList<>();
		Map<String, TreeSet<Integer>> vmids = new TreeMap<>();
		Counts total = new Counts(0, 0, 0, 0, 0, 0);
		List<IommufdContext> contexts = iommufd.contexts();
		int other = 0;
		for (IommufdContext ctx : contexts) {
			List<IommufdObject> objects;
			try {
				objects = ctx.objects();
			} catch (IllegalStateException e) {
				continue;
			}
			VirtualMachine vm = owners.get(ctx);
			String process = processes.get(ctx);
			String owner = vm != null ? vm.name() : process != null ? process : "fd#" + ++other;
			Counts c = Costs.count(objects);
			total = total.plus(c);
			tables.addAll(Costs.tables(owner, objects));
			Map<String, TreeSet<Integer>> v = Costs.vmids(objects);
			Costs.merge(vmids, v);
			perVm.add(new VmSummary(owner, vm != null ? vm.state().name().toLowerCase() : process != null ? "qemu" : "process", c.ioas(), c.hwptPaging(), c.hwptNested(),
					c.viommu(), c.vdevice(), c.stage2Bytes(), Costs.total(v)));
		}
		List<String> ids = new ArrayList<>();
		for (Smmu s : host.smmus()) {
			ids.add(s.id());
		}
		return new HostReport(host.smmus().size(), contexts.size(), vms.size(), policy, kernel, total.ioas(), total.hwptPaging(), total.hwptNested(),
				total.viommu(), total.vdevice(), total.stage2Bytes(), perVm, tables, vmidRows(vmids), stats(host, ids));
	}

	static List<VmidRow> vmidRows(Map<String, TreeSet<Integer>> vmids) {
		List<VmidRow> rows = new ArrayList<>();
		vmids.forEach((smmu, set) -> {
			StringBuilder sb = new StringBuilder();
			for (int v : set) {
				sb.append(sb.length() == 0 ? "" : ", ").append(v);
			}
			rows.add(new VmidRow(smmu, set.size(), sb.toString()));
		});
		return rows;
	}

	/** The physical SMMUs a VM's devices sit behind, in device order. */
	static List<String> smmusOf(Topology t) {
		Set<String> ids = new LinkedHashSet<>();
		for (Topology.Device d : t.devices()) {
			ids.add(d.physicalSmmu());
		}
		return new ArrayList<>(ids);
	}

	static List<StatsRow> stats(HostPlatform host, List<String> ids) {
		List<StatsRow> rows = new ArrayList<>();
		for (String id : ids) {
			host.smmu(id).ifPresent(s -> rows.add(Costs.stats(id, s.stats())));
		}
		if (rows.size() > 1) {
			rows.add(Costs.total("total", rows));
		}
		return rows;
	}

	/** Each SMMU's command counters now. */
	public static Map<String, Map<String, Long>> commands(HostPlatform host) {
		Map<String, Map<String, Long>> m = new LinkedHashMap<>();
		for (Smmu s : host.smmus()) {
			m.put(s.id(), new HashMap<>(s.stats().commands()));
		}
		return m;
	}

	/** The rows of the SMMUs whose counters moved between two {@link #commands} snapshots. */
	public static List<InvalidationRow> deltas(String operation, Map<String, Map<String, Long>> before, Map<String, Map<String, Long>> after) {
		List<InvalidationRow> rows = new ArrayList<>();
		after.forEach((smmu, cmds) -> {
			Map<String, Long> d = Costs.delta(before.getOrDefault(smmu, Map.of()), cmds);
			if (!d.isEmpty()) {
				rows.add(new InvalidationRow(operation, smmu, Costs.sum(d), d));
			}
		});
		if (rows.isEmpty()) {
			rows.add(new InvalidationRow(operation, "-", 0, Map.of()));
		}
		return rows;
	}

	private static List<InvalidationRow> guestUnmap(VirtualMachine vm, HostPlatform host, String device, String vsmmu) {
		GuestBuffer b = vm.guestMap(device, VmmAddressSpace.PAGE_SIZE);
		Map<String, Map<String, Long>> before = commands(host);
		vm.guestUnmap(device, b.iova(), b.size());
		return deltas("guest unmap (" + device + " on " + vsmmu + ")", before, commands(host));
	}

	/** Null when the VM has no IOAS or its VMM no memory. */
	private static List<InvalidationRow> hostUnmap(VirtualMachine vm, HostPlatform host) {
		IommufdContext ctx = vm.iommufd();
		List<Integer> ioases = new ArrayList<>();
		for (IommufdObject o : ctx.objects()) {
			if (o.type() == ObjectType.IOAS) {
				ioases.add(o.id());
			}
		}
		List<VmmAddressSpace.Mapping> maps = ctx.addressSpace().mappings();
		if (ioases.isEmpty() || maps.isEmpty()) {
			return null;
		}
		long va = maps.get(0).userVa();
		Map<Integer, Long> iovas = new LinkedHashMap<>();
		RuntimeException failed = null;
		try {
			for (int ioas : ioases) {
				iovas.put(ioas, ctx.ioasMap(new IoasMap(IoasMap.READABLE, ioas, va, VmmAddressSpace.PAGE_SIZE, 0)).iova());
			}
		} catch (RuntimeException e) {
			failed = e;
		}
		Map<String, Map<String, Long>> before = commands(host);
		iovas.forEach((ioas, iova) -> ctx.ioasUnmap(new IoasUnmap(ioas, iova, VmmAddressSpace.PAGE_SIZE)));
		if (failed != null) {
			throw failed;
		}
		return deltas("host unmap (" + ioases.size() + " IOAS)", before, commands(host));
	}
}
