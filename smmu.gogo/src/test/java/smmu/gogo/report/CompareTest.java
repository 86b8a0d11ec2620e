package smmu.gogo.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import smmu.gogo.report.CostReport.VmReport;

class CompareTest {
	static VmReport report(int ioas, int paging, long bytes, double guest, double host, List<CostReport.VmidRow> vmids) {
		return new VmReport("v", "running", "p", "shared", ioas, paging, 4, 2, 4, bytes, guest, host, List.of(), vmids, List.of(), List.of(), 1, 514,
				1.0);
	}

	@Test
	void measuresSumObjectsAndAverageProbes() {
		Costs.StatsRow stats = new Costs.StatsRow("total", 10, 10, 4, 0.6, 10, 2, 0.8, 2, 2, Map.of("L0", 3L), Map.of("L1", 4L, "L2", 4L), 1);
		ReportCommands.Measure m = Compare.measure(List.of(report(1, 1, 12288, 2, 8, List.of(new CostReport.VmidRow("smmu0", 1, "2"))),
				report(2, 2, 24576, 4, Double.NaN, List.of(new CostReport.VmidRow("smmu0", 2, "1, 2"), new CostReport.VmidRow("smmu1", 1, "1")))), stats);
		assertEquals(new Costs.Counts(3, 3, 8, 4, 8, 36864), m.counts());
		assertEquals(4, m.vmids());
		assertEquals(3.0, m.guestUnmap());
		assertEquals(8.0, m.hostUnmap());
		Comparison c = Compare.comparison("t", List.of("shared", "per-instance"), List.of(m, Compare.measure(List.of(), stats)));
		assertEquals(List.of("shared", "per-instance"), c.designs());
		Comparison.Metric bytes = c.rows().get(0);
		assertEquals("stage-2 page-table bytes", bytes.name());
		assertEquals(List.of(36864.0, 0.0), bytes.values());
		Comparison.Metric hit = c.rows().stream().filter(r -> r.name().equals("TLB hit rate")).findFirst().orElseThrow();
		assertEquals(List.of(60.0, 60.0), hit.values());
		assertTrue(Double.isNaN(c.rows().stream().filter(r -> r.name().equals("per guest unmap")).findFirst().orElseThrow().values().get(1)));
		assertEquals(List.of(8.0, 8.0), c.rows().stream().filter(r -> r.name().equals("S2 table reads")).findFirst().orElseThrow().values());
	}
}
