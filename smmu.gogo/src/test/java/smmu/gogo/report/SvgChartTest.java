package smmu.gogo.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class SvgChartTest {

	@Test
	void oneBarPerDesignPerMetricScaledToTheMetricsLargestValue() throws Exception {
		Comparison c = new Comparison("shared vs per-instance <2 vSMMUs>", List.of("shared", "per-instance"),
				List.of(new Comparison.Metric("stage-2 bytes", "bytes", List.of(12288.0, 24576.0)),
						new Comparison.Metric("VMIDs", "", List.of(2.0, 2.0))));
		Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
				.parse(new ByteArrayInputStream(SvgChart.render(c).getBytes(StandardCharsets.UTF_8)));
		NodeList rects = doc.getElementsByTagName("rect");
		// background + 2 legend swatches + 2 metrics x 2 bars
		assertEquals(1 + 2 + 4, rects.getLength());
		Element sharedBytes = (Element) rects.item(3), perInstanceBytes = (Element) rects.item(4);
		assertEquals(60, Integer.parseInt(sharedBytes.getAttribute("height")));
		assertEquals(120, Integer.parseInt(perInstanceBytes.getAttribute("height")));
		Element vmidsA = (Element) rects.item(5), vmidsB = (Element) rects.item(6);
		assertEquals(vmidsA.getAttribute("height"), vmidsB.getAttribute("height"));
		assertTrue(doc.getDocumentElement().getTextContent().contains("shared vs per-instance <2 vSMMUs>"));
		assertTrue(doc.getDocumentElement().getTextContent().contains("24,576"));
	}

	@Test
	void aMetricMustHaveOneValuePerDesign() {
		assertThrows(IllegalArgumentException.class,
				() -> new Comparison("x", List.of("a", "b"), List.of(new Comparison.Metric("m", "", List.of(1.0)))));
	}
}
