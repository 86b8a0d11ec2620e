package smmu.gogo.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import smmu.charts.Bars;
import smmu.charts.Charts;
import smmu.charts.Figure;
import smmu.charts.Panel;
import smmu.charts.Series;

/**
 * A {@link Comparison} as grouped bar charts (smmu.charts): one panel per unit (bytes, objects, commands,
 * lookups, ...), its metrics as the groups, one bar per design; metrics where the designs differ have
 * their labels highlighted, and a subtitle names them.
 */
public final class CompareChart {
	static final int PANEL_W = 460, PANEL_H = 330;

	private CompareChart() {}

	public static Figure figure(Comparison c) {
		Map<String, List<Comparison.Metric>> byUnit = new LinkedHashMap<>();
		for (Comparison.Metric m : c.rows()) {
			byUnit.computeIfAbsent(m.unit(), u -> new ArrayList<>()).add(m);
		}
		List<Panel> panels = new ArrayList<>();
		List<String> differ = new ArrayList<>();
		byUnit.forEach((unit, metrics) -> {
			List<String> categories = new ArrayList<>();
			for (Comparison.Metric m : metrics) {
				categories.add(m.name());
			}
			List<Series> series = new ArrayList<>();
			for (int d = 0; d < c.designs().size(); d++) {
				List<Double> v = new ArrayList<>();
				for (Comparison.Metric m : metrics) {
					v.add(m.values().get(d));
				}
				series.add(new Series(c.designs().get(d), v));
			}
			Bars b = new Bars(title(unit, metrics), unit, categories, series);
			for (int i = 0; i < categories.size(); i++) {
				if (b.differs(i)) {
					differ.add(categories.get(i));
				}
			}
			panels.add(b);
		});
		String sub = c.designs().size() < 2 ? "one design only" : differ.isEmpty() ? "the designs measure the same on every metric"
				: "differs between the designs (red labels): " + String.join(", ", differ);
		String legend = legend(c.designs());
		return new Figure(c.title(), sub, legend, panels, 2);
	}

	/** What the parts of a design's name are: a policy, then a kernel (--kernels), then an MSI design (--msi). */
	static String legend(List<String> designs) {
		String first = designs.isEmpty() ? "" : designs.get(0);
		String[] parts = first.split(" / ");
		boolean msi = parts.length > 1 && smmu.accel.MsiDesign.ofShellName(parts[parts.length - 1]) != null;
		return switch (parts.length) {
			case 1 -> "policy";
			case 2 -> msi ? "policy / MSI design" : "policy / kernel";
			default -> "policy / kernel / MSI design";
		};
	}

	private static String title(String unit, List<Comparison.Metric> metrics) {
		return metrics.size() == 1 ? metrics.get(0).name() : switch (unit) {
			case "objects" -> "iommufd objects";
			case "commands" -> "invalidation commands";
			case "reads" -> "descriptor reads";
			default -> unit;
		};
	}

	public static String svg(Comparison c) {
		return Charts.svg(figure(c), PANEL_W, PANEL_H);
	}

	public static byte[] png(Comparison c) {
		return Charts.png(figure(c), PANEL_W, PANEL_H);
	}
}
