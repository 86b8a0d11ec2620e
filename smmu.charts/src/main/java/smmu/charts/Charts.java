package smmu.charts;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.text.DecimalFormat;
import java.text.NumberFormat;
import java.util.List;

import javax.imageio.ImageIO;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnitSource;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.svg.SVGGraphics2D;

/**
 * Renders {@link Figure}s with JFreeChart: SVG text (JFreeSVG) or PNG bytes (Java2D, headless). Each panel
 * is a JFreeChart category plot drawn into its cell of the grid; the figure's title and the shared legend
 * are drawn once.
 */
public final class Charts {
	/** Colour-blind-safe (Tableau 10). */
	static final Color[] COLOURS = { new Color(0x4e79a7), new Color(0xf28e2b), new Color(0x59a14f), new Color(0xe15759), new Color(0x76b7b2),
			new Color(0xedc948), new Color(0xb07aa1), new Color(0xff9da7), new Color(0x9c755f), new Color(0xbab0ac) };
	static final Color HIGHLIGHT = new Color(0xc0392b);
	private static final String FONT = "DejaVu Sans";

	static {
		// charts are drawn off screen; no display is needed or wanted
		if (System.getProperty("java.awt.headless") == null) {
			System.setProperty("java.awt.headless", "true");
		}
		// rotated labels as text (not glyph outlines): an SVG reader can find and select them
		org.jfree.chart.text.TextUtils.setUseDrawRotatedStringWorkaround(false);
	}

	private Charts() {}

	/** The figure as a standalone SVG document. */
	public static String svg(Figure f, int panelWidth, int panelHeight) {
		int[] size = size(f, panelWidth, panelHeight);
		SVGGraphics2D g = new SVGGraphics2D(size[0], size[1]);
		draw(f, g, panelWidth, panelHeight, size[0], size[1]);
		return g.getSVGElement() + "\n";
	}

