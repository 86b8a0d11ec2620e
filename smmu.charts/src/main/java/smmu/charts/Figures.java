package smmu.charts;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import smmu.accel.sweep.SweepPoint;
import smmu.accel.sweep.SweepResult;
import smmu.accel.sweep.SweepSpec;

/** The figures of this project's data: a sweep as line charts, one panel per charted metric. */
public final class Figures {
	private Figures() {}

	/** A parameter's description up to its first comma, colon or parenthesis ("guest RAM per VM"). */
	static String shortDescription(String param) {
		String d = SweepSpec.PARAMETERS.get(param)[1];
		int cut = d.length();
		for (String c : new String[] { ",", ":", " (" }) {
			int i = d.indexOf(c);
			if (i > 0) {
				cut = Math.min(cut, i);
			}
		}
		return d.substring(0, cut);
	}

	/**
	 * One line chart per metric of the sweep's {@link SweepSpec#metrics()}: the x axis is the sweep's
	 * {@link SweepSpec#x()} parameter (its values in the sweep's order), one line per combination of the
	 * {@link SweepSpec#series()} parameters; failed points are gaps.
	 */
	public static Figure sweep(SweepResult r) {
		SweepSpec spec = r.spec();
		List<String> xs = new ArrayList<>(spec.axes().getOrDefault(spec.x(), List.of(SweepSpec.PARAMETERS.get(spec.x())[0])));
		Map<String, Map<String, SweepPoint>> lines = new LinkedHashMap<>();
		for (SweepPoint p : r.points()) {
			List<String> key = new ArrayList<>();
			for (String s : spec.series()) {
				// words stand for themselves (shared, churn-lazy, 2M); bare numbers get their parameter's name (k=4)
				String v = p.parameters().get(s);
				key.add(spec.series().size() == 1 || !v.matches("[0-9.]+") ? v : s + "=" + v);
			}
			String name = key.isEmpty() ? spec.name() : String.join(", ", key);
			lines.computeIfAbsent(name, k -> new LinkedHashMap<>()).putIfAbsent(p.parameters().get(spec.x()), p);
		}
		List<Panel> panels = new ArrayList<>();
		for (String metric : spec.metrics()) {
			List<Series> series = new ArrayList<>();
			lines.forEach((name, byX) -> {
				List<Double> v = new ArrayList<>();
				for (String x : xs) {
					SweepPoint p = byX.get(x);
					v.add(p == null || !p.ok() ? Double.NaN : p.metric(metric));
				}
				series.add(new Series(name, v));
			});
			String unit = SweepSpec.METRICS.get(metric);
			panels.add(new Lines(metric.replace('_', ' '), spec.x() + ": " + shortDescription(spec.x()), unit, xs, series, !unit.equals("%")));
		}
		long failed = r.points().stream().filter(p -> !p.ok()).count();
		String sub = String.format(Locale.ROOT, "%s%s%d points%s, each on a fresh host; %d at a time on %d processors; %.1f s", spec.question(),
				spec.question().isEmpty() ? "" : ". ", r.points().size(), failed == 0 ? "" : " (" + failed + " failed)", r.parallelism(), r.processors(),
				r.elapsedMillis() / 1000.0);
		return new Figure(spec.name(), sub, spec.series().isEmpty() ? "" : String.join(", ", spec.series()), panels, Math.min(2, panels.size()));
	}
}
