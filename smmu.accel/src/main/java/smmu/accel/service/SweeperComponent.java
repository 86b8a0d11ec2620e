package smmu.accel.service;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import smmu.accel.VirtualMachine;
import smmu.accel.policy.Stage2Policy;
import smmu.accel.sweep.Sweep;
import smmu.accel.sweep.SweepPoint;
import smmu.accel.sweep.SweepResult;
import smmu.accel.sweep.SweepSpec;
import smmu.accel.sweep.Sweeper;
import smmu.accel.workload.Workload;
import smmu.accel.workload.WorkloadSpec;
import smmu.hw.CacheStats;
import smmu.hw.HostFactory;
import smmu.hw.HostPlatform;
import smmu.hw.Smmu;
import smmu.hw.SmmuStats;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.KernelFactory;

/**
 * Runs sweeps: each point builds a fresh host ({@link HostFactory}) and host kernel ({@link KernelFactory}),
 * a VM manager of its own with the point's stage-2 policy (a {@link Stage2Policy} service of that name),
 * creates and boots the point's VMs, measures the iommufd objects, then runs the point's workload on every
 * device of every VM at once and reads the physical SMMUs' counters. Nothing touches the framework's host.
 */
@Component(service = Sweeper.class)
public final class SweeperComponent implements Sweeper {
	private static final Pattern TAG = Pattern.compile("(\\S+):(S2_VMID|S2_VMID_VSMMU)=(\\d+)");
	private static final Pattern VIOMMU = Pattern.compile("^(\\S+) vmid (\\d+)$");

	private final HostFactory hosts;
	private final KernelFactory kernels;
	private final Map<Object, Stage2Policy> policies = new HashMap<>();
	private final Map<Integer, Run> runs = new ConcurrentSkipListMap<>();
	private final AtomicInteger ids = new AtomicInteger();

	@Activate
	public SweeperComponent(@Reference HostFactory hosts, @Reference KernelFactory kernels) {
		this.hosts = hosts;
		this.kernels = kernels;
	}

	/** Outside a framework: with these policies. */
	public SweeperComponent(HostFactory hosts, KernelFactory kernels, Stage2Policy... available) {
		this(hosts, kernels);
		for (Stage2Policy p : available) {
			policies.put(new Object(), p);
		}
	}

