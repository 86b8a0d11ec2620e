package smmu.bench;

import java.lang.reflect.Proxy;
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

import smmu.accel.GuestBuffer;
import smmu.accel.VirtualMachine;
import smmu.accel.policy.Stage2Policy;
import smmu.accel.service.VmManagerComponent;
import smmu.hw.HostPlatform;
import smmu.hw.impl.host.HostConfig;
import smmu.hw.impl.host.HostPlatformComponent;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.impl.HostKernel;
import smmu.iommufd.impl.IommufdComponent;

/**
 * The hot swap of one running VM (two accel vSMMUs over two physical SMMUs, two devices each, booted,
 * a DMA buffer mapped per device): each operation switches the active stage-2 policy shared <->
 * per-instance, re-plumbing the VM live (new IOAS with all guest RAM mapped, new nest-parent HWPTs,
 * vIOMMUs, vDEVICEs and nested HWPTs, devices replaced, old objects freed). Target: at most 50 ms.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = "-Xmx2g")
public class PolicySwapBenchmark {
	@Param({ "SHARED", "PER_SMMU" })
	public KernelMode mode;

	/** Guest RAM in MiB. */
	@Param({ "256", "4096" })
	public int ramMib;

	private HostKernel kernel;
	private VmManagerComponent manager;
	private VirtualMachine vm;
	private boolean perInstance;

	static Stage2Policy policy(String name, boolean perInstance) {
		return new Stage2Policy() {
			@Override
			public String name() {
				return name;
			}

			@Override
			public String addressSpaceKey(String vm, String vsmmu) {
				return perInstance ? vm + "/" + vsmmu : vm;
			}
		};
	}

	static HostPlatform host() {
		String[] smmus = { "smmu0@0x2b400000", "smmu1@0x2b500000" };
		String[] endpoints = { "0000:01:00.0@smmu0:0x100", "0000:01:00.1@smmu0:0x101", "0000:02:00.0@smmu1:0x200", "0000:02:00.1@smmu1:0x201" };
		HostConfig config = (HostConfig) Proxy.newProxyInstance(HostConfig.class.getClassLoader(), new Class<?>[] { HostConfig.class },
				(proxy, method, args) -> switch (method.getName()) {
					case "smmus" -> smmus;
					case "endpoints" -> endpoints;
					case "kernelMemory" -> "0x80000000-0x800000000";
					default -> method.getDefaultValue();
				});
		return new HostPlatformComponent(config);
	}

	@Setup
	public void setup() {
		HostPlatform host = host();
		kernel = new HostKernel(host, mode);
		manager = new VmManagerComponent(host, new IommufdComponent(kernel), "shared", policy("shared", false), policy("per-instance", true));
		StringBuilder sb = new StringBuilder("-m " + ramMib + "M -bios QEMU_EFI.fd -object iommufd,id=iommufd0");
		String[][] fns = { { "0000:01:00.0", "0000:01:00.1" }, { "0000:02:00.0", "0000:02:00.1" } };
		int port = 0;
		for (int s = 0; s < 2; s++) {
			sb.append(String.format(" -device pxb-pcie,id=pcie.%d,bus_nr=%d", s + 1, s == 0 ? 1 : 8));
			sb.append(String.format(" -device arm-smmuv3,primary-bus=pcie.%d,id=smmuv3.%d,accel=on", s + 1, s));
			for (String bdf : fns[s]) {
				sb.append(String.format(" -device pcie-root-port,id=rp%d,bus=pcie.%d,chassis=%d", port, s + 1, port + 1));
				sb.append(String.format(" -device vfio-pci,host=%s,id=dev%d,bus=rp%d,iommufd=iommufd0", bdf, port, port));
				port++;
			}
		}
		vm = manager.create("vm0", sb.toString());
		vm.boot();
		for (int d = 0; d < 4; d++) {
			GuestBuffer b = vm.guestMap("dev" + d, 64 * 1024);
			if (!vm.dmaWrite("dev" + d, b.iova(), new byte[] { 1 }).ok()) {
				throw new IllegalStateException("dev" + d + " cannot DMA");
			}
		}
	}

	@Benchmark
	public int swap() {
		perInstance = !perInstance;
		manager.setActivePolicy(perInstance ? "per-instance" : "shared");
		if (!manager.reported().isEmpty()) {
			throw new IllegalStateException(manager.reported().toString());
		}
		return vm.topology().devices().size();
	}

	@TearDown
	public void tearDown() {
		manager.destroy("vm0");
		kernel.deactivate();
	}
}