	/** The figure as PNG bytes. */
	public static byte[] png(Figure f, int panelWidth, int panelHeight) {
		int[] size = size(f, panelWidth, panelHeight);
		BufferedImage img = new BufferedImage(size[0], size[1], BufferedImage.TYPE_INT_RGB);
		Graphics2D g = img.createGraphics();
		try {
			g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
			g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
			draw(f, g, panelWidth, panelHeight, size[0], size[1]);
		} finally {
			g.dispose();
		}
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try {
			ImageIO.write(img, "png", out);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		return out.toByteArray();
	}

	private static int[] size(Figure f, int w, int h) {
		int cols = Math.min(f.columns(), f.panels().size());
		int rows = (f.panels().size() + cols - 1) / cols;
		int width = cols * w + 20;
		return new int[] { width, header(f, width) + rows * h + 10 };
	}

	/** The header's height: title, subtitle, and the legend's rows (wrapped at the figure's width). */
	private static int header(Figure f, int width) {
		return 44 + 16 * legendRows(f, width).size();
	}

	private static List<Series> legendSeries(Figure f) {
		return f.panels().get(0) instanceof Lines l ? l.series() : ((Bars) f.panels().get(0)).series();
	}

	/** The legend entries' indexes per row; widths estimated at 7 px per character of 11 px text. */
	private static List<List<Integer>> legendRows(Figure f, int width) {
		List<List<Integer>> rows = new java.util.ArrayList<>();
		List<Integer> row = new java.util.ArrayList<>();
		int x = 12 + (f.legendTitle().isEmpty() ? 0 : 7 * (f.legendTitle().length() + 1) + 10);
		int start = x;
		List<Series> series = legendSeries(f);
		for (int i = 0; i < series.size(); i++) {
			int sw = 14 + 7 * series.get(i).name().length() + 16;
			if (x + sw > width - 10 && !row.isEmpty()) {
				rows.add(row);
				row = new java.util.ArrayList<>();
				x = start;
			}
			row.add(i);
			x += sw;
		}
		rows.add(row);
		return rows;
	}

	private static void draw(Figure f, Graphics2D g, int w, int h, int width, int height) {
		g.setColor(Color.WHITE);
		g.fillRect(0, 0, width, height);
		// the figure's title, subtitle and one legend for every panel
		drawHeader(g, f, width);
		int top = header(f, width);
		int cols = Math.min(f.columns(), f.panels().size());
		for (int i = 0; i < f.panels().size(); i++) {
			Panel p = f.panels().get(i);
			JFreeChart c = p instanceof Lines l ? lines(l) : bars((Bars) p);
			c.setBackgroundPaint(Color.WHITE);
			c.draw(g, new Rectangle2D.Double(10 + (i % cols) * w, top + (i / cols) * h, w, h));
		}
	}

	private static void drawHeader(Graphics2D g, Figure f, int width) {
		List<Series> series = legendSeries(f);
		g.setColor(Color.BLACK);
		g.setFont(new Font(FONT, Font.BOLD, 16));
		g.drawString(f.title(), 12, 22);
		g.setFont(new Font(FONT, Font.PLAIN, 11));
		g.setColor(new Color(0x444444));
		if (!f.subtitle().isEmpty()) {
			g.drawString(f.subtitle(), 12, 38);
		}
		// legend: "LEGEND TITLE:  [■] a  [■] b ...", wrapped at the figure's width
		int y = 56;
		g.setFont(new Font(FONT, Font.BOLD, 11));
		g.setColor(Color.BLACK);
		int start = 12;
		if (!f.legendTitle().isEmpty()) {
			String t = f.legendTitle() + ":";
			g.drawString(t, 12, y);
			start = 12 + 7 * (f.legendTitle().length() + 1) + 10;
		}
		g.setFont(new Font(FONT, Font.PLAIN, 11));
		for (List<Integer> row : legendRows(f, width)) {
			int x = start;
			for (int i : row) {
				String name = series.get(i).name();
				g.setColor(COLOURS[i % COLOURS.length]);
				g.fillRect(x, y - 9, 10, 10);
				g.setColor(Color.BLACK);
				g.drawString(name, x + 14, y);
				x += 14 + 7 * name.length() + 16;
			}
			y += 16;
		}
	}

	private static JFreeChart lines(Lines l) {
		DefaultCategoryDataset data = new DefaultCategoryDataset();
		for (Series s : l.series()) {
			for (int i = 0; i < l.x().size(); i++) {
				double v = s.values().get(i);
				data.addValue(Double.isNaN(v) ? null : v, s.name(), l.x().get(i));
			}
		}
		CategoryAxis x = categoryAxis(l.xLabel(), l.x());
		LineAndShapeRenderer r = new LineAndShapeRenderer(true, true);
		for (int i = 0; i < l.series().size(); i++) {
			r.setSeriesPaint(i, COLOURS[i % COLOURS.length]);
			r.setSeriesStroke(i, new BasicStroke(2f));
		}
		CategoryPlot plot = new CategoryPlot(data, x, valueAxis(l.yLabel(), l.series(), l.logY()), r);
		JFreeChart c = chart(l.title(), plot);
		// lines drawn on top of each other are named, so that no series seems missing
		String same = coinciding(l.series());
		if (!same.isEmpty()) {
			org.jfree.chart.title.TextTitle t = new org.jfree.chart.title.TextTitle("same values: " + same, new Font(FONT, Font.PLAIN, 9));
			t.setPaint(new Color(0x555555));
			c.addSubtitle(t);
		}
		return c;
	}

	/** The groups of series with equal values, "a = b; c = d", or "". */
	static String coinciding(List<Series> series) {
		List<String> groups = new java.util.ArrayList<>();
		boolean[] used = new boolean[series.size()];
		for (int i = 0; i < series.size(); i++) {
			if (used[i]) {
				continue;
			}
			List<String> g = new java.util.ArrayList<>(List.of(series.get(i).name()));
			for (int j = i + 1; j < series.size(); j++) {
				if (!used[j] && series.get(j).values().equals(series.get(i).values())) {
					used[j] = true;
					g.add(series.get(j).name());
				}
			}
			if (g.size() > 1) {
				groups.add(String.join(" = ", g));
			}
		}
		return String.join("; ", groups);
	}

	private static JFreeChart bars(Bars b) {
		DefaultCategoryDataset data = new DefaultCategoryDataset();
		for (Series s : b.series()) {
			for (int i = 0; i < b.categories().size(); i++) {
				double v = s.values().get(i);
				data.addValue(Double.isNaN(v) ? null : v, s.name(), b.categories().get(i));
			}
		}
		CategoryAxis x = categoryAxis("", b.categories());
		for (int i = 0; i < b.categories().size(); i++) {
			if (b.differs(i)) {
				x.setTickLabelPaint(b.categories().get(i), HIGHLIGHT);
				x.setTickLabelFont(b.categories().get(i), new Font(FONT, Font.BOLD, 11));
			}
		}
		BarRenderer r = new BarRenderer();
		r.setBarPainter(new StandardBarPainter());
		r.setShadowVisible(false);
		r.setItemMargin(0.05);
		r.setMaximumBarWidth(0.12);
		for (int i = 0; i < b.series().size(); i++) {
			r.setSeriesPaint(i, COLOURS[i % COLOURS.length]);
		}
		// values above the bars, written upwards so that neighbouring labels never overlap
		r.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", numberFormat()));
		r.setDefaultItemLabelsVisible(true);
		r.setDefaultItemLabelFont(new Font(FONT, Font.PLAIN, 9));
		r.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12, TextAnchor.CENTER_LEFT, TextAnchor.CENTER_LEFT, -Math.PI / 2));
		NumberAxis y = (NumberAxis) valueAxis(b.yLabel(), b.series(), false);
		y.setUpperMargin(0.25);
		CategoryPlot plot = new CategoryPlot(data, x, y, r);
		return chart(b.title(), plot);
	}

	private static CategoryAxis categoryAxis(String label, List<String> categories) {
		CategoryAxis x = new CategoryAxis(label);
		x.setLabelFont(new Font(FONT, Font.PLAIN, 11));
		x.setTickLabelFont(new Font(FONT, Font.PLAIN, 10));
		int longest = 0;
		for (String c : categories) {
			longest = Math.max(longest, c.length());
		}
		// long or many labels go slanted rather than on top of each other
		if (longest * categories.size() > 40) {
			x.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
		}
		x.setMaximumCategoryLabelLines(2);
		x.setCategoryMargin(0.2);
		if (categories.size() == 1) {
			// one group: keep its bars together in the middle
			x.setLowerMargin(0.25);
			x.setUpperMargin(0.25);
		}
		return x;
	}

	private static org.jfree.chart.axis.ValueAxis valueAxis(String label, List<Series> series, boolean log) {
		double min = Double.POSITIVE_INFINITY;
		for (Series s : series) {
			for (double v : s.values()) {
				if (v > 0) {
					min = Math.min(min, v);
				}
			}
		}
		double max = 0;
		for (Series s : series) {
			for (double v : s.values()) {
				if (v > max) {
					max = v;
				}
			}
		}
		// a log axis only where the values span more than two decades
		if (log && min < Double.POSITIVE_INFINITY && max / min > 100) {
			LogAxis y = new LogAxis(label);
			y.setBase(10);
			y.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1.0), false, false);
			y.setAutoTickUnitSelection(false);
			y.setNumberFormatOverride(numberFormat());
			y.setSmallestValue(min / 2);
			y.setMinorTickMarksVisible(true);
			y.setLabelFont(new Font(FONT, Font.PLAIN, 11));
			y.setTickLabelFont(new Font(FONT, Font.PLAIN, 10));
			return y;
		}
		NumberAxis y = new NumberAxis(label);
		boolean integers = true;
		for (Series s : series) {
			for (double v : s.values()) {
				integers &= Double.isNaN(v) || v == Math.rint(v);
			}
		}
		// counts get whole-number ticks
		y.setStandardTickUnits(new NumberTickUnitSource(integers, numberFormat()));
		y.setAutoRangeIncludesZero(true);
		y.setLabelFont(new Font(FONT, Font.PLAIN, 11));
		y.setTickLabelFont(new Font(FONT, Font.PLAIN, 10));
		return y;
	}

	private static JFreeChart chart(String title, CategoryPlot plot) {
		plot.setOrientation(PlotOrientation.VERTICAL);
		plot.setBackgroundPaint(Color.WHITE);
		plot.setRangeGridlinePaint(new Color(0xdddddd));
		plot.setRangeGridlinesVisible(true);
		plot.setOutlinePaint(new Color(0xbbbbbb));
		plot.setInsets(new RectangleInsets(4, 4, 4, 8));
		JFreeChart c = new JFreeChart(title, new Font(FONT, Font.BOLD, 12), plot, false);
		c.setPadding(new RectangleInsets(6, 6, 6, 6));
		return c;
	}

	private static NumberFormat numberFormat() {
		DecimalFormat f = new DecimalFormat("#,##0.##");
		return f;
	}

}
