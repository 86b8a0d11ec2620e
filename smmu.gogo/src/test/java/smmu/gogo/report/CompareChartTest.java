package smmu.gogo.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.charts.Bars;
import smmu.charts.Figure;

class CompareChartTest {
	static final Comparison C = new Comparison("shared-vs-per-instance (policy / kernel)", List.of("shared / shared", "per-instance / shared"),
			List.of(new Comparison.Metric("stage-2 page-table bytes", "bytes", List.of(12288.0, 24576.0)),
					new Comparison.Metric("IOAS", "objects", List.of(1.0, 2.0)), new Comparison.Metric("vIOMMUs", "objects", List.of(2.0, 2.0)),
					new Comparison.Metric("per guest unmap", "commands", List.of(2.0, 2.0)), new Comparison.Metric("TLB hit rate", "%", List.of(40.0, 40.0))));

	@Test
	void theLegendNamesThePartsOfTheDesigns() {
		assertEquals("policy", CompareChart.legend(List.of("shared", "per-instance")));
		assertEquals("policy / kernel", CompareChart.legend(List.of("shared / per-smmu")));
		assertEquals("policy / MSI design", CompareChart.legend(List.of("shared / translate")));
		assertEquals("policy / kernel / MSI design", CompareChart.legend(List.of("shared / shared / msi-gpa")));
	}

	@Test
	void onePanelPerUnitWithTheDifferencesNamed() throws Exception {
		Figure f = CompareChart.figure(C);
		assertEquals(4, f.panels().size());
		Bars objects = (Bars) f.panels().get(1);
		assertEquals("iommufd objects", objects.title());
		assertEquals(List.of("IOAS", "vIOMMUs"), objects.categories());
		assertEquals("policy / kernel", f.legendTitle());
		assertEquals("differs between the designs (red labels): stage-2 page-table bytes, IOAS", f.subtitle());
		String svg = CompareChart.svg(C);
		assertTrue(svg.contains("24,576") && svg.contains("per-instance / shared") && svg.contains("TLB hit rate"), "svg");
		Path dir = Path.of("target", "charts");
		Files.createDirectories(dir);
		Files.writeString(dir.resolve("compare.svg"), svg);
		Files.write(dir.resolve("compare.png"), CompareChart.png(C));
	}

	@Test
	void aMetricMustHaveOneValuePerDesign() {
		assertThrows(IllegalArgumentException.class,
				() -> new Comparison("x", List.of("a", "b"), List.of(new Comparison.Metric("m", "", List.of(1.0)))));
	}
}
