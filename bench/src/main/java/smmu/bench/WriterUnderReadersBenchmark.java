package smmu.bench;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

import smmu.hw.HostPlatform;
import smmu.hw.Smmu;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IoasUnmap;
import smmu.iommufd.VmmAddressSpace;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.impl.Context;
import smmu.iommufd.impl.HostKernel;

/**
 * A writer mapping and unmapping one 4 KiB page (IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP: page table update,
 * TLBI_S2_IPA + CMD_SYNC on every SMMU) of a nest-parent stage-2 domain shared by devices behind 4 SMMUs
 * (the share-domain kernel), while reader threads translate stable pages of the same domain on those
 * SMMUs. Group {@code rw}: one writer and the readers (run with {@code -tg R,1} for R readers: JMH orders the
 * group's methods by name, reader first);
 * {@code writer}: {@code map} maps and unmaps; {@code idle} sleeps, for the readers' throughput without a
 * writer; {@code spin} runs arithmetic on its own registers, touching nothing the readers touch: the control
 * for what a busy neighbouring core costs the readers on this hardware (shared execution units, power and
 * frequency), so that the map writer's cost to the readers beyond it is what the model's sharing costs.
 * {@link #writerAlone}: the writer with no readers. Goals: the writer keeps at least 50% of its alone
 * throughput under 8 readers; readers keep at least 80% with the writer on.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WriterUnderReadersBenchmark {
	static final long VA = 0x7f00_0000_0000L, IOVA = 0x4000_0000L, WRITER_IOVA = 0x8000_0000L;
	static final int SMMUS = 4, STABLE_PAGES = 64;

	@Param({ "map", "idle", "spin" })
	public String writer;

	Context ctx;
	int ioas;
	List<Smmu> smmus;
	int[] sids = new int[SMMUS];

	@Setup
	public void setup() {
		HostPlatform host = Hosts.create(SMMUS);
		HostKernel kernel = new HostKernel(host, KernelMode.SHARED);
		VmmAddressSpace mm = new VmmAddressSpace(host.memory());
		mm.map(VA, 1L << 24, 0x10_0000_0000L, true);
		ctx = new Context(mm, false, kernel, c -> {});
		ioas = ctx.ioasAlloc(IoasAlloc.request()).outIoasId();
		int hwpt = -1;
		for (int i = 0; i < SMMUS; i++) {
			int dev = ctx.bindDevice(host.endpoints().get(i).bdf());
			if (hwpt < 0) {
				hwpt = ctx.hwptAlloc(HwptAlloc.paging(HwptAlloc.NEST_PARENT, dev, ioas)).outHwptId();
			}
			ctx.attachDevice(dev, hwpt);
			sids[i] = host.endpoints().get(i).sid();
		}
		smmus = host.smmus();
		int flags = IoasMap.FIXED_IOVA | IoasMap.READABLE | IoasMap.WRITEABLE;
		ctx.ioasMap(new IoasMap(flags, ioas, VA, STABLE_PAGES * 4096L, IOVA));
		for (int i = 0; i < SMMUS; i++) {
			TranslationResult r = smmus.get(i).translate(TranslationRequest.read(sids[i], IOVA));
			if (!r.ok()) {
				throw new IllegalStateException("benchmark setup does not translate: " + r);
			}
		}
	}

	@TearDown
	public void close() {
		ctx.close();
	}

	/** One reader's SMMU and stable pages. */
	@State(Scope.Thread)
	public static class Reader {
		Smmu smmu;
		TranslationRequest[] requests = new TranslationRequest[1024];
		int next;

		@Setup
		public void setup(WriterUnderReadersBenchmark b, ThreadParams t) {
			int i = t.getThreadIndex() % SMMUS;
			smmu = b.smmus.get(i);
			Random r = new Random(t.getThreadIndex());
			for (int k = 0; k < requests.length; k++) {
				requests[k] = TranslationRequest.read(b.sids[i], IOVA + r.nextInt(STABLE_PAGES) * 4096L + 8);
			}
		}
	}

	private long mapUnmap() {
		ctx.ioasMap(new IoasMap(IoasMap.FIXED_IOVA | IoasMap.READABLE | IoasMap.WRITEABLE, ioas, VA + (1L << 23), 4096, WRITER_IOVA));
		return ctx.ioasUnmap(new IoasUnmap(ioas, WRITER_IOVA, 4096)).length();
	}

	@Benchmark
	@Group("rw")
	@GroupThreads(1)
	public long writer() throws InterruptedException {
		return switch (writer) {
		case "map" -> mapUnmap();
		case "idle" -> {
			Thread.sleep(1);
			yield 0;
		}
		case "spin" -> {
			long x = System.nanoTime();
			for (int i = 0; i < 1000; i++) {
				x = x * 6364136223846793005L + 1442695040888963407L; // an LCG step: registers only
			}
			yield x;
		}
		default -> throw new IllegalArgumentException("writer: map, idle or spin, not " + writer);
		};
	}

	@Benchmark
	@Group("rw")
	@GroupThreads(8)
	public TranslationResult reader(Reader r) {
		TranslationResult res = r.smmu.translate(r.requests[r.next++ & 1023]);
		if (!res.ok()) {
			throw new IllegalStateException("a stable page faulted: " + res);
		}
		return res;
	}

	/** The writer alone (no readers; run with -t 1). */
	@Benchmark
	public long writerAlone() {
		return mapUnmap();
	}
}
