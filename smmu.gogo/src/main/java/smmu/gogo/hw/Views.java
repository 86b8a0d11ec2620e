package smmu.gogo.hw;

import smmu.gogo.format.Percent;

import java.util.List;

import smmu.gogo.format.Hex;
import smmu.hw.TranslationResult;
import smmu.hw.WalkStep;

/** The data smmu:* commands return; the formatter renders them. */
public final class Views {
	private Views() {}

	public record SmmuRow(String id, @Hex long mmioBase, String enabled, String gbpa, String streamTable, String stages, int oas,
			int endpoints) {}

	/** smmu:snapshot's result: the new instance as smmu:list shows it, and where its ID registers came from. */
	public record SnapshotView(String id, @Hex long mmioBase, String enabled, String gbpa, String streamTable, String stages, int oas,
			int endpoints, String idRegisters) {}

	/** smmu:replay's result: what was compared and every disagreement. */
	public record ReplayView(int translations, int accesses, int agreed, List<ReplayRow> disagreements) {}

	/** One access on which the model differs from QEMU: QEMU's output address or "refused" (its perm excluded the access), the model's output address or its fault. */
	public record ReplayRow(@Hex long sid, @Hex long iova, String access, String qemu, String model) {
		public static ReplayRow of(smmu.hw.snapshot.Replay.Disagreement d) {
			return new ReplayRow(d.sid() & 0xffff_ffffL, d.iova(), d.write() ? "write" : "read",
					d.qemu() == -1 ? "refused" : String.format("0x%x", d.qemu()),
					d.fault() != null ? d.fault() : String.format("0x%x", d.model()));
		}
	}

	public record RegisterRow(String name, @Hex long offset, @Hex long value, String fields) {}

	public record EndpointRow(String bdf, String smmu, @Hex long sid) {}

	public record FieldRow(String field, @Hex long value, String meaning) {}

	public record EntryView(String what, @Hex long address, long[] words, String error, List<FieldRow> fields) {}

	public record WalkRow(String what, String level, @Hex long address, @Hex long descriptor, String note) {
		public static WalkRow of(WalkStep s) {
			return new WalkRow(s.what(), s.level() < 0 ? "-" : Integer.toString(s.level()), s.address(), s.value(), s.note());
		}
	}

	public record WalkView(String request, List<WalkRow> reads, TranslationResult result) {}

	public record CacheRow(String cache, long lookups, long hits, long misses, @Percent double hitRate, long insertions, long invalidations,
			long entries, long capacity) {}

	public record ReadRow(String stage, long level0, long level1, long level2, long level3) {}

	public record CountRow(String name, long count) {}

	public record StatsView(String smmu, long translations, long steFetches, long steL1Fetches, long cdFetches, long cdL1Fetches,
			long eventsRecorded, long eventsLost, List<CacheRow> caches, List<ReadRow> tableReads, List<CountRow> faults,
			List<CountRow> commands) {}

	/**
	 * smmu:stats --vm / --sid: the counters of StreamIDs (a VM's devices' pSIDs, or one StreamID), in three
	 * tables; {@code note} says what is per SMMU and what {@code --reset} zeroed.
	 */
	public record StreamStatsView(String vm, String smmu, String note, List<StreamRow> streams, List<StreamReadRow> reads,
			List<StreamFaultRow> faults) {}

	/**
	 * One StreamID's transactions: micro-TLB hits, main-TLB hits (the micro-TLB's not counted), main-TLB
	 * misses, table walks, terminated transactions and the event records they sent.
	 */
	public record StreamRow(String smmu, String sid, String device, long translations, long utlbHits, long mainHits, long misses, long walks,
			long faults, long events) {}

	/** One StreamID's memory reads: configuration cache misses, STE and CD fetches (and level-1 descriptors), table descriptors by stage. */
	public record StreamReadRow(String smmu, String sid, long cfgMisses, long steFetches, long steL1Fetches, long cdFetches, long cdL1Fetches,
			long s1Reads, long s2Reads) {}

	public record StreamFaultRow(String smmu, String sid, String fault, long count) {}

	/**
	 * One queue. {@code prod}/{@code cons} are the registers' values; {@code prodIndex}/{@code prodWrap}
	 * their position; {@code flags} what else they carry (CMDQ_CONS.ERR, EVENTQ_PROD.OVFLG). {@code shown}
	 * says which entries follow: those between CONS and PROD, or the last N written before PROD.
	 */
	public record QueueView(String smmu, String queue, String enabled, @Hex long base, int log2size, int entryBytes, @Hex long prod,
			int prodIndex, int prodWrap, @Hex long cons, int consIndex, int consWrap, String flags, int pending, String shown,
			List<Object> entries) {}

	public record CommandRow(int index, @Hex long address, String opcode, String fields, String raw) {}

	public record EventRow(int index, @Hex long address, String type, @Hex long sid, String ssid, String fields, String raw) {}

	/** smmu:mem: the bytes (16 a row, as hexdump -C) and, with --as, the entries they hold decoded. */
	public record MemView(String smmu, @Hex long pa, int length, String as, List<MemRow> bytes, List<DecodedRow> decoded) {}

	public record MemRow(@Hex long address, String hex, String ascii) {}

	public record DecodedRow(@Hex long address, String what, String field, @Hex long value, String meaning) {}
}
