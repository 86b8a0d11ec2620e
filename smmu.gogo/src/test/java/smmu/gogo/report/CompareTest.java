package smmu.gogo.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import smmu.gogo.report.CostReport.VmReport;

class CompareTest {
	static VmReport report(int ioas, int paging, long bytes, double guest, double host, List<CostReport.VmidRow> vmids) {
		return new VmReport("v", "running", "p", "shared", ioas, paging, 4, 2, 4, bytes, guest, host, List.of(), vmids, List.of(), List.of(), List.of(), List.of(), "msi-gpa",
				1, 514, 1.0, Double.NaN, Double.NaN);
	}

	static VmReport translate(double walksPerRoute, double readsPerRoute) {
		return new VmReport("v", "running", "p", "shared", 1, 1, 4, 2, 4, 12288, 2, 8, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), "translate", 1, 514,
				1.0, walksPerRoute, readsPerRoute);
	}

	@Test
	void msiRouteWalksAverageOverTheVmsThatSetRoutesUp() {
		Costs.StatsRow stats = new Costs.StatsRow("total", 10, 10, 4, 0.6, 10, 2, 0.8, 2, 2, Map.of("L0", 3L), Map.of("L1", 4L, "L2", 4L), 1);
		ReportCommands.Measure direct = Compare.measure(List.of(report(1, 1, 12288, 2, 8, List.of())), stats);
		ReportCommands.Measure walked = Compare.measure(List.of(translate(1, 6), translate(1, 8), report(1, 1, 12288, 2, 8, List.of())), stats);
		assertTrue(Double.isNaN(direct.vmmWalksPerMsiRoute()));
		assertEquals(1.0, walked.vmmWalksPerMsiRoute());
		assertEquals(7.0, walked.vmmReadsPerMsiRoute());
		assertEquals(3, walked.msiStage2Pages());
		Comparison c = Compare.comparison("t", List.of("msi-gpa", "translate"), List.of(direct, walked));
		Comparison.Metric reads = c.rows().stream().filter(r -> r.name().equals("VMM reads per MSI route")).findFirst().orElseThrow();
		assertTrue(Double.isNaN(reads.values().get(0)));
		assertEquals(7.0, reads.values().get(1));
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

	@Test
	void theTranslateRunSwitchesEachVmTheScenarioCreatesRightAfterItsCreation() {
		List<String> scenario = List.of("vm:create a -m 128M", "vm:boot a", "  vm:create b -m 128M", "dma:msi a dev0 1", "report:vm a");
		assertEquals(scenario, ReportCommands.withMsiDesign(scenario, smmu.accel.MsiDesign.DIRECT_GPA));
		assertEquals(List.of("vm:create a -m 128M", "vm:msidesign a translate", "vm:boot a", "  vm:create b -m 128M", "vm:msidesign b translate",
				"dma:msi a dev0 1", "report:vm a"), ReportCommands.withMsiDesign(scenario, smmu.accel.MsiDesign.TRANSLATE_STAGE1));
	}
}
