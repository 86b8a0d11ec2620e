package smmu.gogo.format;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import smmu.gogo.report.Comparison;
import smmu.hw.Event;
import smmu.hw.TranslationResult;

/**
 * Renders the data commands return: any record as "name value" lines, a collection of records as an
 * aligned table, with nested record lists as sub-tables. Components marked {@link Hex} print as 0x-hex.
 * Events and translation results have a one-line form. This is the shell's only formatter.
 */
public final class Formatter {
	private final Map<Class<?>, Function<Object, String>> lines = Map.of(
			Event.class, o -> event((Event) o),
			TranslationResult.Translated.class, o -> hex(((TranslationResult.Translated) o).pa()),
			TranslationResult.Aborted.class, o -> aborted((TranslationResult.Aborted) o));

	/** Full rendering, or null if {@code o} is not ours to render. */
	public String inspect(Object o) {
		if (o instanceof Comparison c) {
			return comparison(c);
		}
		if (o instanceof Collection<?> c && c.isEmpty()) {
			// a command with nothing to show says so (Gogo would print an empty line)
			return "none";
		}
		if (o instanceof Collection<?> c && c.stream().allMatch(e -> e instanceof Record)) {
			return table(new ArrayList<>(c));
		}
		if (o instanceof Record r) {
			Function<Object, String> line = lineFormat(r);
			return line != null ? line.apply(r) : block(r);
		}
		return null;
	}

	/** One-line rendering, or null. */
	public String line(Object o) {
		if (o instanceof Record r) {
			Function<Object, String> line = lineFormat(r);
			if (line != null) {
				return line.apply(r);
			}
			StringBuilder sb = new StringBuilder();
			for (RecordComponent rc : r.getClass().getRecordComponents()) {
				if (sb.length() > 0) {
					sb.append(' ');
				}
				sb.append(rc.getName()).append('=').append(cell(rc, value(rc, r)));
			}
			return sb.toString();
		}
		return null;
	}

	private Function<Object, String> lineFormat(Object o) {
		return lines.get(o.getClass());
	}

