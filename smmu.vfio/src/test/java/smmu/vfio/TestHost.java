package smmu.vfio;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

import smmu.hw.FrameAllocator;
import smmu.hw.HostPlatform;
import smmu.hw.PciEndpoint;
import smmu.hw.PhysicalMemory;
import smmu.hw.Smmu;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.driver.SmmuDriver;
import smmu.hw.impl.SmmuDevice;

/**
 * A host of MMU-700-like SMMUs "smmu0".. (ID registers optionally changed), probed and enabled, with
 * {@code perSmmu} endpoints each: "0000:0i:00.f" at StreamID 0x100 * (i + 1) + f. Kernel pages come
 * from [2 GiB, 4 GiB), user pages (VMM memory) from [4 GiB, 64 GiB).
 */
final class TestHost implements HostPlatform {
	final SparseMemory memory = new SparseMemory(48);
	final FrameAllocator allocator = new FrameAllocator(memory, 0x8000_0000L, 0x1_0000_0000L);
	final FrameAllocator userPages = new FrameAllocator(memory, 0x1_0000_0000L, 0x10_0000_0000L);
	final List<Smmu> smmus = new ArrayList<>();
	final List<PciEndpoint> endpoints = new ArrayList<>();
	final Map<String, SmmuDriver> drivers = new HashMap<>();

	TestHost(int n, int perSmmu, UnaryOperator<int[]> idr) {
		for (int i = 0; i < n; i++) {
			SmmuSpec spec = SmmuSpec.mmu700("smmu" + i, 0x2b40_0000L + 0x10_0000L * i);
			spec = spec.withIdr(idr.apply(spec.idr().clone()));
			SmmuDevice d = SmmuDevice.create(spec, memory);
			SmmuDriver drv = SmmuDriver.probe(d, memory, allocator);
			drv.init();
			smmus.add(d);
			drivers.put(spec.id(), drv);
			for (int f = 0; f < perSmmu; f++) {
				endpoints.add(new PciEndpoint(bdf(i, f), spec.id(), sid(i, f)));
				drv.ensureL2(sid(i, f));
			}
		}
	}

	static int sid(int smmu, int fn) {
		return 0x100 * (smmu + 1) + fn;
	}

	static String bdf(int smmu, int fn) {
		return String.format("0000:%02x:00.%d", smmu + 1, fn);
	}

	@Override
	public PhysicalMemory memory() {
		return memory;
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
	public Smmu attachSnapshot(String id, PhysicalMemory m, Map<Integer, Long> registers) {
		throw new UnsupportedOperationException();
	}

	@Override
	public boolean detach(String id) {
		return false;
	}
}
