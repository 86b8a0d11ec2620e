package smmu.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import smmu.accel.VirtualMachine;
import smmu.accel.policy.Stage2Policy;
import smmu.accel.service.VmManagerComponent;
import smmu.hw.HostPlatform;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.ObjectType;
import smmu.iommufd.VmmAddressSpace;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.impl.Context;
import smmu.iommufd.impl.HostKernel;
import smmu.iommufd.impl.IommufdComponent;

/**
 * The scale check, a plain timed main ({@code java -Xmx1g -cp bench/target/benchmarks.jar smmu.bench.ScaleMain [runs]}):
 * <ol>
 * <li>setup: a host with 64 physical SMMUs and 16 devices behind each (1024), its host kernel, then 256 VMs
 * created and booted, each with two accel vSMMUs on two pxb-pcie buses over two physical SMMUs and two
 * devices behind each vSMMU (every host device used once). Prints each run's time and the median; the
 * target is at most 5 s with at most 1 GiB heap;</li>
 * <li>stage-2 bytes: guest RAM mapped once per IOAS; one IOAS with one nest-parent HWPT attached behind K
 * physical SMMUs (shared) against K IOAS with one nest-parent HWPT each (per-instance), for each kernel.
 * With the sharing kernel the shared design's bytes are exactly 1/K of per-instance; with the per-SMMU
 * kernel each SMMU needs its own HWPT either way.</li>
 * </ol>
 */
public final class ScaleMain {
	static final int SMMUS = 64, PER_SMMU = 16, VMS = 256;

	private ScaleMain() {}

	public static void main(String[] args) {
		int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
		double[] ms = new double[runs];
		for (int r = 0; r < runs; r++) {
			System.gc();
			long t0 = System.nanoTime();
			List<VirtualMachine> vms = setUp();
			ms[r] = (System.nanoTime() - t0) / 1e6;
			long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
			System.out.printf(Locale.ROOT, "run %d: %d SMMUs, %d devices, %d VMs created and booted in %.0f ms (heap in use %d MiB, max %d MiB)%n", r + 1,
					SMMUS, SMMUS * PER_SMMU, vms.size(), ms[r], heap >> 20, Runtime.getRuntime().maxMemory() >> 20);
		}
		double[] sorted = ms.clone();
		Arrays.sort(sorted);
		double median = runs % 2 == 1 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
		System.out.printf(Locale.ROOT, "setup median of %d runs: %.0f ms (target <= 5000 ms)%n", runs, median);
		for (KernelMode mode : KernelMode.values()) {
			for (int k : new int[] { 2, 4, 8 }) {
				long shared = stage2Bytes(mode, k, true), per = stage2Bytes(mode, k, false);
				System.out.printf(Locale.ROOT, "stage-2 bytes, kernel %s, K=%d vSMMUs, 1 GiB guest RAM: shared %d, per-instance %d, ratio 1/%.2f%s%n", mode, k,
						shared, per, (double) per / shared, per == (long) k * shared ? " (exactly 1/K)" : "");
			}
		}
	}

	/** QEMU's stage 2: one AddressSpace per VM (what the smmu.policy.shared bundle provides). */
	static final Stage2Policy SHARED = new Stage2Policy() {
		@Override
		public String name() {
			return "shared";
		}

		@Override
		public String addressSpaceKey(String vm, String vsmmu) {
			return "system";
		}
	};

	/** The host and 256 booted VMs; VM j uses SMMUs 2j and 2j+1 (mod 64), functions 2(j/32) and 2(j/32)+1 of each. */
	static List<VirtualMachine> setUp() {
		HostPlatform host = Hosts.create(SMMUS, PER_SMMU, "0x80000000-0x1000000000");
		HostKernel kernel = new HostKernel(host, KernelMode.SHARED);
		VmManagerComponent manager = new VmManagerComponent(host, new IommufdComponent(kernel), "shared", SHARED);
		List<VirtualMachine> vms = new ArrayList<>();
		for (int j = 0; j < VMS; j++) {
			int a = (2 * j) % SMMUS, b = (2 * j + 1) % SMMUS, f = 2 * (j / (SMMUS / 2));
			StringBuilder sb = new StringBuilder("-m 16M -bios QEMU_EFI.fd -object iommufd,id=iommufd0");
			int port = 0;
			int[] phys = { a, b };
			for (int s = 0; s < 2; s++) {
				sb.append(String.format(" -device pxb-pcie,id=pcie.%d,bus_nr=%d", s + 1, s == 0 ? 1 : 8));
				sb.append(String.format(" -device arm-smmuv3,primary-bus=pcie.%d,id=smmuv3.%d,accel=on", s + 1, s));
				for (int fn = f; fn < f + 2; fn++) {
					sb.append(String.format(" -device pcie-root-port,id=rp%d,bus=pcie.%d,chassis=%d", port, s + 1, port + 1));
					sb.append(String.format(" -device vfio-pci,host=%s,id=dev%d,bus=rp%d,iommufd=iommufd0", Hosts.bdf(phys[s], fn), port, port));
					port++;
				}
			}
			VirtualMachine vm = manager.create("vm" + j, sb.toString());
			vm.boot();
			vms.add(vm);
		}
		return vms;
	}

	/** 1 GiB of 2 MiB-aligned VMM memory mapped on each IOAS; the paging HWPTs' table bytes. */
	static long stage2Bytes(KernelMode mode, int k, boolean shared) {
		HostPlatform host = Hosts.create(k);
		HostKernel kernel = new HostKernel(host, mode);
		VmmAddressSpace mm = new VmmAddressSpace(host.memory());
		long va = 0x7f00_0000_0000L, gib = 1L << 30;
		mm.map(va, gib, 0x4_0020_0000L, true);
		Context ctx = new Context(mm, false, kernel, c -> {});
		int flags = IoasMap.FIXED_IOVA | IoasMap.READABLE | IoasMap.WRITEABLE;
		int ioas = -1, hwpt = -1;
		for (int i = 0; i < k; i++) {
			int dev = ctx.bindDevice(host.endpoints().get(i).bdf());
			if (!shared || ioas < 0) {
				ioas = ctx.ioasAlloc(IoasAlloc.request()).outIoasId();
				ctx.ioasMap(new IoasMap(flags, ioas, va, gib, 0x4000_0000L));
				hwpt = ctx.hwptAlloc(HwptAlloc.paging(HwptAlloc.NEST_PARENT, dev, ioas)).outHwptId();
			}
			try {
				ctx.attachDevice(dev, hwpt);
			} catch (RuntimeException e) {
				// the per-SMMU kernel refuses a domain of another SMMU: that device gets its own HWPT on the IOAS
				hwpt = ctx.hwptAlloc(HwptAlloc.paging(HwptAlloc.NEST_PARENT, dev, ioas)).outHwptId();
				ctx.attachDevice(dev, hwpt);
			}
		}
		long bytes = 0;
		for (IommufdObject o : ctx.objects()) {
			if (o.type() == ObjectType.HWPT_PAGING) {
				bytes += o.tableBytes();
			}
		}
		ctx.close();
		return bytes;
	}
}
