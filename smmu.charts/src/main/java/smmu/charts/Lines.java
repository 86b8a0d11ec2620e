package smmu.charts;

import java.util.List;

/**
 * A line chart: the x values in order (labels, e.g. "1G", "16G"), one line per series.
 *
 * @param title   the panel's title
 * @param xLabel  the x axis (the parameter swept)
 * @param yLabel  the y axis with its unit, e.g. "stage-2 tables (bytes)"
 * @param x       the x values
 * @param series  one line each, a value per x value
 * @param logY    a logarithmic y axis (when the values span orders of magnitude)
 */
public record Lines(String title, String xLabel, String yLabel, List<String> x, List<Series> series, boolean logY) implements Panel {
	public Lines {
		x = List.copyOf(x);
		series = List.copyOf(series);
		for (Series s : series) {
			if (s.values().size() != x.size()) {
				throw new IllegalArgumentException(s.name() + ": " + s.values().size() + " values for " + x.size() + " x values");
			}
		}
	}
}
