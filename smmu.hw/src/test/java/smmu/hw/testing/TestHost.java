package smmu.hw.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

import smmu.hw.FrameAllocator;
import smmu.hw.HostMemory;
import smmu.hw.HostPlatform;
import smmu.hw.PciEndpoint;
import smmu.hw.PciFunction;
import smmu.hw.PciHeader;
import smmu.hw.PhysicalMemory;
import smmu.hw.Smmu;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.driver.SmmuDriver;
import smmu.hw.impl.SmmuDevice;

/**
 * An in-memory host for tests of the layers above the hardware (shipped as smmu.hw's test-jar): MMU-700-like
 * SMMUs "smmu0".. (ID registers optionally changed), probed and enabled, with endpoints "0000:0i:00.f" at
 * StreamID 0x100 * (i + 1) + f. Kernel pages come from [2 GiB, 4 GiB), user pages (VMM memory) from
 * [4 GiB, 64 GiB), mapped files from {@link #FILE_BASE}. Each endpoint is a {@link PciHeader#testDevice()} function.
 */
public final class TestHost implements HostPlatform {
	public static final long KERNEL_BASE = 0x8000_0000L, KERNEL_LIMIT = 0x1_0000_0000L;
	public static final long FILE_BASE = 0x40_0000_0000L, FILE_LIMIT = 0x8000_0000_0000L;

	public final SparseMemory memory = new SparseMemory(48);
	/** What the SMMUs see: {@link #memory} below {@link #FILE_BASE}, mapped files above. */
	public final HostMemory physical = new HostMemory(memory, FILE_BASE, FILE_LIMIT);
	public final Map<String, PciFunction> functions = new HashMap<>();
	public final FrameAllocator allocator = new FrameAllocator(physical, KERNEL_BASE, KERNEL_LIMIT);
	public final FrameAllocator userPages = new FrameAllocator(physical, KERNEL_LIMIT, 0x10_0000_0000L);
	public final List<Smmu> smmus = new ArrayList<>();
	public final List<PciEndpoint> endpoints = new ArrayList<>();
	public final Map<String, SmmuDriver> drivers = new HashMap<>();
	/** A GICv3 ITS at 0x2f020000 (GITS_TRANSLATER 0x2f030040); tests may replace it before use. */
	public smmu.hw.irq.MsiController msi = new smmu.hw.irq.MsiController(smmu.hw.irq.MsiController.Kind.GICV3_ITS, 0x2f02_0000L);

	/** {@code n} SMMUs with one endpoint each, their stream table L2 not yet allocated. */
	public TestHost(int n) {
		this(n, UnaryOperator.identity());
	}

	/** {@code n} SMMUs with one endpoint each, their stream table L2 not yet allocated. */
	public TestHost(int n, UnaryOperator<int[]> idr) {
		this(n, 1, idr, false);
	}

	/** {@code n} SMMUs with {@code perSmmu} endpoints each, whose L2 stream tables exist (abort STEs), as at boot. */
	public TestHost(int n, int perSmmu, UnaryOperator<int[]> idr) {
		this(n, perSmmu, idr, true);
	}

	/** {@code n} SMMUs with one endpoint each, every spec changed by {@code specs} (e.g. another IIDR). */
	public static TestHost withSpecs(int n, UnaryOperator<SmmuSpec> specs) {
		return new TestHost(n, 1, UnaryOperator.identity(), false, specs, SmmuDriver.Options.DEFAULT);
	}

	/** {@code n} SMMUs with one endpoint each, probed by a driver with {@code options} (e.g. the kernel in E2H mode). */
	public TestHost(int n, SmmuDriver.Options options) {
		this(n, 1, UnaryOperator.identity(), false, UnaryOperator.identity(), options);
	}

	private TestHost(int n, int perSmmu, UnaryOperator<int[]> idr, boolean probeEndpoints) {
		this(n, perSmmu, idr, probeEndpoints, UnaryOperator.identity(), SmmuDriver.Options.DEFAULT);
	}

