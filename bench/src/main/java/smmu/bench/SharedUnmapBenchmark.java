package smmu.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import smmu.hw.HostPlatform;
import smmu.hw.driver.Prot;
import smmu.iommufd.arm.ArmDomain;
import smmu.iommufd.arm.ArmSmmuV3Kernel;
import smmu.iommufd.arm.InvalidationCounters;
import smmu.iommufd.arm.KernelMode;

/**
 * One 4 KiB map + unmap on a nest-parent stage-2 domain shared by devices behind K physical SMMUs
 * (the share-domain kernel): the unmap's invalidation walks the domain's array and sends each SMMU
 * its commands with its own VMID. At tear-down it prints the commands one unmap sent per SMMU.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SharedUnmapBenchmark {
	@Param({ "1", "2", "4", "8", "16" })
	public int smmus;

	private ArmDomain domain;
	private long page;

	@Setup
	public void setup() {
		HostPlatform host = Hosts.create(smmus);
		ArmSmmuV3Kernel kernel = new ArmSmmuV3Kernel(host, KernelMode.SHARED);
		domain = kernel.domainAllocPaging(kernel.masters().get(0), ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		kernel.masters().forEach(m -> kernel.attach(m, domain));
		page = host.allocator().allocate(4096, 4096);
	}

	@Benchmark
	public long mapUnmap() {
		domain.map(0x4000_0000L, page, 4096, Prot.READ | Prot.WRITE | Prot.CACHE);
		return domain.unmap(0x4000_0000L, 4096);
	}

	@TearDown
	public void report() {
		InvalidationCounters c = domain.counters();
		System.out.println("\n[per unmap, K=" + smmus + "] " + c.last());
	}
}
