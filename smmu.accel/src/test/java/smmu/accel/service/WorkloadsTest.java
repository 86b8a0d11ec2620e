package smmu.accel.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import smmu.accel.VirtualMachine;
import smmu.accel.VmException;
import smmu.accel.policy.Stage2Policy;
import smmu.accel.workload.Workload;
import smmu.accel.workload.WorkloadSpec;
import smmu.accel.workload.WorkloadSpec.Pattern;
import smmu.accel.workload.WorkloadStats;
import smmu.hw.Smmu;
import smmu.hw.testing.TestHost;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.impl.HostKernel;
import smmu.iommufd.impl.IommufdComponent;

/** Workload generators on a VM with three devices behind two vSMMUs over two physical SMMUs. */
class WorkloadsTest {
	static final String VM = "-m 64M -bios /usr/share/qemu-efi-aarch64/QEMU_EFI.fd -object iommufd,id=iommufd0"
			+ " -device pxb-pcie,id=pcie.1,bus_nr=1 -device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on"
			+ " -device pcie-root-port,id=rp0,bus=pcie.1,chassis=1 -device vfio-pci,host=0000:01:00.0,id=dev0,bus=rp0,iommufd=iommufd0"
			+ " -device pcie-root-port,id=rp1,bus=pcie.1,chassis=2 -device vfio-pci,host=0000:01:00.1,id=dev1,bus=rp1,iommufd=iommufd0"
			+ " -device pxb-pcie,id=pcie.2,bus_nr=8 -device arm-smmuv3,primary-bus=pcie.2,id=smmuv3.1,accel=on"
			+ " -device pcie-root-port,id=rp2,bus=pcie.2,chassis=3 -device vfio-pci,host=0000:02:00.0,id=dev2,bus=rp2,iommufd=iommufd0";
	static final Stage2Policy SHARED = new Stage2Policy() {
		@Override
		public String name() {
			return "shared";
		}

		@Override
		public String addressSpaceKey(String vm, String vsmmu) {
			return vm;
		}
	};

	TestHost hw;
	HostKernel kernel;
	VmManagerComponent manager;
	WorkloadsComponent workloads = new WorkloadsComponent();
	VirtualMachine vm;

	@BeforeEach
	void setUp() {
		hw = new TestHost(2, 2, x -> x);
		kernel = new HostKernel(hw, KernelMode.SHARED);
		manager = new VmManagerComponent(hw, new IommufdComponent(kernel), "shared", SHARED);
		vm = manager.create("vm0", VM);
		vm.boot();
	}

	@AfterEach
	void tearDown() {
		workloads.deactivate();
		manager.deactivate();
		kernel.deactivate();
	}

	long commands(String name) {
		long n = 0;
		for (Smmu s : hw.smmus()) {
			n += s.stats().commands().getOrDefault(name, 0L);
		}
		return n;
	}

	void resetStats() {
		for (Smmu s : hw.smmus()) {
			s.resetStats();
		}
	}

	static WorkloadStats finish(Workload w) throws InterruptedException {
		assertTrue(w.await(Duration.ofSeconds(60)), "workload did not end");
		assertNull(w.error());
		return w.stats();
	}

	@Test
	void strictChurnInvalidatesEveryUnmapOnEveryDevice() throws Exception {
		resetStats();
		Workload w = workloads.start(vm, WorkloadSpec.of(Pattern.CHURN_STRICT, 50));
		WorkloadStats s = finish(w);
		assertEquals(List.of("dev0", "dev1", "dev2"), w.devices());
		assertEquals(Workload.State.DONE, w.state());
		assertEquals(150, s.ios());
		assertEquals(150 * 4096, s.bytes());
		assertEquals(150, s.maps());
		assertEquals(150, s.unmaps());
		assertEquals(0, s.faults());
		assertEquals(0, s.flushes());
		// one TLBI_NH_VA per 4 KiB unmap, forwarded to the device's physical SMMU
		assertEquals(150, commands("TLBI_NH_VA"));
		assertEquals(0, commands("TLBI_NH_ASID"));
	}

	@Test
	void lazyChurnSendsOneAsidInvalidationPerBatch() throws Exception {
		resetStats();
		Workload w = workloads.start(vm, WorkloadSpec.of(Pattern.CHURN_LAZY, 64).withBatch(16).withDevices(List.of("dev0", "dev2")));
		WorkloadStats s = finish(w);
		assertEquals(128, s.ios());
		assertEquals(128, s.unmaps());
		// batches of 16 (or fewer when the 10 ms timer fires first): at least 4 flushes per device
		assertTrue(s.flushes() >= 8, "flushes " + s.flushes());
		assertEquals(s.flushes(), commands("TLBI_NH_ASID"));
		assertEquals(0, commands("TLBI_NH_VA"));
	}

