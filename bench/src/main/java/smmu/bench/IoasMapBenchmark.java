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
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IoasUnmap;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.VmmAddressSpace;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.impl.Context;
import smmu.iommufd.impl.HostKernel;

/**
 * IOMMU_IOAS_MAP then IOMMU_IOAS_UNMAP of 1 GiB of the VMM's memory on an IOAS with a nest-parent
 * stage-2 HWPT attached (so the domain's page table is built and torn down, with its invalidation):
 * {@code pieces=1} one 1 GiB map of 2 MiB-aligned memory (2 MiB blocks), {@code pieces=262144} the same
 * GiB as 4 KiB maps. Tear-down prints the stage-2 table bytes for 16 GiB of 2 MiB-aligned guest RAM.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgs = "-Xmx4g")
public class IoasMapBenchmark {
	static final long GIB = 1L << 30, VA = 0x7f00_0000_0000L, IOVA = 0x4000_0000L;

	@Param({ "1", "262144" })
	public int pieces;

	private Context ctx;
	private int ioas;

	@Setup
	public void setup() {
		HostPlatform host = Hosts.create(1);
		HostKernel kernel = new HostKernel(host, KernelMode.SHARED);
		VmmAddressSpace mm = new VmmAddressSpace(host.memory());
		// host pages 2 MiB aligned but not 1 GiB aligned: the stage 2 uses 2 MiB blocks, as for guest RAM from hugetlbfs
		mm.map(VA, 16 * GIB, 0x10_0020_0000L, true);
		ctx = new Context(mm, false, kernel, c -> {});
		ioas = ctx.ioasAlloc(IoasAlloc.request()).outIoasId();
		int dev = ctx.bindDevice(host.endpoints().get(0).bdf());
		int hwpt = ctx.hwptAlloc(HwptAlloc.paging(HwptAlloc.NEST_PARENT, dev, ioas)).outHwptId();
		ctx.attachDevice(dev, hwpt);
	}

	@Benchmark
	public long mapUnmap() {
		long piece = GIB / pieces;
		int flags = IoasMap.FIXED_IOVA | IoasMap.READABLE | IoasMap.WRITEABLE;
		for (long off = 0; off < GIB; off += piece) {
			ctx.ioasMap(new IoasMap(flags, ioas, VA + off, piece, IOVA + off));
		}
		return ctx.ioasUnmap(new IoasUnmap(ioas, IOVA, GIB)).length();
	}

	@TearDown
	public void stage2BytesFor16GiB() {
		ctx.ioasMap(new IoasMap(IoasMap.FIXED_IOVA | IoasMap.READABLE | IoasMap.WRITEABLE, ioas, VA, 16 * GIB, IOVA));
		long bytes = ctx.objects().stream().filter(o -> o.tableBytes() > 0).mapToLong(IommufdObject::tableBytes).sum();
		// the format's minimum for 16 GiB of 2 MiB blocks at IPA 0x40000000 (4K granule, 48-bit IPA):
		// one level-0 table, one level-1 table, one level-2 table per GiB touched
		long gibs = ((IOVA + 16 * GIB - 1) >>> 30) - (IOVA >>> 30) + 1;
		long required = 4096 * (1 + 1 + gibs);
		System.out.printf("%n[stage-2 bytes for 16 GiB] %d bytes, format minimum %d (%.2f%%)%n", bytes, required,
				100.0 * (bytes - required) / required);
		ctx.close();
	}
}
