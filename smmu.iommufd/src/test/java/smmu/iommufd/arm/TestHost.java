package smmu.iommufd.arm;

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
 * An in-memory host: SMMUs "smmu0".."smmuN-1" (MMU-700-like, ID registers optionally changed), each
 * probed and enabled, with one PCI endpoint "0000:0i:00.0" at StreamID 0x100 * (i + 1).
 */
public final class TestHost implements HostPlatform {
	static final long KERNEL_BASE = 0x8000_0000L, KERNEL_LIMIT = 0x1_0000_0000L;

	public final SparseMemory memory = new SparseMemory(48);
	final FrameAllocator allocator = new FrameAllocator(memory, KERNEL_BASE, KERNEL_LIMIT);
	final List<Smmu> smmus = new ArrayList<>();
	final List<PciEndpoint> endpoints = new ArrayList<>();
	public final Map<String, SmmuDriver> drivers = new HashMap<>();

	public TestHost(int n, UnaryOperator<int[]> idr) {
		for (int i = 0; i < n; i++) {
			SmmuSpec spec = SmmuSpec.mmu700("smmu" + i, 0x2b40_0000L + 0x10_0000L * i);
			spec = spec.withIdr(idr.apply(spec.idr().clone()));
			SmmuDevice d = SmmuDevice.create(spec, memory);
			SmmuDriver drv = SmmuDriver.probe(d, memory, allocator);
			drv.init();
			smmus.add(d);
			drivers.put(spec.id(), drv);
			endpoints.add(new PciEndpoint(String.format("0000:%02x:00.0", i + 1), spec.id(), sid(i)));
		}
	}

	public TestHost(int n) {
		this(n, UnaryOperator.identity());
	}

	public static int sid(int smmu) {
		return 0x100 * (smmu + 1);
	}

	public static String bdf(int smmu) {
		return String.format("0000:%02x:00.0", smmu + 1);
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
