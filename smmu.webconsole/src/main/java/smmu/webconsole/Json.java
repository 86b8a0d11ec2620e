package smmu.webconsole;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/** Writes maps, collections, strings, numbers, booleans and null as JSON. */
final class Json {
	private Json() {}

	static String write(Object o) {
		StringBuilder sb = new StringBuilder();
		write(sb, o);
		return sb.toString();
	}

	private static void write(StringBuilder sb, Object o) {
		if (o == null) {
			sb.append("null");
		} else if (o instanceof String s) {
			string(sb, s);
		} else if (o instanceof Boolean b) {
			sb.append(b);
		} else if (o instanceof Double d) {
			sb.append(Double.isFinite(d) ? (d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue()) : String.format(Locale.ROOT, "%.6g", d)) : "null");
		} else if (o instanceof Float f) {
			write(sb, f.doubleValue());
		} else if (o instanceof Number n) {
			sb.append(n.longValue());
		} else if (o instanceof Map<?, ?> m) {
			sb.append('{');
			boolean first = true;
			for (Map.Entry<?, ?> e : m.entrySet()) {
				if (!first) {
					sb.append(',');
				}
				first = false;
				string(sb, String.valueOf(e.getKey()));
				sb.append(':');
				write(sb, e.getValue());
			}
			sb.append('}');
		} else if (o instanceof Collection<?> c) {
			sb.append('[');
			boolean first = true;
			for (Object x : c) {
				if (!first) {
					sb.append(',');
				}
				first = false;
				write(sb, x);
			}
			sb.append(']');
		} else {
			string(sb, o.toString());
		}
	}

	private static void string(StringBuilder sb, String s) {
		sb.append('"');
		for (int i = 0; i < s.length(); i++) {
			char c = s.charAt(i);
			switch (c) {
				case '"' -> sb.append("\\\"");
				case '\\' -> sb.append("\\\\");
				case '\n' -> sb.append("\\n");
				case '\r' -> sb.append("\\r");
				case '\t' -> sb.append("\\t");
				case '<' -> sb.append("\\u003c");
				default -> {
					if (c < 0x20 || c == 0x2028 || c == 0x2029) {
						sb.append(String.format("\\u%04x", (int) c));
					} else {
						sb.append(c);
					}
				}
			}
		}
		sb.append('"');
	}
}