	private String block(Record r) {
		RecordComponent[] rcs = r.getClass().getRecordComponents();
		int width = 0;
		for (RecordComponent rc : rcs) {
			if (!isTable(value(rc, r))) {
				width = Math.max(width, rc.getName().length());
			}
		}
		StringBuilder sb = new StringBuilder();
		List<RecordComponent> tables = new ArrayList<>();
		for (RecordComponent rc : rcs) {
			Object v = value(rc, r);
			if (isTable(v)) {
				tables.add(rc);
				continue;
			}
			sb.append(pad(rc.getName(), width)).append("  ").append(cell(rc, v)).append('\n');
		}
		for (RecordComponent rc : tables) {
			if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '\n') {
				sb.append('\n');
			}
			if (value(rc, r) instanceof Comparison cmp) {
				sb.append('\n').append(comparison(cmp)).append('\n');
				continue;
			}
			Collection<?> c = (Collection<?>) value(rc, r);
			sb.append('\n').append(rc.getName()).append(" (").append(c.size()).append(")\n");
			if (!c.isEmpty()) {
				sb.append(table(new ArrayList<>(c))).append('\n');
			}
		}
		return stripNewline(sb);
	}

	private static boolean isTable(Object v) {
		return v instanceof Comparison || v instanceof Collection<?> c && c.stream().allMatch(e -> e instanceof Record);
	}

	private String table(List<?> rows) {
		RecordComponent[] rcs = rows.get(0).getClass().getRecordComponents();
		String[][] cells = new String[rows.size() + 1][rcs.length];
		int[] width = new int[rcs.length];
		boolean[] numeric = new boolean[rcs.length];
		for (int c = 0; c < rcs.length; c++) {
			cells[0][c] = rcs[c].getName();
			Class<?> t = rcs[c].getType();
			numeric[c] = (t.isPrimitive() && t != boolean.class) || Number.class.isAssignableFrom(t);
		}
		for (int r = 0; r < rows.size(); r++) {
			Object row = rows.get(r);
			for (int c = 0; c < rcs.length; c++) {
				cells[r + 1][c] = row.getClass() == rows.get(0).getClass() ? cell(rcs[c], value(rcs[c], row)) : "";
			}
		}
		for (String[] line : cells) {
			for (int c = 0; c < rcs.length; c++) {
				width[c] = Math.max(width[c], line[c].length());
			}
		}
		StringBuilder sb = new StringBuilder();
		for (String[] line : cells) {
			StringBuilder l = new StringBuilder();
			for (int c = 0; c < rcs.length; c++) {
				if (c > 0) {
					l.append("  ");
				}
				boolean right = numeric[c] && line != cells[0] && c < rcs.length - 1;
				l.append(right ? padLeft(line[c], width[c]) : pad(line[c], c == rcs.length - 1 ? 0 : width[c]));
			}
			sb.append(l.toString().stripTrailing()).append('\n');
		}
		return stripNewline(sb);
	}

	/** The title, then one row per metric and one column per design, numbers right-aligned. */
	static String comparison(Comparison c) {
		int cols = c.designs().size() + 2;
		List<String[]> lines = new ArrayList<>();
		String[] head = new String[cols];
		head[0] = "metric";
		head[1] = "unit";
		for (int d = 0; d < c.designs().size(); d++) {
			head[d + 2] = c.designs().get(d);
		}
		lines.add(head);
		for (Comparison.Metric m : c.rows()) {
			String[] l = new String[cols];
			l[0] = m.name();
			l[1] = m.unit();
			for (int d = 0; d < m.values().size(); d++) {
				double v = m.values().get(d);
				l[d + 2] = Double.isNaN(v) ? "-" : m.unit().equals("%") ? String.format("%.1f", v) : v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format("%.2f", v);
			}
			lines.add(l);
		}
		int[] width = new int[cols];
		for (String[] l : lines) {
			for (int i = 0; i < cols; i++) {
				width[i] = Math.max(width[i], l[i].length());
			}
		}
		StringBuilder sb = new StringBuilder(c.title()).append('\n');
		for (String[] l : lines) {
			StringBuilder row = new StringBuilder();
			for (int i = 0; i < cols; i++) {
				row.append(i == 0 ? "" : "  ").append(i < 2 ? pad(l[i], width[i]) : padLeft(l[i], width[i]));
			}
			sb.append(row.toString().stripTrailing()).append('\n');
		}
		return stripNewline(sb);
	}

	private String cell(RecordComponent rc, Object v) {
		boolean hex = rc.isAnnotationPresent(Hex.class);
		if (v == null) {
			return "-";
		}
		if (rc.isAnnotationPresent(Percent.class) && v instanceof Number n) {
			return percent(n.doubleValue());
		}
		if (hex && v instanceof Number n) {
			return hex(n.longValue());
		}
		if (v instanceof long[] words) {
			StringBuilder sb = new StringBuilder();
			for (long w : words) {
				sb.append(sb.length() == 0 ? "" : " ").append(String.format("%016x", w));
			}
			return sb.toString();
		}
		if (v instanceof Double d) {
			return d.isNaN() ? "-" : String.format("%.3f", d);
		}
		if (v instanceof Collection<?> c) {
			if (isTable(c)) {
				return c.size() + " rows";
			}
			StringBuilder sb = new StringBuilder();
			for (Object e : c) {
				sb.append(sb.length() == 0 ? "" : ", ").append(e instanceof Record r ? line(r) : String.valueOf(e));
			}
			return sb.toString();
		}
		if (v instanceof Map<?, ?> m) {
			StringBuilder sb = new StringBuilder();
			m.forEach((k, val) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(val));
			return sb.length() == 0 ? "-" : sb.toString();
		}
		if (v instanceof Record r) {
			return line(r);
		}
		return String.valueOf(v);
	}

	private static Object value(RecordComponent rc, Object r) {
		try {
			return rc.getAccessor().invoke(r);
		} catch (ReflectiveOperationException e) {
			throw new IllegalStateException("cannot read " + rc.getName(), e);
		}
	}

	/** A ratio as a percentage with one decimal; NaN (nothing measured) as "-". */
	public static String percent(double ratio) {
		return Double.isNaN(ratio) ? "-" : String.format("%.1f%%", 100 * ratio);
	}

	public static String hex(long v) {
		return "0x" + Long.toHexString(v);
	}

	/** The one-line form of an event record. */
	public static String eventLine(Event e) {
		return event(e);
	}

	private static String event(Event e) {
		StringBuilder sb = new StringBuilder(e.type().name());
		sb.append(" sid=").append(hex(e.sid()));
		if (e.ssid() != Event.NO_SSID) {
			sb.append(" ssid=").append(hex(e.ssid()));
		}
		switch (e.type()) {
			case F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION -> {
				sb.append(" iova=").append(hex(e.address()));
				if (e.s2()) {
					sb.append(" ipa=").append(hex(e.address2()));
				}
				sb.append(" s2=").append(e.s2() ? 1 : 0);
				sb.append(" class=").append(switch (e.faultClass()) {
					case Event.CLASS_CD -> "CD";
					case Event.CLASS_TT -> "TT";
					default -> "IN";
				});
				sb.append(e.read() ? " read" : " write");
			}
			case F_WALK_EABT -> sb.append(" iova=").append(hex(e.address())).append(" fetch=").append(hex(e.address2()));
			case F_STE_FETCH -> sb.append(" fetch=").append(hex(e.address2()));
			case F_CD_FETCH -> sb.append(" fetch=").append(hex(e.address()));
			default -> {
				if (e.address() != 0) {
					sb.append(" addr=").append(hex(e.address()));
				}
			}
		}
		return sb.toString();
	}

	private static String aborted(TranslationResult.Aborted a) {
		return a.event() != null ? event(a.event()) : "abort (" + a.reason() + ", no event recorded)";
	}

	private static String pad(String s, int w) {
		return s.length() >= w ? s : s + " ".repeat(w - s.length());
	}

	private static String padLeft(String s, int w) {
		return s.length() >= w ? s : " ".repeat(w - s.length()) + s;
	}

	private static String stripNewline(StringBuilder sb) {
		int n = sb.length();
		return n > 0 && sb.charAt(n - 1) == '\n' ? sb.substring(0, n - 1) : sb.toString();
	}
}