	@Reference(name = "policy", service = Stage2Policy.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
	synchronized void addPolicy(ServiceReference<Stage2Policy> ref, Stage2Policy p) {
		policies.put(ref, p);
	}

	synchronized void removePolicy(ServiceReference<Stage2Policy> ref) {
		policies.remove(ref);
	}

	private synchronized Stage2Policy policy(String name) {
		for (Stage2Policy p : policies.values()) {
			if (p.name().equals(name)) {
				return p;
			}
		}
		List<String> have = new ArrayList<>();
		for (Stage2Policy p : policies.values()) {
			have.add(p.name());
		}
		java.util.Collections.sort(have);
		throw new IllegalArgumentException("no stage-2 policy '" + name + "' (have: " + (have.isEmpty() ? "none" : String.join(", ", have)) + ")");
	}

	@Override
	public Sweep start(SweepSpec spec, int parallelism, Consumer<SweepPoint> progress) {
		List<Map<String, String>> points = spec.points();
		for (Map<String, String> p : points) {
			check(p);
		}
		int cpus = Runtime.getRuntime().availableProcessors();
		int n = Math.max(1, Math.min(points.size(), parallelism <= 0 ? cpus : parallelism));
		Run run = new Run(ids.incrementAndGet(), spec, points, n, cpus, progress);
		runs.put(run.id, run);
		run.begin();
		return run;
	}

	@Override
	public List<Sweep> list() {
		return new ArrayList<>(runs.values());
	}

	@Override
	public Optional<Sweep> get(int id) {
		return Optional.ofNullable(runs.get(id));
	}

	@Deactivate
	void deactivate() {
		for (Run r : runs.values()) {
			r.cancel();
		}
	}

	/** Refuses values that cannot run, before anything runs. */
	private void check(Map<String, String> p) {
		int k = positive(p, "k", 64), d = positive(p, "devices", 64), vms = positive(p, "vms", 256);
		if ((long) vms * d > 256) {
			throw new IllegalArgumentException("vms x devices must be at most 256 (the functions behind one physical SMMU), not " + vms * d);
		}
		if (k * (d + 2) > 250) {
			throw new IllegalArgumentException("k x (devices + 2) bus numbers must fit in 250, not " + k * (d + 2));
		}
		long ram = SweepSpec.bytes(p.get("ram")), page = SweepSpec.bytes(p.get("page"));
		if (page != 4096 && page != 2L << 20 && page != 1L << 30) {
			throw new IllegalArgumentException("page must be 4K, 2M or 1G, not " + p.get("page"));
		}
		if (ram < (16L << 20) || ram % page != 0 || ram > (1L << 40)) {
			throw new IllegalArgumentException("ram must be 16M..1T and a multiple of page, not " + p.get("ram") + " with page " + p.get("page"));
		}
		if (ram / page > (1 << 20)) {
			throw new IllegalArgumentException("ram " + p.get("ram") + " in " + p.get("page") + " pages is more than 2^20 pages: use a larger page");
		}
		int tlb = Integer.parseInt(p.get("tlb"));
		if (tlb < 0) {
			throw new IllegalArgumentException("tlb must be 0 or more");
		}
		if (!p.get("kernel").equals("shared") && !p.get("kernel").equals("per-smmu")) {
			throw new IllegalArgumentException("kernel must be shared or per-smmu, not " + p.get("kernel"));
		}
		policy(p.get("policy"));
		if (!p.get("workload").equals("none")) {
			workload(p);
		}
	}

	private static int positive(Map<String, String> p, String key, int max) {
		int v;
		try {
			v = Integer.parseInt(p.get(key));
		} catch (NumberFormatException e) {
			throw new IllegalArgumentException(key + " must be a number, not " + p.get(key));
		}
		if (v < 1 || v > max) {
			throw new IllegalArgumentException(key + " must be 1.." + max + ", not " + v);
		}
		return v;
	}

	private static WorkloadSpec workload(Map<String, String> p) {
		long io = SweepSpec.bytes(p.get("io"));
		return new WorkloadSpec(WorkloadSpec.Pattern.of(p.get("workload")), List.of(), SweepSpec.bytes(p.get("buffer")), (int) Math.min(io, Integer.MAX_VALUE), 0,
				Duration.ZERO, Long.parseLong(p.get("ios")), Integer.parseInt(p.get("dmas-per-map")), Integer.parseInt(p.get("batch")), 1);
	}

	/** The QEMU options of VM {@code j}: K pxb-pcie buses, a vSMMU on each over physical SMMU i, d root ports with a device each. */
	static String vmOptions(int j, int k, int d, long ram) {
		// UEFI firmware: without it virt is a DT machine and QEMU refuses accel=on
		StringBuilder sb = new StringBuilder(String.format("-m %dM -bios /usr/share/qemu-efi-aarch64/QEMU_EFI.fd -object iommufd,id=iommufd0", ram >> 20));
		int port = 0;
		for (int i = 0; i < k; i++) {
			int busNr = 1 + i * (d + 2);
			sb.append(String.format(" -device pxb-pcie,id=pcie.%d,bus_nr=%d", i + 1, busNr));
			sb.append(String.format(" -device arm-smmuv3,primary-bus=pcie.%d,id=smmuv3.%d,accel=on", i + 1, i));
			for (int f = 0; f < d; f++) {
				sb.append(String.format(" -device pcie-root-port,id=rp%d,bus=pcie.%d,chassis=%d", port, i + 1, port + 1));
				sb.append(String.format(" -device vfio-pci,host=%s,id=dev%d,bus=rp%d,iommufd=iommufd0", HostFactory.Spec.bdf(i, j * d + f), port, port));
				port++;
			}
		}
		return sb.toString();
	}

	/** Measures one point on a fresh host. */
	Map<String, Double> measure(Map<String, String> p) throws InterruptedException {
		int k = Integer.parseInt(p.get("k")), d = Integer.parseInt(p.get("devices")), vms = Integer.parseInt(p.get("vms"));
		long ram = SweepSpec.bytes(p.get("ram")), page = SweepSpec.bytes(p.get("page"));
		int tlb = Integer.parseInt(p.get("tlb"));
		HostPlatform host = hosts.create(new HostFactory.Spec(k, vms * d, tlb, 256, vms * ram + (4L << 30)));
		Map<String, Double> m = new LinkedHashMap<>();
		try (KernelFactory.Booted kernel = kernels.boot(host, p.get("kernel"))) {
			Stage2Policy policy = policy(p.get("policy"));
			VmManagerComponent manager = new VmManagerComponent(host, kernel.iommufd(), policy.name(), policy);
			manager.setRamPageSize(page);
			try {
				long t0 = System.nanoTime();
				List<VirtualMachine> list = new ArrayList<>();
				for (int j = 0; j < vms; j++) {
					VirtualMachine vm = manager.create("vm" + j, vmOptions(j, k, d, ram));
					vm.boot();
					list.add(vm);
				}
				m.put("setup_ms", (System.nanoTime() - t0) / 1e6);
				objects(list, m);
				for (Smmu s : host.smmus()) {
					s.resetStats();
				}
				long t1 = System.nanoTime();
				long ios = 0;
				if (!p.get("workload").equals("none")) {
					WorkloadsComponent generators = new WorkloadsComponent();
					try {
						List<Workload> running = new ArrayList<>();
						for (VirtualMachine vm : list) {
							running.add(generators.start(vm, workload(p)));
						}
						for (Workload w : running) {
							if (!w.await(Duration.ofMinutes(10))) {
								throw new IllegalStateException("workload on " + w.vm() + " did not end in 10 minutes");
							}
							if (w.error() != null) {
								throw new IllegalStateException("workload on " + w.vm() + ": " + w.error());
							}
							ios += w.stats().ios();
						}
					} finally {
						generators.deactivate();
					}
				}
				double runMs = (System.nanoTime() - t1) / 1e6;
				counters(host, ios, runMs, m);
			} finally {
				manager.deactivate();
			}
		}
		return m;
	}

	private static void objects(List<VirtualMachine> vms, Map<String, Double> m) {
		long bytes = 0;
		int ioas = 0, paging = 0, nested = 0, viommus = 0;
		Map<String, java.util.Set<Integer>> vmids = new HashMap<>();
		for (VirtualMachine vm : vms) {
			for (IommufdObject o : vm.iommufd().objects()) {
				switch (o.type()) {
					case IOAS -> ioas++;
					case HWPT_PAGING -> {
						paging++;
						bytes += o.tableBytes();
						Matcher t = TAG.matcher(o.detail());
						while (t.find()) {
							vmids.computeIfAbsent(t.group(1), x -> new java.util.HashSet<>()).add(Integer.parseInt(t.group(3)));
						}
					}
					case HWPT_NESTED -> nested++;
					case VIOMMU -> {
						viommus++;
						Matcher v = VIOMMU.matcher(o.detail().strip());
						if (v.matches()) {
							vmids.computeIfAbsent(v.group(1), x -> new java.util.HashSet<>()).add(Integer.parseInt(v.group(2)));
						}
					}
					default -> {
					}
				}
			}
		}
		int ids = 0;
		for (java.util.Set<Integer> s : vmids.values()) {
			ids += s.size();
		}
		m.put("stage2_bytes", (double) bytes);
		m.put("ioas", (double) ioas);
		m.put("paging_hwpts", (double) paging);
		m.put("nested_hwpts", (double) nested);
		m.put("viommus", (double) viommus);
		m.put("vmids", (double) ids);
	}

	private static void counters(HostPlatform host, long ios, double runMs, Map<String, Double> m) {
		long lookups = 0, hits = 0, misses = 0, walks = 0, s2 = 0, inv = 0, syncs = 0, faults = 0;
		for (Smmu s : host.smmus()) {
			SmmuStats st = s.stats();
			CacheStats tlb = st.cache("tlb");
			lookups += tlb.lookups();
			hits += tlb.hits();
			misses += tlb.misses();
			walks += st.tableReads(1) + st.tableReads(2);
			s2 += st.tableReads(2);
			for (Map.Entry<String, Long> e : st.commands().entrySet()) {
				if (e.getKey().startsWith("TLBI_")) {
					inv += e.getValue();
				} else if (e.getKey().equals("CMD_SYNC")) {
					syncs += e.getValue();
				}
			}
			for (long f : st.faults().values()) {
				faults += f;
			}
		}
		m.put("ios", (double) ios);
		m.put("tlb_lookups", (double) lookups);
		m.put("tlb_hit_rate", lookups == 0 ? 0 : Math.round(1000.0 * hits / lookups) / 10.0);
		m.put("tlb_misses", (double) misses);
		m.put("walk_reads", (double) walks);
		m.put("s2_reads", (double) s2);
		m.put("invalidations", (double) inv);
		m.put("invalidations_per_io", ios == 0 ? 0 : Math.round(1000.0 * inv / ios) / 1000.0);
		m.put("syncs", (double) syncs);
		m.put("faults", (double) faults);
		m.put("run_ms", Math.round(runMs * 10) / 10.0);
		m.put("ios_per_s", runMs <= 0 ? 0.0 : (double) Math.round(ios * 1000.0 / runMs));
	}

	/** One sweep in flight. */
	private final class Run implements Sweep {
		final int id;
		final SweepSpec spec;
		final List<Map<String, String>> points;
		final int parallelism, cpus;
		final Consumer<SweepPoint> progress;
		final Map<Integer, SweepPoint> done = new ConcurrentSkipListMap<>();
		final CountDownLatch finished = new CountDownLatch(1);
		final long started = System.nanoTime();
		volatile long ended;
		volatile boolean cancelled;
		ExecutorService pool;

		Run(int id, SweepSpec spec, List<Map<String, String>> points, int parallelism, int cpus, Consumer<SweepPoint> progress) {
			this.id = id;
			this.spec = spec;
			this.points = points;
			this.parallelism = parallelism;
			this.cpus = cpus;
			this.progress = progress;
		}

		void begin() {
			AtomicInteger next = new AtomicInteger();
			AtomicInteger workers = new AtomicInteger(parallelism);
			pool = Executors.newFixedThreadPool(parallelism, r -> {
				Thread t = new Thread(r, "sweep-" + id);
				t.setDaemon(true);
				return t;
			});
			for (int w = 0; w < parallelism; w++) {
				pool.execute(() -> {
					try {
						int i;
						while (!cancelled && (i = next.getAndIncrement()) < points.size()) {
							one(i);
						}
					} finally {
						if (workers.decrementAndGet() == 0) {
							ended = System.nanoTime();
							finished.countDown();
							pool.shutdown();
						}
					}
				});
			}
		}

		private void one(int i) {
			Map<String, String> p = points.get(i);
			long t0 = System.nanoTime();
			SweepPoint pt;
			try {
				pt = new SweepPoint(i, p, measure(p), null, (System.nanoTime() - t0) / 1_000_000);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				pt = new SweepPoint(i, p, Map.of(), "interrupted", (System.nanoTime() - t0) / 1_000_000);
			} catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
				pt = new SweepPoint(i, p, Map.of(), e.getMessage() == null ? e.toString() : e.getMessage(), (System.nanoTime() - t0) / 1_000_000);
			}
			done.put(i, pt);
			if (progress != null) {
				try {
					progress.accept(pt);
				} catch (RuntimeException | StackOverflowError e) {
					// a listener's failure does not stop the sweep
				}
			}
		}

		@Override
		public int id() {
			return id;
		}

		@Override
		public SweepSpec spec() {
			return spec;
		}

		@Override
		public int total() {
			return points.size();
		}

		@Override
		public int completed() {
			return done.size();
		}

		@Override
		public List<SweepPoint> points() {
			return new ArrayList<>(done.values());
		}

		@Override
		public boolean running() {
			return finished.getCount() > 0;
		}

		@Override
		public void cancel() {
			cancelled = true;
		}

		@Override
		public boolean await(Duration timeout) throws InterruptedException {
			return finished.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
		}

		@Override
		public SweepResult result() {
			long end = ended == 0 ? System.nanoTime() : ended;
			return new SweepResult(spec, points(), parallelism, cpus, (end - started) / 1_000_000);
		}
	}
}
