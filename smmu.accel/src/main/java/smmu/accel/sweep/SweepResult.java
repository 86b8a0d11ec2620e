package smmu.accel.sweep;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A finished (or cancelled) sweep.
 *
 * @param spec          what was swept
 * @param points        the points measured, in {@link SweepSpec#points()} order
 * @param parallelism   points run at once
 * @param processors    the machine's processors
 * @param elapsedMillis wall time of the whole sweep
 */
public record SweepResult(SweepSpec spec, List<SweepPoint> points, int parallelism, int processors, long elapsedMillis) {
	public SweepResult {
		points = List.copyOf(points);
	}

	/** One row per point: every parameter, then every metric (empty when the point failed), then its error. */
	public String csv() {
		StringBuilder sb = new StringBuilder();
		List<String> params = List.copyOf(SweepSpec.PARAMETERS.keySet());
		List<String> metrics = List.copyOf(SweepSpec.METRICS.keySet());
		sb.append("point");
		for (String p : params) {
			sb.append(',').append(p);
		}
		for (String m : metrics) {
			sb.append(',').append(m);
		}
		sb.append(",millis,error\n");
		for (SweepPoint p : points) {
			sb.append(p.index());
			for (String k : params) {
				sb.append(',').append(csvCell(p.parameters().getOrDefault(k, "")));
			}
			for (String m : metrics) {
				sb.append(',');
				Double v = p.metrics().get(m);
				if (v != null) {
					sb.append(number(v));
				}
			}
			sb.append(',').append(p.millis()).append(',').append(p.error() == null ? "" : csvCell(p.error())).append('\n');
		}
		return sb.toString();
	}

	/** The sweep as JSON: its name, question, axes, machine, and each point's parameters and metrics. */
	public String json() {
		StringBuilder sb = new StringBuilder("{\n");
		sb.append("  \"name\": ").append(str(spec.name())).append(",\n");
		sb.append("  \"question\": ").append(str(spec.question())).append(",\n");
		sb.append("  \"axes\": {");
		int i = 0;
		for (Map.Entry<String, List<String>> e : spec.axes().entrySet()) {
			sb.append(i++ == 0 ? "" : ", ").append(str(e.getKey())).append(": [");
			for (int j = 0; j < e.getValue().size(); j++) {
				sb.append(j == 0 ? "" : ", ").append(str(e.getValue().get(j)));
			}
			sb.append(']');
		}
		sb.append("},\n");
		sb.append("  \"x\": ").append(str(spec.x())).append(",\n");
		sb.append("  \"series\": [");
		for (int j = 0; j < spec.series().size(); j++) {
			sb.append(j == 0 ? "" : ", ").append(str(spec.series().get(j)));
		}
		sb.append("],\n  \"units\": {");
		i = 0;
		for (Map.Entry<String, String> e : SweepSpec.METRICS.entrySet()) {
			sb.append(i++ == 0 ? "" : ", ").append(str(e.getKey())).append(": ").append(str(e.getValue()));
		}
		sb.append("},\n");
		sb.append("  \"parallelism\": ").append(parallelism).append(",\n");
		sb.append("  \"processors\": ").append(processors).append(",\n");
		sb.append("  \"elapsedMillis\": ").append(elapsedMillis).append(",\n");
		sb.append("  \"points\": [\n");
		for (int p = 0; p < points.size(); p++) {
			SweepPoint pt = points.get(p);
			sb.append("    {\"point\": ").append(pt.index()).append(", \"parameters\": {");
			i = 0;
			for (Map.Entry<String, String> e : pt.parameters().entrySet()) {
				sb.append(i++ == 0 ? "" : ", ").append(str(e.getKey())).append(": ").append(str(e.getValue()));
			}
			sb.append("}, \"metrics\": {");
			i = 0;
			for (Map.Entry<String, Double> e : pt.metrics().entrySet()) {
				sb.append(i++ == 0 ? "" : ", ").append(str(e.getKey())).append(": ").append(Double.isFinite(e.getValue()) ? number(e.getValue()) : "null");
			}
			sb.append("}, \"millis\": ").append(pt.millis()).append(", \"error\": ").append(pt.error() == null ? "null" : str(pt.error())).append('}');
			sb.append(p + 1 < points.size() ? ",\n" : "\n");
		}
		sb.append("  ]\n}\n");
		return sb.toString();
	}

	static String number(double v) {
		if (v == Math.rint(v) && Math.abs(v) < 1e15) {
			return Long.toString((long) v);
		}
		return String.format(Locale.ROOT, "%.6g", v);
	}

	private static String csvCell(String s) {
		return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
	}

	private static String str(String s) {
		StringBuilder sb = new StringBuilder("\"");
		for (char c : s.toCharArray()) {
			switch (c) {
				case '"' -> sb.append("\\\"");
				case '\\' -> sb.append("\\\\");
				case '\n' -> sb.append("\\n");
				case '\r' -> sb.append("\\r");
				case '\t' -> sb.append("\\t");
				default -> {
					if (c < 0x20) {
						sb.append(String.format("\\u%04x", (int) c));
					} else {
						sb.append(c);
					}
				}
			}
		}
		return sb.append('"').toString();
	}
}
