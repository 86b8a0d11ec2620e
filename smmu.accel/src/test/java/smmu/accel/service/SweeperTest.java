package smmu.accel.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import smmu.accel.policy.Stage2Policy;
import smmu.accel.sweep.Sweep;
import smmu.accel.sweep.SweepPoint;
import smmu.accel.sweep.SweepResult;
import smmu.accel.sweep.SweepSpec;
import smmu.hw.impl.host.HostFactoryComponent;
import smmu.iommufd.impl.KernelFactoryComponent;

/** Sweeps on fresh hosts: the numbers the shipped sweeps chart, progress, CSV and JSON, refusals. */
class SweeperTest {
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
	static final Stage2Policy PER_INSTANCE = new Stage2Policy() {
		@Override
		public String name() {
			return "per-instance";
		}

		@Override
		public String addressSpaceKey(String vm, String vsmmu) {
			return vm + "/" + vsmmu;
		}
	};

	final SweeperComponent sweeper = new SweeperComponent(new HostFactoryComponent(), new KernelFactoryComponent(), SHARED, PER_INSTANCE);

	SweepResult run(String text) throws InterruptedException {
		Sweep s = sweeper.start(SweepSpec.parse("t", text), 2, null);
		assertTrue(s.await(Duration.ofMinutes(5)));
		SweepResult r = s.result();
		for (SweepPoint p : r.points()) {
			assertNull(p.error(), p.parameters().toString());
		}
		return r;
	}

	static double at(SweepResult r, String metric, Map<String, String> where) {
		for (SweepPoint p : r.points()) {
			if (where.entrySet().stream().allMatch(e -> e.getValue().equals(p.parameters().get(e.getKey())))) {
				return p.metric(metric);
			}
		}
		throw new AssertionError("no point " + where);
	}

	@Test
	void stage2BytesGrowWithKPerInstanceOnlyUnderTheSharingKernel() throws Exception {
		SweepResult r = run("k = 1, 2, 4\npolicy = shared, per-instance\nram = 1G\nkernel = shared\n");
		assertEquals(6, r.points().size());
		double shared4 = at(r, "stage2_bytes", Map.of("k", "4", "policy", "shared"));
		assertEquals(at(r, "stage2_bytes", Map.of("k", "1", "policy", "shared")), shared4);
		assertEquals(4 * shared4, at(r, "stage2_bytes", Map.of("k", "4", "policy", "per-instance")));
		assertEquals(1, at(r, "paging_hwpts", Map.of("k", "4", "policy", "shared")));
		assertEquals(4, at(r, "paging_hwpts", Map.of("k", "4", "policy", "per-instance")));
		assertEquals(4, at(r, "viommus", Map.of("k", "4", "policy", "shared")));
		// one VMID per vIOMMU, each on its own SMMU, with the stage-2 VMIDs the SMMUs share
		assertTrue(at(r, "vmids", Map.of("k", "4", "policy", "shared")) >= 4);
	}

	@Test
	void oneGigabytePagesNeedFewerTableBytesThanTwoMegabyte() throws Exception {
		SweepResult r = run("ram = 64G\npage = 2M, 1G\nk = 1\n");
		double twoM = at(r, "stage2_bytes", Map.of("page", "2M")), oneG = at(r, "stage2_bytes", Map.of("page", "1G"));
		// 2M blocks: the level-0 and level-1 tables plus 64 level-2 tables; 1G blocks: level 0 and level 1 only
		assertEquals(4096 * 66, twoM);
		assertEquals(4096 * 2, oneG);
	}

	@Test
	void churnCountsInvalidationsPerIo() throws Exception {
		SweepResult r = run("workload = churn-strict, churn-lazy\nk = 2\nios = 64\nbatch = 16\n");
		assertEquals(128, at(r, "ios", Map.of("workload", "churn-strict")));
		assertEquals(1.0, at(r, "invalidations_per_io", Map.of("workload", "churn-strict")));
		assertTrue(at(r, "invalidations_per_io", Map.of("workload", "churn-lazy")) <= 1.0 / 16 + 0.05);
		assertEquals(0, at(r, "faults", Map.of("workload", "churn-lazy")));
	}

	@Test
	void progressCsvAndJson() throws Exception {
		List<SweepPoint> seen = new CopyOnWriteArrayList<>();
		Sweep s = sweeper.start(SweepSpec.parse("two-kernels", "question = what the per-SMMU kernel costs\nkernel = shared, per-smmu\nk = 2, 3\n"), 0, seen::add);
		assertTrue(s.await(Duration.ofMinutes(5)));
		assertFalse(s.running());
		assertEquals(4, seen.size());
		assertEquals(4, s.completed());
		SweepResult r = s.result();
		String csv = r.csv();
		assertTrue(csv.startsWith("point,k,devices,vms,ram,page,tlb,kernel,policy,workload,"), csv);
		assertEquals(5, csv.split("\n").length);
		assertTrue(csv.contains("\n3,3,1,1,256M,2M,1024,per-smmu,shared,none,"), csv);
		String json = r.json();
		assertTrue(json.contains("\"question\": \"what the per-SMMU kernel costs\""), json);
		assertTrue(json.contains("\"axes\": {\"kernel\": [\"shared\", \"per-smmu\"], \"k\": [\"2\", \"3\"]}"), json);
		// per-SMMU kernel: one stage-2 domain per physical SMMU even for one AddressSpace
		assertEquals(3, at(r, "paging_hwpts", Map.of("kernel", "per-smmu", "k", "3")));
		assertEquals(1, at(r, "paging_hwpts", Map.of("kernel", "shared", "k", "3")));
	}

	@Test
	void refusalsComeBeforeAnyPointRuns() {
		assertEquals("no stage-2 policy 'best' (have: per-instance, shared)",
				assertThrows(IllegalArgumentException.class, () -> sweeper.start(SweepSpec.parse("x", "policy = shared, best"), 1, null)).getMessage());
		assertEquals("page must be 4K, 2M or 1G, not 64K",
				assertThrows(IllegalArgumentException.class, () -> sweeper.start(SweepSpec.parse("x", "page = 64K"), 1, null)).getMessage());
		assertEquals("x line 1: no sweep parameter 'colour' (have: k, devices, vms, ram, page, tlb, kernel, policy, workload, ios, io, buffer, dmas-per-map, batch)",
				assertThrows(IllegalArgumentException.class, () -> SweepSpec.parse("x", "colour = red")).getMessage());
		assertTrue(sweeper.list().isEmpty());
	}
}
