package smmu.gogo.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class KernelRunTest {
	private static Map<String, Integer> vmids(int a, int b, int c) {
		Map<String, Integer> m = new LinkedHashMap<>();
		m.put("smmu0", a);
		m.put("smmu1", b);
		m.put("smmu2", c);
		return m;
	}

	private static Map<String, Long> inv(long a, long b, long c) {
		Map<String, Long> m = new LinkedHashMap<>();
		m.put("smmu0", a);
		m.put("smmu1", b);
		m.put("smmu2", c);
		return m;
	}

	@Test
	void oneRowPerMetricOneColumnPerModeAndOnlyTheSmmusARunUsed() {
		KernelRun shared = new KernelRun("shared", new Costs.Counts(1, 1, 6, 2, 2, 16384), 1, vmids(1, 1, 0), inv(9, 7, 0), 620, 846, 5.8);
		KernelRun perSmmu = new KernelRun("per-smmu", new Costs.Counts(1, 2, 6, 2, 2, 32768), 2, vmids(1, 1, 0), inv(9, 8, 0), 624, 850, Double.NaN);
		Comparison c = KernelRun.comparison("t", List.of(shared, perSmmu));
		assertEquals(List.of("shared", "per-smmu"), c.designs());
		Map<String, List<Double>> rows = new LinkedHashMap<>();
		c.rows().forEach(m -> rows.put(m.name(), m.values()));
		assertEquals(List.of(1.0, 2.0), rows.get("nest-parent HWPTs"));
		assertEquals(List.of(1.0, 1.0), rows.get("IOAS"));
		assertEquals(List.of(16384.0, 32768.0), rows.get("stage-2 page-table bytes"));
		assertEquals(List.of(2.0, 2.0), rows.get("vIOMMUs"));
		assertEquals(List.of(1.0, 1.0), rows.get("VMIDs on smmu1"));
		assertEquals(List.of(7.0, 8.0), rows.get("invalidations on smmu1"));
		assertFalse(rows.containsKey("VMIDs on smmu2"), "an SMMU no run used has no row");
		assertFalse(rows.containsKey("invalidations on smmu2"));
		assertEquals(List.of(846.0, 850.0), rows.get("bridge round trips"));
		assertTrue(Double.isNaN(rows.get("boot to the guest's init").get(1)));
	}

	@Test
	void invalidationsAreCfgiTlbiAndAtcNotSync() {
		assertTrue(KernelRun.invalidation("CFGI_STE"));
		assertTrue(KernelRun.invalidation("TLBI_S12_VMALL"));
		assertTrue(KernelRun.invalidation("ATC_INV"));
		assertFalse(KernelRun.invalidation("CMD_SYNC"));
		assertFalse(KernelRun.invalidation("PREFETCH_CONFIG"));
	}
}