	@Test
	void severalDmasPerMappingHitTheTlb() throws Exception {
		resetStats();
		WorkloadStats one = finish(workloads.start(vm, WorkloadSpec.of(Pattern.CHURN_STRICT, 64).withDevices(List.of("dev0"))));
		double perIo = hitRate();
		resetStats();
		WorkloadStats eight = finish(workloads.start(vm, WorkloadSpec.of(Pattern.CHURN_STRICT, 64).withDmasPerMap(8).withDevices(List.of("dev0"))));
		assertEquals(64, one.maps());
		assertEquals(8, eight.maps());
		assertTrue(hitRate() > perIo + 0.3, "hit rate " + hitRate() + " vs " + perIo);
	}

	double hitRate() {
		long l = 0, h = 0;
		for (Smmu s : hw.smmus()) {
			l += s.stats().cache("tlb").lookups();
			h += s.stats().cache("tlb").hits();
		}
		return l == 0 ? 0 : (double) h / l;
	}

	@Test
	void streamAndRandomKeepTheirBufferMappedAndFree() throws Exception {
		WorkloadStats st = finish(workloads.start(vm, WorkloadSpec.of(Pattern.STREAM, 100).withBuffer(64 * 1024)));
		assertEquals(300, st.ios());
		assertEquals(3, st.maps());
		assertEquals(3, st.unmaps());
		resetStats();
		WorkloadStats r = finish(workloads.start(vm, WorkloadSpec.of(Pattern.RANDOM, 400).withBuffer(32 * 1024).withDevices(List.of("dev1"))));
		assertEquals(400, r.ios());
		// 8 pages in a 1024-entry TLB: all but the first touches hit
		assertTrue(hitRate() > 0.9, "hit rate " + hitRate());
	}

	@Test
	void rateAndDurationBoundTheRun() throws Exception {
		Workload w = workloads.start(vm, WorkloadSpec.of(Pattern.STREAM, Duration.ofMillis(300)).withRate(100).withDevices(List.of("dev0")));
		WorkloadStats s = finish(w);
		assertTrue(s.ios() >= 1 && s.ios() <= 32, "ios " + s.ios());
		assertTrue(s.elapsedNanos() >= 290_000_000L, "elapsed " + s.elapsedNanos());
	}

	@Test
	void stopAndDestroyEndRunningWorkloads() throws Exception {
		Workload w = workloads.start(vm, WorkloadSpec.of(Pattern.CHURN_LAZY, Duration.ofHours(1)));
		Thread.sleep(50);
		w.stop();
		assertEquals(Workload.State.STOPPED, w.state());
		WorkloadStats s = w.stats();
		assertEquals(s.maps(), s.unmaps());
		Workload x = workloads.start(vm, WorkloadSpec.of(Pattern.STREAM, Duration.ofHours(1)));
		Thread.sleep(50);
		manager.destroy("vm0");
		assertEquals(Workload.State.STOPPED, x.state());
		assertEquals(2, workloads.list().size());
		assertEquals(2, workloads.clear());
	}

	@Test
	void refusals() {
		VirtualMachine cold = manager.create("cold", "-m 64M -bios /usr/share/qemu-efi-aarch64/QEMU_EFI.fd -object iommufd,id=iommufd0 -device pxb-pcie,id=pcie.1,bus_nr=1"
				+ " -device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on -device pcie-root-port,id=rp0,bus=pcie.1,chassis=1 -device vfio-pci,host=0000:02:00.1,id=d,bus=rp0,iommufd=iommufd0");
		VmException e = assertThrows(VmException.class, () -> workloads.start(cold, WorkloadSpec.of(Pattern.STREAM, 1)));
		assertEquals("VM cold has not booted: 'vm:boot cold' first", e.getMessage());
		e = assertThrows(VmException.class, () -> workloads.start(vm, WorkloadSpec.of(Pattern.STREAM, 1).withDevices(List.of("nic9"))));
		assertEquals("VM vm0 has no device 'nic9' behind a vSMMU (have: dev0, dev1, dev2)", e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> WorkloadSpec.of(Pattern.STREAM, 0));
		assertThrows(IllegalArgumentException.class, () -> WorkloadSpec.Pattern.of("bursty"));
	}
}
