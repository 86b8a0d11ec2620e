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
 * <p>
 * Output fits a width ({@link #WIDTH} columns unless given, the terminal's at the prompt): a table wider
 * than that is cut into parts stacked one under the other, a blank line apart, each part repeating the
 * table's key columns (a record table's first column; a comparison's metric and unit) before as many of
 * the other columns, in order, as fit. A column too wide to fit beside the keys even alone has its cells
 * wrapped at spaces, as the last column of the part it reaches when it gets 30 columns there. A "name
 * value" line longer than the width wraps at spaces, its continuation lines indented to the value
 * column. A single word longer than the width is never cut.
 */
public final class Formatter {
	/** The width when none is known (a script, a test, a terminal that does not say). */
	public static final int WIDTH = 100;
	/** The narrowest width honoured: narrower ones render at this. */
	public static final int MIN_WIDTH = 40;
	/** The least room a column that must wrap anyway gets beside the columns before it, else it starts a part. */
	private static final int WRAP_ROOM = 30;

	private static final Map<Class<?>, Function<Object, String>> LINES = Map.of(
			Event.class, o -> event((Event) o),
			TranslationResult.Translated.class, o -> hex(((TranslationResult.Translated) o).pa()),
			TranslationResult.Aborted.class, o -> aborted((TranslationResult.Aborted) o));

	private final int width;

	/** A formatter for {@link #WIDTH} columns. */
	public Formatter() {
		this(WIDTH);
	}

	/** A formatter for {@code width} columns (at least {@link #MIN_WIDTH}). */
	public Formatter(int width) {
		this.width = Math.max(MIN_WIDTH, width);
	}

	/** The width this formatter fits its output to. */
	public int width() {
		return width;
	}

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

	private static Function<Object, String> lineFormat(Object o) {
		return LINES.get(o.getClass());
	}

	private String block(Record r) {
		RecordComponent[] rcs = r.getClass().getRecordComponents();
		int nameWidth = 0;
		for (RecordComponent rc : rcs) {
			if (!isTable(value(rc, r))) {
				nameWidth = Math.max(nameWidth, rc.getName().length());
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
			nameValue(sb, pad(rc.getName(), nameWidth) + "  ", cell(rc, v));
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
		boolean[] right = new boolean[rcs.length];
		for (int c = 0; c < rcs.length - 1; c++) {
			right[c] = numeric[c];
		}
		return grid(cells, right, false, 1);
	}

	/** The title, then one row per metric and one column per design, numbers right-aligned. */
	String comparison(Comparison c) {
		int cols = c.designs().size() + 2;
		String[][] lines = new String[c.rows().size() + 1][];
		String[] head = new String[cols];
		head[0] = "metric";
		head[1] = "unit";
		for (int d = 0; d < c.designs().size(); d++) {
			head[d + 2] = c.designs().get(d);
		}
		lines[0] = head;
		int r = 1;
		for (Comparison.Metric m : c.rows()) {
			String[] l = new String[cols];
			l[0] = m.name();
			l[1] = m.unit();
			for (int d = 0; d < m.values().size(); d++) {
				double v = m.values().get(d);
				l[d + 2] = Double.isNaN(v) ? "-" : m.unit().equals("%") ? String.format("%.1f", v) : v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format("%.2f", v);
			}
			lines[r++] = l;
		}
		boolean[] right = new boolean[cols];
		for (int i = 2; i < cols; i++) {
			right[i] = true;
		}
		return c.title() + "\n" + grid(lines, right, true, 2);
	}

	/**
	 * Lays out {@code cells} (row 0 the header) in columns two spaces apart; a column with {@code right}
	 * set is right-aligned (its header too when {@code rightHeader}). Wider than the width: stacked parts,
	 * each with the first {@code keys} columns and as many of the others as fit.
	 */
	private String grid(String[][] cells, boolean[] right, boolean rightHeader, int keys) {
		int n = cells[0].length;
		int[] w = new int[n];
		for (String[] line : cells) {
			for (int c = 0; c < n; c++) {
				w[c] = Math.max(w[c], line[c].length());
			}
		}
		keys = Math.min(keys, n);
		int keyWidth = 0;
		List<Integer> keyColumns = new ArrayList<>();
		for (int c = 0; c < keys; c++) {
			keyWidth += (c > 0 ? 2 : 0) + w[c];
			keyColumns.add(c);
		}
		List<List<Integer>> parts = new ArrayList<>();
		List<Integer> part = new ArrayList<>(keyColumns);
		int used = keyWidth;
		for (int c = keys; c < n; c++) {
			int need = (part.isEmpty() ? 0 : 2) + w[c];
			boolean wraps = keyWidth + need > width && !right[c];
			if (wraps && part.size() > keys && width - used - 2 >= WRAP_ROOM) {
				// wrapped in any part: wrapped here, the part's last column
				part.add(c);
				parts.add(part);
				part = new ArrayList<>(keyColumns);
				used = keyWidth;
				continue;
			}
			if (part.size() > keys && used + need > width) {
				parts.add(part);
				part = new ArrayList<>(keyColumns);
				used = keyWidth;
				need = (part.isEmpty() ? 0 : 2) + w[c];
			}
			part.add(c);
			used += need;
		}
		if (part.size() > keys || parts.isEmpty()) {
			parts.add(part);
		}
		StringBuilder sb = new StringBuilder();
		for (List<Integer> p : parts) {
			if (sb.length() > 0) {
				sb.append('\n');
			}
			part(sb, cells, p, w, right, rightHeader);
		}
		return stripNewline(sb);
	}

	/** One part of a grid: its columns, the last one's cells wrapped at spaces where they would cross the width. */
	private void part(StringBuilder sb, String[][] cells, List<Integer> cols, int[] w, boolean[] right, boolean rightHeader) {
		int lastCol = cols.get(cols.size() - 1);
		int at = 0;
		for (int i = 0; i < cols.size() - 1; i++) {
			at += w[cols.get(i)] + 2;
		}
		int room = Math.max(1, width - at);
		for (String[] line : cells) {
			boolean header = line == cells[0];
			List<String> last = line[lastCol].length() > room && !(right[lastCol] && (!header || rightHeader)) ? wrap(line[lastCol], room)
					: List.of(line[lastCol]);
			for (int k = 0; k < last.size(); k++) {
				StringBuilder l = new StringBuilder();
				for (int i = 0; i < cols.size(); i++) {
					int c = cols.get(i);
					String text = c == lastCol ? last.get(k) : k == 0 ? line[c] : "";
					if (i > 0) {
						l.append("  ");
					}
					boolean r = right[c] && (!header || rightHeader);
					l.append(r ? padLeft(text, w[c]) : pad(text, c == lastCol ? 0 : w[c]));
				}
				sb.append(l.toString().stripTrailing()).append('\n');
			}
		}
	}

	/**
	 * Appends {@code head} + {@code value}, wrapped at spaces to the width, continuation lines indented under
	 * the value; a multi-line value's own lines keep their indent and continue two columns further in.
	 */
	private void nameValue(StringBuilder sb, String head, String value) {
		String[] lines = value.split("\n", -1);
		for (int i = 0; i < lines.length; i++) {
			String indent = i == 0 ? head : " ".repeat(leading(lines[i]));
			String text = lines[i].substring(i == 0 ? 0 : indent.length());
			int cont = i == 0 ? head.length() : indent.length() + 2;
			List<String> parts = indent.length() + text.length() > width ? wrap(text, Math.max(1, width - cont)) : List.of(text);
			for (int k = 0; k < parts.size(); k++) {
				sb.append(((k == 0 ? indent : " ".repeat(cont)) + parts.get(k)).stripTrailing()).append('\n');
			}
		}
	}

	private static int leading(String s) {
		int i = 0;
		while (i < s.length() && s.charAt(i) == ' ') {
			i++;
		}
		return i;
	}

	/** {@code s} cut at spaces into pieces of at most {@code max} characters; a longer word stays whole. */
	public static List<String> wrap(String s, int max) {
		List<String> out = new ArrayList<>();
		String rest = s;
		while (rest.length() > max) {
			int cut = rest.lastIndexOf(' ', max);
			if (cut <= 0) {
				cut = rest.indexOf(' ', max);
				if (cut < 0) {
					break;
				}
			}
			out.add(rest.substring(0, cut).stripTrailing());
			rest = rest.substring(cut + 1).stripLeading();
		}
		out.add(rest);
		return out;
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
