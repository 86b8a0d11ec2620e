package smmu.gogo.hw;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import smmu.accel.Topology;
import smmu.accel.VirtualMachine;
import smmu.gogo.format.ShellError;
import smmu.gogo.hw.Views.StreamFaultRow;
import smmu.gogo.hw.Views.StreamReadRow;
import smmu.gogo.hw.Views.StreamRow;
import smmu.gogo.hw.Views.StreamStatsView;
import smmu.hw.HostPlatform;
import smmu.hw.Smmu;
import smmu.hw.StreamStats;

/**
 * The per-StreamID counters of a VM's devices ({@code Smmu.streamStats} of their pSIDs), as
 * {@code smmu:stats --vm} and {@code report:vm} show them: one row per device, a total row when there are
 * several.
 */
public final class StreamCounts {
	/** What is not per stream, said with every per-stream view ({@code smmus}: where to see it). */
	public static String note(List<String> smmus) {
		return "per StreamID: only these streams' transactions; commands, invalidations, cache entries and event-queue overflow are per SMMU: "
				+ String.join(", ", smmus.stream().map(s -> "smmu:stats " + s).toList());
	}

	/** One StreamID on one SMMU and what uses it. */
	public record Stream(String smmu, int sid, String device) {}

	/** The rows of some streams. */
	public record Counted(List<StreamRow> streams, List<StreamReadRow> reads, List<StreamFaultRow> faults) {}

	private StreamCounts() {}

	/**
	 * The streams of {@code vm}'s devices behind {@code smmu} (null: behind every SMMU), in device order.
	 *
	 * @throws ShellError if there are none
	 */
	public static List<Stream> ofVm(VirtualMachine vm, String smmu) {
		Topology t = vm.topology();
		List<Stream> out = new ArrayList<>();
		Set<String> behind = new LinkedHashSet<>();
		for (Topology.Device d : t.devices()) {
			behind.add(d.physicalSmmu());
			if (smmu == null || smmu.equals(d.physicalSmmu())) {
				out.add(new Stream(d.physicalSmmu(), d.psid(), d.id()));
			}
		}
		if (out.isEmpty()) {
			throw new ShellError(behind.isEmpty() ? "VM " + vm.name() + " has no vfio-pci device: none of its DMA goes through a physical SMMU"
					: "VM " + vm.name() + " has no device behind " + smmu + " (its devices are behind " + String.join(", ", behind) + ")");
		}
		return out;
	}

	/** The physical SMMUs of {@code streams}, in order. */
	public static List<String> smmus(List<Stream> streams) {
		Set<String> ids = new LinkedHashSet<>();
		for (Stream s : streams) {
			ids.add(s.smmu());
		}
		return new ArrayList<>(ids);
	}

	/** Each SMMU's StreamIDs among {@code streams}, in order. */
	private static Map<String, List<Stream>> bySmmu(List<Stream> streams) {
		Map<String, List<Stream>> m = new LinkedHashMap<>();
		for (Stream s : streams) {
			m.computeIfAbsent(s.smmu(), k -> new ArrayList<>()).add(s);
		}
		return m;
	}

	private static int[] sids(List<Stream> streams) {
		int[] sids = new int[streams.size()];
		for (int i = 0; i < sids.length; i++) {
			sids[i] = streams.get(i).sid();
		}
		return sids;
	}

	private static Smmu smmu(HostPlatform host, String id) {
		return host.smmu(id).orElseThrow(() -> new ShellError("no SMMU named '" + id + "' (the VM's devices name it; the host has "
				+ String.join(", ", host.smmus().stream().map(Smmu::id).toList()) + ")"));
	}

	/** The counters of {@code streams} now. */
	public static Counted count(HostPlatform host, List<Stream> streams) {
		List<StreamRow> rows = new ArrayList<>();
		List<StreamReadRow> reads = new ArrayList<>();
		List<StreamFaultRow> faults = new ArrayList<>();
		long[] total = new long[14];
		for (Map.Entry<String, List<Stream>> e : bySmmu(streams).entrySet()) {
			List<Stream> l = e.getValue();
			List<StreamStats> stats = streamStats(smmu(host, e.getKey()), sids(l));
			for (int i = 0; i < l.size(); i++) {
				Stream s = l.get(i);
				StreamStats st = stats.get(i);
				String sid = String.format("0x%x", s.sid() & 0xffffffffL);
				long[] v = { st.translations(), st.microTlbHits(), st.mainTlbHits(), st.tlbMisses(), st.walks(), st.faultCount(), st.events(),
						st.configMisses(), st.steFetches(), st.steL1Fetches(), st.cdFetches(), st.cdL1Fetches(), st.tableReads(1), st.tableReads(2) };
				rows.add(row(s.smmu(), sid, s.device(), v));
				reads.add(readRow(s.smmu(), sid, v));
				st.faults().forEach((type, n) -> faults.add(new StreamFaultRow(s.smmu(), sid, type, n)));
				for (int k = 0; k < v.length; k++) {
					total[k] += v[k];
				}
			}
		}
		if (streams.size() > 1) {
			rows.add(row("total", "", "", total));
			reads.add(readRow("total", "", total));
		}
		return new Counted(rows, reads, faults);
	}

	private static StreamRow row(String smmu, String sid, String device, long[] v) {
		return new StreamRow(smmu, sid, device, v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
	}

	private static StreamReadRow readRow(String smmu, String sid, long[] v) {
		return new StreamReadRow(smmu, sid, v[7], v[8], v[9], v[10], v[11], v[12], v[13]);
	}

	/** Zeroes the counters of {@code streams} only (each SMMU's totals and other streams keep theirs). */
	public static void reset(HostPlatform host, List<Stream> streams) {
		for (Map.Entry<String, List<Stream>> e : bySmmu(streams).entrySet()) {
			try {
				smmu(host, e.getKey()).resetStreamStats(sids(e.getValue()));
			} catch (IllegalArgumentException x) {
				throw new ShellError(e.getKey() + ": " + x.getMessage());
			}
		}
	}

	private static List<StreamStats> streamStats(Smmu s, int[] sids) {
		try {
			return s.streamStats(sids);
		} catch (IllegalArgumentException x) {
			throw new ShellError(s.id() + ": " + x.getMessage());
		}
	}

	/** The view of {@code streams}, after their counters were read (and, with {@code reset}, zeroed). */
	public static StreamStatsView view(HostPlatform host, String vm, List<Stream> streams, boolean reset) {
		Counted c = count(host, streams);
		if (reset) {
			reset(host, streams);
		}
		List<String> smmus = smmus(streams);
		String note = note(smmus) + (reset ? "; --reset zeroed these streams' counters only (the SMMUs' totals and other streams keep theirs)" : "");
		return new StreamStatsView(vm, String.join(", ", smmus), note, c.streams(), c.reads(), c.faults());
	}
}
