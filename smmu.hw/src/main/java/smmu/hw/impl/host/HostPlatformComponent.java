package smmu.hw.impl.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

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
 * The host machine, built from configuration {@value HostConfig#PID} (defaults: two MMU-700 r1p1-like
 * SMMUs with two PCI endpoints each, each endpoint a {@link PciHeader#testDevice()} function; ID
 * registers may be configured), every SMMU probed and enabled by the driver library; physical memory
 * is sparse RAM with a window for mapped files above it.
 */
@Component(service = HostPlatform.class, immediate = true, configurationPid = HostConfig.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = HostConfig.class)
public class HostPlatformComponent implements HostPlatform {
	private final HostMemory memory;
	private final FrameAllocator allocator;
	private final List<Smmu> smmus = new CopyOnWriteArrayList<>();
	private final Map<String, Smmu> snapshots = new ConcurrentHashMap<>();
	private final List<PciEndpoint> endpoints;
	private final Map<String, PciFunction> functions = new ConcurrentHashMap<>();
	private final Map<String, SmmuDriver> drivers = new ConcurrentHashMap<>();
	private final smmu.hw.irq.MsiController msi;

	@Activate
	public HostPlatformComponent(HostConfig config) {
		long[] files = HostTopology.range(config.fileMemory());
		SparseMemory ram = new SparseMemory(config.physicalAddressBits());
		memory = new HostMemory(ram, files[0], Math.min(files[1], 1L << config.physicalAddressBits()));
		msi = HostTopology.msi(config.msiController());
		long[] window = HostTopology.range(config.kernelMemory());
		allocator = new FrameAllocator(memory, window[0], window[1]);
		for (String s : config.smmus()) {
			SmmuSpec spec = HostTopology.registers(HostTopology.smmu(s), config.registers()).withCaches(config.tlbEntries(),
					config.configCacheEntries());
			if (smmu(spec.id()).isPresent()) {
				throw new IllegalArgumentException("duplicate SMMU id " + spec.id());
			}
			SmmuDevice device = SmmuDevice.create(spec, memory);
			if (config.probe()) {
				SmmuDriver driver = SmmuDriver.probe(device, memory, allocator);
				driver.init();
				drivers.put(spec.id(), driver);
			}
			smmus.add(device);
		}
		List<PciEndpoint> eps = new ArrayList<>();
		for (String e : config.endpoints()) {
			PciEndpoint ep = HostTopology.endpoint(e);
			if (smmu(ep.smmu()).isEmpty()) {
				throw new IllegalArgumentException("endpoint " + e + ": no SMMU " + ep.smmu());
			}
			eps.add(ep);
			functions.put(ep.bdf(), new PciFunction(ep.bdf(), PciHeader.testDevice()));
			// as Linux does when a device behind the SMMU is probed: its stream table L2 exists, STE abort
			driver(ep.smmu()).ifPresent(d -> d.ensureL2(ep.sid()));
		}
		endpoints = List.copyOf(eps);
	}

	@Override
	public smmu.hw.irq.MsiController msiController() {
		return msi;
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
		for (Smmu s : smmus) {
			if (s.id().equals(id)) {
				return Optional.of(s);
			}
		}
		return Optional.empty();
	}

	@Override
	public List<PciEndpoint> endpoints() {
		return endpoints;
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
	public Optional<SmmuDriver> driver(String smmuId) {
		return Optional.ofNullable(drivers.get(smmuId));
	}

	@Override
	public synchronized Smmu attachSnapshot(String id, long mmioBase, PhysicalMemory image, Map<Integer, Long> registers) {
		if (smmu(id).isPresent()) {
			throw new IllegalArgumentException("an SMMU named '" + id + "' exists already");
		}
		int[] idr = new int[6];
		SmmuSpec reference = SmmuSpec.mmu700(id, 0);
		for (int i = 0; i < 6; i++) {
			Long v = registers.get(i * 4);
			idr[i] = v != null ? v.intValue() : reference.idr(i);
		}
		SmmuSpec spec = new SmmuSpec(id, mmioBase, idr, registers.getOrDefault(0x18, (long) reference.iidr()).intValue(),
				registers.getOrDefault(0x1c, (long) reference.aidr()).intValue(), reference.tlbCapacity(), reference.configCacheCapacity());
		SmmuDevice device = SmmuDevice.create(spec, image);
		device.restore(registers);
		smmus.add(device);
		snapshots.put(id, device);
		return device;
	}

	@Override
	public synchronized boolean detach(String id) {
		Smmu s = snapshots.remove(id);
		return s != null && smmus.remove(s);
	}
}
