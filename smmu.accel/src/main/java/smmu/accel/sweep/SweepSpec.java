package smmu.accel.sweep;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A sweep: parameter axes (each a list of values), the other parameters fixed, and the question it answers.
 * Parameters not named take their {@link #PARAMETERS default}.
 *
 * <p>The text form ({@link #parse}): {@code #} comments, {@code question = ...}, {@code x = PARAM} (the
 * chart's x axis, default the first axis), {@code series = PARAM,...} (one line per value combination,
 * default the other axes), {@code metrics = NAME,...} (what to chart), and one {@code PARAM = v1, v2, ...}
 * line per parameter (several values make an axis).
 *
 * @param name     the sweep's name
 * @param question what it answers, in words
 * @param axes     parameter -> values, in order (one value: fixed)
 * @param x        the parameter on the charts' x axis
 * @param series   the parameters whose values make the charts' lines
 * @param metrics  the metrics to chart
 */
public record SweepSpec(String name, String question, Map<String, List<String>> axes, String x, List<String> series, List<String> metrics) {

	/** Parameter -> {default, description}. */
	public static final Map<String, String[]> PARAMETERS;
	/** Metric -> unit. */
	public static final Map<String, String> METRICS;

	static {
		Map<String, String[]> p = new LinkedHashMap<>();
		p.put("k", new String[] { "2", "vSMMUs per VM, each over its own physical SMMU" });
		p.put("devices", new String[] { "1", "vfio-pci devices per vSMMU" });
		p.put("vms", new String[] { "1", "VMs (each with K vSMMUs over the same K physical SMMUs)" });
		p.put("ram", new String[] { "256M", "guest RAM per VM (K/M/G suffixes)" });
		p.put("page", new String[] { "2M", "host page backing guest RAM: 4K, 2M (THP) or 1G (hugetlbfs); stage 2 maps blocks of it" });
		p.put("tlb", new String[] { "1024", "TLB entries of each TBU of a physical SMMU" });
		p.put("kernel", new String[] { "shared", "host kernel: shared (a stage-2 domain may span SMMUs) or per-smmu (mainline)" });
		p.put("policy", new String[] { "shared", "stage-2 policy: shared (one stage 2 per VM) or per-instance (one per vSMMU)" });
		p.put("workload", new String[] { "none", "none, stream, random, churn-strict or churn-lazy" });
		p.put("ios", new String[] { "256", "I/Os per device" });
		p.put("io", new String[] { "4K", "bytes per DMA" });
		p.put("buffer", new String[] { "1M", "working set per device (stream, random)" });
		p.put("dmas-per-map", new String[] { "1", "DMAs into one mapping before it is unmapped (churn)" });
		p.put("batch", new String[] { "256", "unmaps per flush (churn-lazy)" });
		PARAMETERS = Collections.unmodifiableMap(p);
		Map<String, String> m = new LinkedHashMap<>();
		m.put("stage2_bytes", "bytes");
		m.put("ioas", "objects");
		m.put("paging_hwpts", "objects");
		m.put("nested_hwpts", "objects");
		m.put("viommus", "objects");
		m.put("vmids", "ids");
		m.put("setup_ms", "ms");
		m.put("ios", "I/Os");
		m.put("tlb_lookups", "lookups");
		m.put("tlb_hit_rate", "%");
		m.put("tlb_misses", "misses");
		m.put("walk_reads", "reads");
		m.put("s2_reads", "reads");
		m.put("invalidations", "commands");
		m.put("invalidations_per_io", "commands");
		m.put("syncs", "commands");
		m.put("faults", "transactions");
		m.put("run_ms", "ms");
		m.put("ios_per_s", "I/O/s");
		METRICS = Collections.unmodifiableMap(m);
	}

	public SweepSpec {
		Map<String, List<String>> a = new LinkedHashMap<>();
		axes.forEach((k, v) -> {
			if (!PARAMETERS.containsKey(k)) {
				throw new IllegalArgumentException("no sweep parameter '" + k + "' (have: " + String.join(", ", PARAMETERS.keySet()) + ")");
			}
			if (v.isEmpty()) {
				throw new IllegalArgumentException("parameter " + k + " has no value");
			}
			a.put(k, List.copyOf(v));
		});
		axes = Collections.unmodifiableMap(a);
		List<String> multi = new ArrayList<>();
		a.forEach((k, v) -> {
			if (v.size() > 1) {
				multi.add(k);
			}
		});
		if (x == null || x.isEmpty()) {
			x = multi.isEmpty() ? a.keySet().stream().findFirst().orElse("k") : multi.get(0);
		}
		if (!PARAMETERS.containsKey(x)) {
			throw new IllegalArgumentException("x: no sweep parameter '" + x + "'");
		}
		if (series == null || series.isEmpty()) {
			String xx = x;
			series = multi.stream().filter(s -> !s.equals(xx)).toList();
		}
		series = List.copyOf(series);
		for (String s : series) {
			if (!PARAMETERS.containsKey(s)) {
				throw new IllegalArgumentException("series: no sweep parameter '" + s + "'");
			}
		}
		metrics = metrics == null || metrics.isEmpty() ? List.of("stage2_bytes") : List.copyOf(metrics);
		for (String m : metrics) {
			if (!METRICS.containsKey(m)) {
				throw new IllegalArgumentException("no metric '" + m + "' (have: " + String.join(", ", METRICS.keySet()) + ")");
			}
		}
		if (name == null || name.isBlank()) {
			throw new IllegalArgumentException("a sweep needs a name");
		}
		question = question == null ? "" : question;
	}

	/** Parses the text form. */
	public static SweepSpec parse(String name, String text) {
		Map<String, List<String>> axes = new LinkedHashMap<>();
		String question = "", x = null;
		List<String> series = List.of(), metrics = List.of();
		int n = 0;
		for (String raw : text.split("\n")) {
			n++;
			String line = raw.strip();
			if (line.isEmpty() || line.startsWith("#")) {
				continue;
			}
			int eq = line.indexOf('=');
			if (eq <= 0) {
				throw new IllegalArgumentException(name + " line " + n + ": expected 'parameter = value, ...', not '" + line + "'");
			}
			String key = line.substring(0, eq).strip().toLowerCase(Locale.ROOT), value = line.substring(eq + 1).strip();
			switch (key) {
				case "question" -> question = value;
				case "x" -> x = value;
				case "series" -> series = list(value);
				case "metrics" -> metrics = list(value);
				default -> {
					if (!PARAMETERS.containsKey(key)) {
						throw new IllegalArgumentException(name + " line " + n + ": no sweep parameter '" + key + "' (have: " + String.join(", ", PARAMETERS.keySet()) + ")");
					}
					axes.put(key, list(value));
				}
			}
		}
		return new SweepSpec(name, question, axes, x, series, metrics);
	}

	private static List<String> list(String v) {
		List<String> out = new ArrayList<>();
		for (String s : v.split(",")) {
			if (!s.isBlank()) {
				out.add(s.strip());
			}
		}
		return out;
	}

	/** Every point: the cartesian product of the axes, the first axis varying slowest; unnamed parameters at their default. */
	public List<Map<String, String>> points() {
		List<Map<String, String>> out = new ArrayList<>();
		Map<String, String> base = new LinkedHashMap<>();
		PARAMETERS.forEach((k, v) -> base.put(k, v[0]));
		out.add(base);
		for (Map.Entry<String, List<String>> e : axes.entrySet()) {
			List<Map<String, String>> next = new ArrayList<>();
			for (Map<String, String> p : out) {
				for (String v : e.getValue()) {
					Map<String, String> q = new LinkedHashMap<>(p);
					q.put(e.getKey(), v);
					next.add(q);
				}
			}
			out = next;
		}
		List<Map<String, String>> frozen = new ArrayList<>();
		for (Map<String, String> p : out) {
			frozen.add(Collections.unmodifiableMap(p));
		}
		return frozen;
	}

	/** The parameters with more than one value. */
	public List<String> varying() {
		List<String> out = new ArrayList<>();
		axes.forEach((k, v) -> {
			if (v.size() > 1) {
				out.add(k);
			}
		});
		return out;
	}

	/** Bytes of a size with a K/M/G/T suffix (powers of 1024). */
	public static long bytes(String s) {
		String t = s.strip().toUpperCase(Locale.ROOT);
		int shift = 0;
		if (!t.isEmpty()) {
			switch (t.charAt(t.length() - 1)) {
				case 'K' -> shift = 10;
				case 'M' -> shift = 20;
				case 'G' -> shift = 30;
				case 'T' -> shift = 40;
				default -> shift = 0;
			}
		}
		try {
			return Long.parseLong(shift == 0 ? t : t.substring(0, t.length() - 1)) << shift;
		} catch (NumberFormatException e) {
			throw new IllegalArgumentException("'" + s + "' is not a size (e.g. 4K, 2M, 1G)");
		}
	}
}
