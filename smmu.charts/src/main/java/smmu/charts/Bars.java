package smmu.charts;

import java.util.List;

/**
 * A grouped bar chart: a group per category, a bar per series; categories whose values differ between the
 * series are highlighted (their labels in bold red), the value printed above each bar.
 *
 * @param title      the panel's title
 * @param yLabel     the y axis with its unit
 * @param categories the groups
 * @param series     one bar per group each (a value per category)
 */
public record Bars(String title, String yLabel, List<String> categories, List<Series> series) implements Panel {
	public Bars {
		categories = List.copyOf(categories);
		series = List.copyOf(series);
		for (Series s : series) {
			if (s.values().size() != categories.size()) {
				throw new IllegalArgumentException(s.name() + ": " + s.values().size() + " values for " + categories.size() + " categories");
			}
		}
	}

	/** Whether the series' values differ in category {@code i}. */
	public boolean differs(int i) {
		Double first = null;
		for (Series s : series) {
			double v = s.values().get(i);
			if (first == null) {
				first = v;
			} else if (Double.compare(first, v) != 0) {
				return true;
			}
		}
		return false;
	}
}