	private TestHost(int n, int perSmmu, UnaryOperator<int[]> idr, boolean probeEndpoints, UnaryOperator<SmmuSpec> specs,
			SmmuDriver.Options options) {
		for (int i = 0; i < n; i++) {
			SmmuSpec spec = SmmuSpec.mmu700("smmu" + i, 0x2b40_0000L + 0x10_0000L * i);
			spec = specs.apply(spec.withIdr(idr.apply(spec.idr().clone())));
			SmmuDevice d = SmmuDevice.create(spec, physical);
			SmmuDriver drv = SmmuDriver.probe(d, physical, allocator, options);
			drv.init();
			smmus.add(d);
			drivers.put(spec.id(), drv);
			for (int f = 0; f < perSmmu; f++) {
				endpoints.add(new PciEndpoint(bdf(i, f), spec.id(), sid(i, f)));
				functions.put(bdf(i, f), new PciFunction(bdf(i, f), PciHeader.testDevice()));
				if (probeEndpoints) {
					drv.ensureL2(sid(i, f));
				}
			}
		}
	}

	public static int sid(int smmu) {
		return sid(smmu, 0);
	}

	public static int sid(int smmu, int fn) {
		return 0x100 * (smmu + 1) + fn;
	}

	public static String bdf(int smmu) {
		return bdf(smmu, 0);
	}

	public static String bdf(int smmu, int fn) {
		return String.format("0000:%02x:00.%d", smmu + 1, fn);
	}

	@Override
	public smmu.hw.irq.MsiController msiController() {
		return msi;
	}

	@Override
	public PhysicalMemory memory() {
		return physical;
	}

	@Override
	public Optional<PciFunction> function(String bdf) {
		return Optional.ofNullable(functions.get(bdf));
	}

	@Override
	public PciFunction installFunction(String bdf, PciHeader header) {
		if (!functions.containsKey(bdf)) {
			throw new IllegalArgumentException("no endpoint " + bdf);
		}
		PciFunction f = new PciFunction(bdf, header);
		functions.put(bdf, f);
		return f;
	}

	@Override
	public FrameAllocator allocator() {
		return allocator;
	}

	@Override
	public List<Smmu> smmus() {
		return List.copyOf(smmus);
	}

	@Override
	public Optional<Smmu> smmu(String id) {
		return smmus.stream().filter(s -> s.id().equals(id)).findFirst();
	}

	@Override
	public List<PciEndpoint> endpoints() {
		return List.copyOf(endpoints);
	}

	@Override
	public Optional<SmmuDriver> driver(String smmuId) {
		return Optional.ofNullable(drivers.get(smmuId));
	}

	@Override
	public Smmu attachSnapshot(String id, long mmioBase, PhysicalMemory m, Map<Integer, Long> registers) {
		if (smmu(id).isPresent()) {
			throw new IllegalArgumentException("an SMMU named '" + id + "' exists already");
		}
		// as HostPlatformComponent: ID registers the snapshot lacks are an MMU-700's
		SmmuSpec reference = SmmuSpec.mmu700(id, mmioBase);
		int[] idr = new int[6];
		for (int i = 0; i < 6; i++) {
			idr[i] = registers.getOrDefault(i * 4, (long) reference.idr(i)).intValue();
		}
		SmmuSpec spec = new SmmuSpec(id, mmioBase, idr, registers.getOrDefault(0x18, (long) reference.iidr()).intValue(),
				registers.getOrDefault(0x1c, (long) reference.aidr()).intValue(), reference.tlbCapacity(), reference.configCacheCapacity());
		SmmuDevice d = SmmuDevice.create(spec, m);
		d.restore(registers);
		smmus.add(d);
		snapshots.add(id);
		return d;
	}

	private final java.util.Set<String> snapshots = new java.util.HashSet<>();

	@Override
	public boolean detach(String id) {
		return snapshots.remove(id) && smmus.removeIf(s -> s.id().equals(id));
	}
}
