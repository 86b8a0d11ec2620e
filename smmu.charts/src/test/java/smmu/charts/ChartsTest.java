package smmu.charts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

/** Figures render to SVG and PNG with titles, axes, units, legend and highlighted differences. */
class ChartsTest {
	static final Figure COMPARE = new Figure("shared-vs-per-instance", "kernel shared, 2 physical SMMUs", "policy / kernel", List.of(
			new Bars("iommufd objects", "objects", List.of("IOAS", "paging HWPTs", "nested HWPTs", "vIOMMUs", "VMIDs"),
					List.of(new Series("shared / shared", List.of(1.0, 1.0, 8.0, 2.0, 2.0)), new Series("per-instance / shared", List.of(2.0, 2.0, 8.0, 2.0, 2.0)))),
			new Bars("stage-2 tables", "bytes", List.of("stage-2 page-table bytes"),
					List.of(new Series("shared / shared", List.of(12288.0)), new Series("per-instance / shared", List.of(24576.0))))),
			2);
	static final Figure SWEEP = new Figure("stage2-vs-k-ram", "1 VM, 2M pages", "policy", List.of(
			new Lines("stage-2 bytes", "K (vSMMUs per VM)", "bytes", List.of("1", "2", "4", "8"),
					List.of(new Series("shared", List.of(12288.0, 12288.0, 12288.0, 12288.0)), new Series("per-instance", List.of(12288.0, 24576.0, 49152.0, 98304.0))),
					true)),
			1);

	@Test
	void barsAsSvg() throws Exception {
		String svg = Charts.svg(COMPARE, 480, 320);
		write("compare.svg", svg.getBytes());
		assertTrue(svg.startsWith("<?xml") || svg.startsWith("<svg"), svg.substring(0, 40));
		for (String s : List.of("shared-vs-per-instance", "policy / kernel:", "per-instance / shared", "iommufd objects", "objects", "bytes", "24,576", "12,288")) {
			assertTrue(svg.contains(s), s);
		}
		// the categories that differ between the designs are drawn in the highlight colour
		assertTrue(svg.contains("rgb(192,57,43)") || svg.toLowerCase().contains("#c0392b"), "highlight");
		assertTrue(COMPARE.panels().get(0) instanceof Bars b && b.differs(0) && !b.differs(2));
	}

	@Test
	void linesAsPng() throws Exception {
		byte[] png = Charts.png(SWEEP, 640, 360);
		write("sweep.png", png);
		assertArrayEquals(new byte[] { (byte) 0x89, 'P', 'N', 'G' }, Arrays.copyOf(png, 4));
		BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
		assertEquals(660, img.getWidth());
		// white background, something drawn in the first series' colour
		assertEquals(0xffffff, img.getRGB(2, 2) & 0xffffff);
		boolean blue = false;
		for (int x = 0; x < img.getWidth() && !blue; x++) {
			for (int y = 0; y < img.getHeight() && !blue; y++) {
				blue = (img.getRGB(x, y) & 0xffffff) == 0x4e79a7;
			}
		}
		assertTrue(blue);
		write("compare.png", Charts.png(COMPARE, 480, 320));
	}

	@Test
	void coincidingLinesAreNamed() {
		List<Series> s = List.of(new Series("k=1", List.of(1.0, 0.5)), new Series("k=2", List.of(1.0, 0.5)), new Series("lazy", List.of(0.03, 0.01)),
				new Series("k=4", List.of(1.0, 0.5)));
		assertEquals("k=1 = k=2 = k=4", Charts.coinciding(s));
		assertEquals("", Charts.coinciding(List.of(new Series("a", List.of(1.0)), new Series("b", List.of(2.0)))));
		String svg = Charts.svg(new Figure("t", "", "k", List.of(new Lines("inv", "x", "commands", List.of("1", "2"), s, true)), 1), 400, 300);
		assertTrue(svg.contains("same values: k=1 = k=2 = k=4"), "subtitle");
	}

	@Test
	void refusals() {
		assertThrows(IllegalArgumentException.class, () -> new Lines("t", "x", "y", List.of("1", "2"), List.of(new Series("s", List.of(1.0))), false));
		assertThrows(IllegalArgumentException.class, () -> new Figure("t", "", "", List.of(), 1));
		assertFalse(new Bars("t", "y", List.of("a"), List.of(new Series("s", List.of(1.0)), new Series("u", List.of(1.0)))).differs(0));
	}

	static void write(String name, byte[] data) throws Exception {
		Path dir = Path.of("target", "charts");
		Files.createDirectories(dir);
		Files.write(dir.resolve(name), data);
	}
}
