package smmu.gogo.report;

import java.util.List;

/**
 * Measurements of one scenario under several designs, side by side: one row per metric, one column
 * per design (e.g. stage-2 policy x kernel).
 *
 * @param title what was compared
 * @param designs column names
 * @param rows one metric each
 */
public record Comparison(String title, List<String> designs, List<Metric> rows) {

	/**
	 * @param name metric name
	 * @param unit unit (bytes, commands, ...)
	 * @param values one per design, in {@link Comparison#designs()} order
	 */
	public record Metric(String name, String unit, List<Double> values) {}

	public Comparison {
		designs = List.copyOf(designs);
		rows = List.copyOf(rows);
		for (Metric m : rows) {
			if (m.values().size() != designs.size()) {
				throw new IllegalArgumentException(m.name() + ": " + m.values().size() + " values for " + designs.size() + " designs");
			}
		}
	}
}
