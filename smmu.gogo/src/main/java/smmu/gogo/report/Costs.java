package smmu.gogo.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import smmu.hw.CacheStats;
import smmu.hw.SmmuStats;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.ObjectType;

/** The cost report's computations over iommufd object graphs and SMMU counters; no services involved. */
public final class Costs {
	private static final Pattern TAG = Pattern.compile("(\\S+):(S2_VMID|S2_VMID_VSMMU)=(\\d+)");
	private static final Pattern VIOMMU = Pattern.compile("^(\\S+) vmid (\\d+)$");

	private Costs() {}

	/** How many objects of each type the report counts, and the stage-2 bytes (paging HWPTs' tables). */
	public record Counts(int ioas, int hwptPaging, int hwptNested, int viommu, int vdevice, long stage2Bytes) {
		public Counts plus(Counts o) {
			return new Counts(ioas + o.ioas, hwptPaging + o.hwptPaging, hwptNested + o.hwptNested, viommu + o.viommu, vdevice + o.vdevice,
					stage2Bytes + o.stage2Bytes);
		}
	}

	public static Counts count(List<IommufdObject> objects) {
		int ioas = 0, paging = 0, nested = 0, viommu = 0, vdevice = 0;
		long bytes = 0;
		for (IommufdObject o : objects) {
			switch (o.type()) {
				case IOAS -> ioas++;
				case HWPT_PAGING -> {
					paging++;
					bytes += o.tableBytes();
				}
				case HWPT_NESTED -> nested++;
				case VIOMMU -> viommu++;
				case VDEVICE -> vdevice++;
				default -> {
				}
			}
		}
		return new Counts(ioas, paging, nested, viommu, vdevice, bytes);
	}

	/**
	 * A row of the page-table table: an IOAS (its bytes are those of the paging HWPTs on it) or a paging HWPT.
	 *
	 * @param owner the VM (or context) the object belongs to
	 * @param ioas  the IOAS a HWPT is allocated on, or the IOAS itself
	 */
	public record TableRow(String owner, int id, String type, int ioas, long tableBytes, String detail) {}

	public static List<TableRow> tables(String owner, List<IommufdObject> objects) {
		List<TableRow> rows = new ArrayList<>();
		for (IommufdObject o : objects) {
			if (o.type() == ObjectType.IOAS) {
				long bytes = 0;
				int hwpts = 0;
				for (IommufdObject h : objects) {
					if (h.type() == ObjectType.HWPT_PAGING && h.references().contains(o.id())) {
						bytes += h.tableBytes();
						hwpts++;
					}
				}
				rows.add(new TableRow(owner, o.id(), "IOAS", o.id(), bytes, hwpts + " paging HWPT" + (hwpts == 1 ? "" : "s")));
			} else if (o.type() == ObjectType.HWPT_PAGING) {
				int ioas = o.references().isEmpty() ? 0 : o.references().get(0);
				rows.add(new TableRow(owner, o.id(), "HWPT_PAGING", ioas, o.tableBytes(), o.detail()));
			}
		}
		return rows;
	}

	/**
	 * The VMIDs in use per physical SMMU: the stage-2 tags of paging HWPTs ({@code smmuN:S2_VMID=n},
	 * {@code smmuN:S2_VMID_VSMMU=n}) and each vIOMMU's VMID ({@code smmuN vmid n}).
	 */
	public static Map<String, TreeSet<Integer>> vmids(List<IommufdObject> objects) {
		Map<String, TreeSet<Integer>> out = new TreeMap<>();
		for (IommufdObject o : objects) {
			if (o.type() == ObjectType.HWPT_PAGING) {
				Matcher m = TAG.matcher(o.detail());
				while (m.find()) {
					out.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(Integer.parseInt(m.group(3)));
				}
			} else if (o.type() == ObjectType.VIOMMU) {
				Matcher m = VIOMMU.matcher(o.detail().strip());
				if (m.matches()) {
					out.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(Integer.parseInt(m.group(2)));
				}
			}
		}
		return out;
	}

