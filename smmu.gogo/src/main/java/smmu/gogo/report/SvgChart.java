package smmu.gogo.report;

import java.util.List;
import java.util.Locale;

/**
 * Renders a {@link Comparison} as a standalone SVG a person can open in a browser: one panel per metric,
 * a bar per design scaled to that metric's largest value, with the value printed on each bar.
 */
public final class SvgChart {
	private static final String[] COLOURS = { "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948" };
	private static final int PANEL_W = 260, PANEL_H = 190, BAR_AREA = 120, COLUMNS = 3;

	private SvgChart() {}

	public static String render(Comparison c) {
		int panels = c.rows().size();
		int rows = (panels + COLUMNS - 1) / COLUMNS;
		int width = COLUMNS * PANEL_W + 20, height = 70 + rows * PANEL_H + 20;
		StringBuilder sb = new StringBuilder();
		sb.append(String.format(Locale.ROOT,
				"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">%n", width,
				height, width, height));
		sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
		sb.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">%s</text>%n", esc(c.title())));
		for (int d = 0; d < c.designs().size(); d++) {
			int x = 10 + d * 170;
			sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"36\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, colour(d)));
			sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"47\" font-size=\"12\">%s</text>%n", x + 16, esc(c.designs().get(d))));
		}
		for (int p = 0; p < panels; p++) {
			Comparison.Metric m = c.rows().get(p);
			int px = 10 + (p % COLUMNS) * PANEL_W, py = 70 + (p / COLUMNS) * PANEL_H;
			sb.append(String.format(Locale.ROOT, "<g transform=\"translate(%d,%d)\">%n", px, py));
			sb.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"14\" font-size=\"12\" font-weight=\"bold\">%s</text>%n",
					esc(m.name() + (m.unit().isEmpty() ? "" : " (" + m.unit() + ")"))));
			double max = 0;
			for (double v : m.values()) {
				max = Math.max(max, v);
			}
			List<Double> values = m.values();
			int n = values.size(), barW = Math.max(8, (PANEL_W - 40) / Math.max(1, n) - 10);
			for (int d = 0; d < n; d++) {
				double v = values.get(d);
				int h = max <= 0 ? 0 : (int) Math.round(BAR_AREA * v / max);
				int x = 10 + d * (barW + 10), y = 24 + BAR_AREA - h;
				sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>", x, y, barW, h, colour(d)));
				sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>%n", x + barW / 2,
						Math.min(y - 3, 24 + BAR_AREA - 3), esc(number(v))));
			}
			sb.append(String.format(Locale.ROOT, "<line x1=\"5\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n</g>%n", 24 + BAR_AREA,
					PANEL_W - 20, 24 + BAR_AREA));
		}
		return sb.append("</svg>\n").toString();
	}

	static String number(double v) {
		if (v == Math.rint(v) && Math.abs(v) < 1e15) {
			return String.format(Locale.ROOT, "%,d", (long) v);
		}
		return String.format(Locale.ROOT, "%.3g", v);
	}

	private static String colour(int d) {
		return COLOURS[d % COLOURS.length];
	}

	private static String esc(String s) {
		return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
	}
}