	/** Adds the VMIDs of {@code more} into {@code into}. */
	public static void merge(Map<String, TreeSet<Integer>> into, Map<String, TreeSet<Integer>> more) {
		more.forEach((k, v) -> into.computeIfAbsent(k, x -> new TreeSet<>()).addAll(v));
	}

	public static int total(Map<String, TreeSet<Integer>> vmids) {
		int n = 0;
		for (TreeSet<Integer> s : vmids.values()) {
			n += s.size();
		}
		return n;
	}

	/** The counters that grew from {@code before} to {@code after}, by name (names absent before count from 0). */
	public static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
		Map<String, Long> d = new TreeMap<>();
		after.forEach((k, v) -> {
			long n = v - before.getOrDefault(k, 0L);
			if (n != 0) {
				d.put(k, n);
			}
		});
		return d;
	}

	public static long sum(Map<String, Long> counts) {
		long n = 0;
		for (long v : counts.values()) {
			n += v;
		}
		return n;
	}

	/**
	 * The TLB and walk statistics of one SMMU.
	 *
	 * @param s1Reads stage-1 descriptor reads by level
	 * @param s2Reads stage-2 descriptor reads by level
	 */
	public record StatsRow(String smmu, long translations, long tlbLookups, long tlbMisses, @smmu.gogo.format.Percent double tlbHitRate, long cfgLookups, long cfgMisses,
			@smmu.gogo.format.Percent double cfgHitRate, long steFetches, long cdFetches, Map<String, Long> s1Reads, Map<String, Long> s2Reads, long faults) {}

	public static StatsRow stats(String smmu, SmmuStats s) {
		CacheStats tlb = find(s, "tlb"), cfg = find(s, "config");
		long faults = 0;
		for (long f : s.faults().values()) {
			faults += f;
		}
		return new StatsRow(smmu, s.translations(), tlb.lookups(), tlb.misses(), tlb.hitRate(), cfg.lookups(), cfg.misses(), cfg.hitRate(),
				s.steFetches(), s.cdFetches(), levels(s.tableReads()[0]), levels(s.tableReads()[1]), faults);
	}

	/** The sum of several SMMUs' statistics, named {@code name}. */
	public static StatsRow total(String name, List<StatsRow> rows) {
		long tr = 0, tl = 0, tm = 0, cl = 0, cm = 0, ste = 0, cd = 0, f = 0;
		Map<String, Long> s1 = new TreeMap<>(), s2 = new TreeMap<>();
		for (StatsRow r : rows) {
			tr += r.translations;
			tl += r.tlbLookups;
			tm += r.tlbMisses;
			cl += r.cfgLookups;
			cm += r.cfgMisses;
			ste += r.steFetches;
			cd += r.cdFetches;
			f += r.faults;
			r.s1Reads.forEach((k, v) -> s1.merge(k, v, Long::sum));
			r.s2Reads.forEach((k, v) -> s2.merge(k, v, Long::sum));
		}
		return new StatsRow(name, tr, tl, tm, rate(tl, tm), cl, cm, rate(cl, cm), ste, cd, s1, s2, f);
	}

	static double rate(long lookups, long misses) {
		return lookups == 0 ? 0.0 : (double) (lookups - misses) / lookups;
	}

	private static CacheStats find(SmmuStats s, String name) {
		for (CacheStats c : s.caches()) {
			if (c.name().equals(name)) {
				return c;
			}
		}
		return new CacheStats(name, 0, 0, 0, 0, 0, 0, 0);
	}

	/** Reads by level as {@code L0=n ...}, the levels read at least once. */
	static Map<String, Long> levels(long[] reads) {
		Map<String, Long> m = new TreeMap<>();
		for (int l = 0; l < reads.length; l++) {
			if (reads[l] != 0) {
				m.put("L" + l, reads[l]);
			}
		}
		return m;
	}

	public static long reads(Map<String, Long> levels) {
		return sum(levels);
	}
}
