package smmu.gogo.hw;

import smmu.gogo.format.ShellError;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import smmu.accel.Topology;
import smmu.accel.VirtualMachine;
import smmu.accel.VmManager;

import smmu.gogo.format.Args;
import smmu.gogo.hw.Views.CacheRow;
import smmu.gogo.hw.Views.CountRow;
import smmu.gogo.hw.Views.EndpointRow;
import smmu.gogo.hw.Views.EntryView;
import smmu.gogo.hw.Views.FieldRow;
import smmu.gogo.hw.Views.ReadRow;
import smmu.gogo.hw.Views.RegisterRow;
import smmu.gogo.hw.Views.SmmuRow;
import smmu.gogo.hw.Views.ReplayRow;
import smmu.gogo.hw.Views.ReplayView;
import smmu.gogo.hw.Views.SnapshotView;
import smmu.gogo.hw.Views.StatsView;
import smmu.gogo.hw.Views.StreamStatsView;
import smmu.gogo.hw.Views.WalkRow;
import smmu.gogo.hw.Views.WalkView;
import smmu.hw.CacheStats;
import smmu.hw.HostPlatform;
import smmu.hw.Smmu;
import smmu.hw.SmmuStats;
import smmu.hw.SparseMemory;
import smmu.hw.TableEntry;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.Walk;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Field;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.hw.snapshot.RamImage;
import smmu.hw.snapshot.QemuIdRegisters;
import smmu.hw.snapshot.QemuTranslations;
import smmu.hw.snapshot.RegisterState;
import smmu.hw.snapshot.Replay;

/** The smmu:* commands: inspect physical SMMUs, their structures, walks and counters. */
@Component(service = SmmuCommands.class)
@GogoCommand(scope = "smmu", function = { "list", "devices", "regs", "ste", "cd", "walk", "translate", "stats", "cmdq", "evtq", "mem", "snapshot", "replay", "detach" })
public class SmmuCommands {
	private final HostPlatform host;

	@Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
	private volatile VmManager vms;

	@Activate
	public SmmuCommands(@Reference HostPlatform host) {
		this.host = host;
	}

	/** With VMs ({@code smmu:stats --vm}), outside a framework. */
	SmmuCommands(HostPlatform host, VmManager vms) {
		this.host = host;
		this.vms = vms;
	}

	@Descriptor("list the SMMU instances of the host")
	public List<SmmuRow> list() {
		List<SmmuRow> rows = new ArrayList<>();
		for (Smmu s : host.smmus()) {
			rows.add(row(s));
		}
		return rows;
	}

	@Descriptor("list the host PCI endpoints and the SMMU and StreamID of each")
	public List<EndpointRow> devices() {
		return host.endpoints().stream().map(e -> new EndpointRow(e.bdf(), e.smmu(), e.sid() & 0xffffffffL)).toList();
	}

	@Descriptor("show an SMMU's registers, decoded")
	public List<RegisterRow> regs(@Descriptor("SMMU id (see smmu:list)") String smmu) {
		Smmu s = smmu(smmu);
		List<RegisterRow> rows = new ArrayList<>();
		for (Object[] r : REGISTERS) {
			String name = (String) r[0];
			int off = (Integer) r[1];
			boolean wide = (Boolean) r[2];
			long v = wide ? s.read64(off) : s.read32(off) & 0xffff_ffffL;
			rows.add(new RegisterRow(name, off, v, decode(name, v)));
		}
		return rows;
	}

	@Descriptor("show the STE the SMMU finds for a StreamID, decoded")
	public EntryView ste(@Descriptor("SMMU id") String smmu, @Descriptor("StreamID (decimal or 0x-hex)") String sid) {
		Smmu s = smmu(smmu);
		TableEntry e = s.readSte(sid(s, sid));
		return entry("STE", e, Ste.class);
	}

	@Descriptor("show the CD the SMMU finds for a StreamID and SubstreamID, decoded")
	public EntryView cd(@Descriptor("SMMU id") String smmu, @Descriptor("StreamID") String sid,
			@Descriptor("SubstreamID") String ssid) {
		Smmu s = smmu(smmu);
		TableEntry e = s.readCd(sid(s, sid), Args.ssid(ssid));
		return entry("CD", e, Cd.class);
	}

	@Descriptor("show the CD a transaction without SubstreamID uses (S1DSS / CD 0)")
	public EntryView cd(@Descriptor("SMMU id") String smmu, @Descriptor("StreamID") String sid) {
		return cd(smmu, sid, "-1");
	}

	@Descriptor("walk the tables for an address, showing every descriptor read by stage and level (no caches, no events)")
	public WalkView walk(@Descriptor("SubstreamID") @Parameter(names = "--ssid", absentValue = "-1") String ssid,
			@Descriptor("a write access") @Parameter(names = "--write", presentValue = "true", absentValue = "false") boolean write,
			@Descriptor("SMMU id") String smmu, @Descriptor("StreamID") String sid, @Descriptor("input address") String iova) {
		Smmu s = smmu(smmu);
		TranslationRequest r = request(s, sid, iova, ssid, write);
		Walk w = s.walk(r);
		return new WalkView(describe(r), w.steps().stream().map(WalkRow::of).toList(), w.result());
	}

	@Descriptor("look an address up as the SMMU would translate it (a debug lookup, as ATOS: no event recorded, no queue, cache or counter changed); prints the output address or the event it would record")
	public TranslationResult translate(@Descriptor("SubstreamID") @Parameter(names = "--ssid", absentValue = "-1") String ssid,
			@Descriptor("a write access") @Parameter(names = "--write", presentValue = "true", absentValue = "false") boolean write,
			@Descriptor("issue it as a real device transaction: caches used and filled, a fault recorded in the event queue") @Parameter(names = "--record", presentValue = "true", absentValue = "false") boolean record,
			@Descriptor("SMMU id") String smmu, @Descriptor("StreamID") String sid, @Descriptor("input address") String iova) {
		Smmu s = smmu(smmu);
		TranslationRequest r = request(s, sid, iova, ssid, write);
		return record ? s.translate(r) : s.walk(r).result();
	}

	private StatsView smmuStats(boolean reset, String smmu) {
		Smmu device = smmu(smmu);
		SmmuStats s = device.stats();
		if (reset) {
			device.resetStats();
		}
		List<CacheRow> caches = new ArrayList<>();
		for (CacheStats c : s.caches()) {
			caches.add(new CacheRow(c.name(), c.lookups(), c.hits(), c.misses(), c.hitRate(),
					c.insertions(), c.invalidations(), c.entries(), c.capacity()));
		}
		List<ReadRow> reads = new ArrayList<>();
		for (int st = 0; st < 2; st++) {
			long[] l = s.tableReads()[st];
			reads.add(new ReadRow("S" + (st + 1), l[0], l[1], l[2], l[3]));
		}
		return new StatsView(smmu, s.translations(), s.steFetches(), s.steL1Fetches(), s.cdFetches(), s.cdL1Fetches(),
				s.eventsRecorded(), s.eventsLost(), caches, reads, counts(s.faults()), counts(s.commands()));
	}

	@Descriptor("show an SMMU's counters: caches, fetches, table reads by stage and level, faults, commands; with --vm the counters of that VM's devices (their pSIDs) only, with --sid those of one StreamID (translations, micro-TLB and main-TLB hits, misses, walks, faults, events, STE/CD fetches, table reads); --reset zeroes what was shown after showing it (per interval)")
	public Object stats(
			@Descriptor("zero the counters shown after showing them (the next smmu:stats shows one interval); with --vm or --sid only those streams' (the SMMU's totals and other streams keep theirs)") @Parameter(names = "--reset", presentValue = "true", absentValue = "false") boolean reset,
			@Descriptor("a VM: the StreamIDs of its devices behind the SMMU") @Parameter(names = "--vm", absentValue = "") String vm,
			@Descriptor("one StreamID (decimal or 0x-hex)") @Parameter(names = "--sid", absentValue = "") String sid,
			@Descriptor("SMMU id") String smmu) {
		if (vm.isEmpty() && sid.isEmpty()) {
			return smmuStats(reset, smmu);
		}
		if (!vm.isEmpty() && !sid.isEmpty()) {
			throw new ShellError("smmu:stats: give --vm or --sid, not both");
		}
		Smmu s = smmu(smmu);
		if (!vm.isEmpty()) {
			return StreamCounts.view(host, vm, StreamCounts.ofVm(vm(vm), s.id()), reset);
		}
		int id = sid(s, sid);
		String device = host.endpoints().stream().filter(e -> e.smmu().equals(s.id()) && e.sid() == id).map(e -> e.bdf()).findFirst().orElse("-");
		String owner = "-";
		VmManager m = vms;
		if (m != null) {
			for (VirtualMachine v : m.list()) {
				List<Topology.Device> devices;
				try {
					devices = v.topology().devices();
				} catch (RuntimeException e) {
					continue; // destroyed meanwhile
				}
				for (Topology.Device d : devices) {
					if (d.physicalSmmu().equals(s.id()) && d.psid() == id) {
						owner = v.name();
						device = d.id() + " " + device;
					}
				}
			}
		}
		return StreamCounts.view(host, owner, List.of(new StreamCounts.Stream(s.id(), id, device)), reset);
	}

	@Descriptor("show a VM's counters on every physical SMMU its devices sit behind (the StreamIDs of its devices only); --reset zeroes only those streams")
	public StreamStatsView stats(
			@Descriptor("zero the counters shown after showing them: only the VM's streams (the SMMUs' totals and other streams keep theirs)") @Parameter(names = "--reset", presentValue = "true", absentValue = "false") boolean reset,
			@Descriptor("a VM") @Parameter(names = "--vm", absentValue = "") String vm) {
		if (vm.isEmpty()) {
			// as Gogo says it for a call without arguments
			throw new ShellError("smmu:stats: missing arguments; usage: " + String.join(" | ", smmu.gogo.shell.Usage.lines("smmu:stats", this)));
		}
		return StreamCounts.view(host, vm, StreamCounts.ofVm(vm(vm), null), reset);
	}

	private VirtualMachine vm(String name) {
		VmManager m = vms;
		if (m == null) {
			throw new ShellError("no VM manager: the smmu.accel bundle is not running");
		}
		return m.get(name).orElseThrow(() -> {
			List<String> have = new ArrayList<>();
			for (VirtualMachine x : m.list()) {
				have.add(x.name());
			}
			return new ShellError("no VM named '" + name + "' (have: " + (have.isEmpty() ? "none" : String.join(", ", have)) + ")");
		});
	}

	@Descriptor("show an SMMU's command queue as software sees it: base, size, PROD/CONS with wrap bits, CMDQ_CONS.ERR, and the commands between CONS and PROD (or the last N written), decoded from memory")
	public Views.QueueView cmdq(
			@Descriptor("show the last N entries written before PROD instead of the pending ones") @Parameter(names = "--last", absentValue = "") String last,
			@Descriptor("SMMU id") String smmu) {
		return Queues.cmdq(smmu(smmu), last);
	}

	@Descriptor("show an SMMU's event queue as software sees it: base, size, PROD/CONS with wrap bits, overflow, and the events between CONS and PROD (or the last N written), decoded from memory")
	public Views.QueueView evtq(
			@Descriptor("show the last N entries written before PROD instead of the pending ones") @Parameter(names = "--last", absentValue = "") String last,
			@Descriptor("SMMU id") String smmu) {
		return Queues.evtq(smmu(smmu), last);
	}

	@Descriptor("show an SMMU's memory as hex (at most 4096 bytes), and with --as the STEs, CDs or translation table descriptors it holds, decoded")
	public Views.MemView mem(
			@Descriptor("decode as ste, cd (64 bytes each) or pte (8 bytes each, 4K granule)") @Parameter(names = "--as", absentValue = "") String as,
			@Descriptor("SMMU id") String smmu, @Descriptor("physical address") String pa, @Descriptor("length in bytes, 1..4096") String len) {
		return Mem.read(smmu(smmu), pa, len, as);
	}

	@Descriptor("attach a snapshot of a real guest's SMMU to a new SMMU instance: raw RAM images (as pmemsave writes them, or .gz) and the registers (a QEMU trace of smmuv3_write_mmio, or offset=value lines)")
	public SnapshotView snapshot(
			@Descriptor("physical address bits of the snapshot memory") @Parameter(names = "--pa-bits", absentValue = "48") int paBits,
			@Descriptor("the SMMU's MMIO base on the snapshot's machine (QEMU virt: 0x9050000), shown as given") @Parameter(names = "--mmio-base", absentValue = "0") String mmioBase,
			@Descriptor("QEMU version (7.2, 8.2 or 10.2) whose smmuv3 reset values give the ID registers the register files lack") @Parameter(names = "--qemu", absentValue = "") String qemu,
			@Descriptor("QEMU's smmuv3 stage property for the --qemu preset: 1 (default), 2 (8.2 on) or nested (10.2)") @Parameter(names = "--stage", absentValue = "") String stage,
			@Descriptor("new SMMU id") String id,
			@Descriptor("RAM images, comma-separated: FILE (loaded at <base>) or FILE@BASE (e.g. ram.img@0x40000000); they must not overlap") String ram,
			@Descriptor("guest-physical base of the images given without @BASE (e.g. 0x40000000)") String base,
			@Descriptor("register files, comma-separated, later ones win: QEMU traces of smmuv3_write_mmio or offset=value lines (ID registers at 0x0-0x1c set the instance's IDRs)") String regs)
			throws IOException {
		return attach(paBits, mmioBase, qemu, stage, id, ram, base, regs);
	}

	@Descriptor("attach a snapshot of a real guest's SMMU, each RAM image at the base given with it")
	public SnapshotView snapshot(
			@Descriptor("physical address bits of the snapshot memory") @Parameter(names = "--pa-bits", absentValue = "48") int paBits,
			@Descriptor("the SMMU's MMIO base on the snapshot's machine (QEMU virt: 0x9050000), shown as given") @Parameter(names = "--mmio-base", absentValue = "0") String mmioBase,
			@Descriptor("QEMU version (7.2, 8.2 or 10.2) whose smmuv3 reset values give the ID registers the register files lack") @Parameter(names = "--qemu", absentValue = "") String qemu,
			@Descriptor("QEMU's smmuv3 stage property for the --qemu preset: 1 (default), 2 (8.2 on) or nested (10.2)") @Parameter(names = "--stage", absentValue = "") String stage,
			@Descriptor("new SMMU id") String id,
			@Descriptor("RAM images, comma-separated, each FILE@BASE (e.g. low.img@0x40000000,high.img@0x100000000); they must not overlap") String ram,
			@Descriptor("register files, comma-separated, later ones win") String regs)
			throws IOException {
		return attach(paBits, mmioBase, qemu, stage, id, ram, null, regs);
	}

	private SnapshotView attach(int paBits, String mmioBase, String qemu, String stage, String id, String ram, String base, String regs) throws IOException {
		if (host.smmu(id).isPresent()) {
			throw new ShellError("an SMMU named '" + id + "' exists already");
		}
		long mmio = Args.number("mmio-base", mmioBase);
		if ((mmio & 0xffff) != 0) {
			throw new ShellError(String.format("mmio-base 0x%x is not 64 KiB aligned (an SMMU's register pages are)", mmio));
		}
		List<Object[]> images = new ArrayList<>();
		for (String image : ram.split(",")) {
			String file = image.trim();
			int at = file.lastIndexOf('@');
			String b = base;
			if (at >= 0) {
				b = file.substring(at + 1);
				file = file.substring(0, at);
			} else if (base == null) {
				throw new ShellError("RAM image '" + file + "' has no @BASE (give FILE@BASE, e.g. " + file + "@0x40000000)");
			}
			images.add(new Object[] { existing(file), Args.number("base of " + file, b) });
		}
		if (qemu.isEmpty() && !stage.isEmpty()) {
			throw new ShellError("--stage " + stage + ": a stage of QEMU's smmuv3 needs --qemu VERSION (without it the ID registers the files lack are an Arm MMU-700's)");
		}
		String stageOrDefault = stage.isEmpty() ? "1" : stage;
		Map<Integer, Long> preset;
		try {
			preset = qemu.isEmpty() ? Map.of() : QemuIdRegisters.of(qemu, stageOrDefault);
		} catch (IllegalArgumentException e) {
			throw new ShellError("--stage " + stage + ": " + e.getMessage());
		}
		if (preset == null) {
			throw new ShellError("--qemu " + qemu + ": no preset (have: " + String.join(", ", QemuIdRegisters.VERSIONS) + ")");
		}
		Map<Integer, Long> registers = new java.util.TreeMap<>();
		for (String f : regs.split(",")) {
			registers.putAll(RegisterState.read(existing(f.trim())));
		}
		java.util.Set<Integer> given = java.util.Set.copyOf(registers.keySet());
		preset.forEach(registers::putIfAbsent);
		SparseMemory memory = new SparseMemory(paBits);
		List<long[]> loaded = new ArrayList<>();
		for (Object[] image : images) {
			long at = (Long) image[1];
			long size = RamImage.load((Path) image[0], at, memory);
			for (int i = 0; i < loaded.size(); i++) {
				long[] other = loaded.get(i);
				if (size > 0 && other[1] > 0 && Long.compareUnsigned(at, other[0] + other[1]) < 0 && Long.compareUnsigned(other[0], at + size) < 0) {
					throw new ShellError(String.format("RAM images %s [0x%x, 0x%x) and %s [0x%x, 0x%x) overlap", images.get(i)[0], other[0],
							other[0] + other[1], image[0], at, at + size));
				}
			}
			loaded.add(new long[] { at, size });
		}
		Smmu s = host.attachSnapshot(id, mmio, memory, registers);
		SmmuRow r = row(s);
		return new SnapshotView(r.id(), r.mmioBase(), r.enabled(), r.gbpa(), r.streamTable(), r.stages(), r.oas(), r.endpoints(),
				qemu.isEmpty() ? idRegisters(given, s) : idRegisters(given, qemu, stageOrDefault));
	}

	private static final String[] ID_REGISTERS = { "IDR0", "IDR1", "IDR2", "IDR3", "IDR4", "IDR5", "IIDR", "AIDR" };

	/**
	 * Where a snapshot's ID registers (0x0-0x1c) came from: the register files, or, for those they lack,
	 * the model's default SMMU (an Arm MMU-700), named with the values assumed, since a guest that read
	 * other values may have built structures this instance reads differently.
	 */
	/** Where a snapshot's ID registers came from when a QEMU preset filled in those the files lacked. */
	static String idRegisters(java.util.Set<Integer> given, String qemu, String stage) {
		List<String> preset = new ArrayList<>();
		for (int i = 0; i < ID_REGISTERS.length; i++) {
			if (!given.contains(i * 4)) {
				preset.add(ID_REGISTERS[i]);
			}
		}
		String from = " from QEMU " + qemu + "'s smmuv3 reset values (stage=" + stage + ")";
		if (preset.isEmpty()) {
			return "from the register files";
		}
		return preset.size() == ID_REGISTERS.length ? "all" + from : String.join(" ", preset) + from + ", the rest from the register files";
	}

	static String idRegisters(java.util.Set<Integer> given, Smmu s) {
		StringBuilder assumed = new StringBuilder();
		for (int i = 0; i < ID_REGISTERS.length; i++) {
			if (!given.contains(i * 4)) {
				assumed.append(assumed.isEmpty() ? "" : " ").append(ID_REGISTERS[i]).append(String.format("=0x%x", s.read32(i * 4)));
			}
		}
		if (assumed.isEmpty()) {
			return "from the register files";
		}
		return "warning: not in the register files, assumed as an Arm MMU-700 (the model's default): " + assumed
				+ "; give the values the guest read as offset=value lines (0x0-0x1c)";
	}

	@Descriptor("replay QEMU's smmuv3_translate_success trace lines through an SMMU (debug walks: nothing recorded) and list every access on which it disagrees with QEMU")
	public ReplayView replay(@Descriptor("SMMU id") String smmu,
			@Descriptor("QEMU trace log (plain or .gz) with smmuv3_translate_success lines") String trace) throws IOException {
		Smmu s = smmu(smmu);
		java.util.List<QemuTranslations.Translation> t;
		try {
			t = QemuTranslations.read(existing(trace));
		} catch (IllegalArgumentException e) {
			throw new ShellError(e.getMessage());
		}
		if (t.isEmpty()) {
			throw new ShellError(trace + ": no " + QemuTranslations.EVENT + " line");
		}
		Replay.Result r = Replay.run(s, t);
		return new ReplayView(r.translations(), r.accesses(), r.agreed(), r.disagreements().stream().map(ReplayRow::of).toList());
	}

	@Descriptor("remove an SMMU created by smmu:snapshot")
	public String detach(@Descriptor("SMMU id") String id) {
		smmu(id);
		if (!host.detach(id)) {
			throw new ShellError(id + " is a host SMMU, not a snapshot: it cannot be detached");
		}
		return id + " detached";
	}

	private Smmu smmu(String id) {
		return host.smmu(id).orElseThrow(() -> new ShellError("no SMMU named '" + id + "' (have: "
				+ String.join(", ", host.smmus().stream().map(Smmu::id).toList()) + ")"));
	}

	private static Path existing(String file) {
		Path p = Path.of(file);
		if (!Files.isReadable(p)) {
			throw new ShellError("cannot read " + p.toAbsolutePath());
		}
		return p;
	}

	private static TranslationRequest request(Smmu s, String sid, String iova, String ssid, boolean write) {
		return new TranslationRequest(sid(s, sid), Args.ssid(ssid), Args.number("iova", iova), write);
	}

	/** A StreamID the SMMU can receive: below 2^SIDSIZE (SMMU_IDR1). */
	static int sid(Smmu s, String sid) {
		int bits = (int) Regs.IDR1_SIDSIZE.get(s.read32(Regs.IDR1));
		long max = bits >= 32 ? 0xffff_ffffL : (1L << bits) - 1;
		try {
			return (int) Args.range("sid", sid, 0, max);
		} catch (ShellError e) {
			throw new ShellError(e.getMessage().replace(")", "; " + s.id() + " has SIDSIZE " + bits + ")"));
		}
	}

	private static String describe(TranslationRequest r) {
		return String.format("sid=0x%x%s iova=0x%x %s", r.sid(), r.ssid() < 0 ? "" : String.format(" ssid=0x%x", r.ssid()), r.iova(),
				r.write() ? "write" : "read");
	}

	private SmmuRow row(Smmu s) {
		int cr0 = s.read32(Regs.CR0ACK);
		int gbpa = s.read32(Regs.GBPA);
		int cfg = s.read32(Regs.STRTAB_BASE_CFG);
		long base = s.read64(Regs.STRTAB_BASE) & Regs.STRTAB_BASE_ADDR_MASK;
		String st = (int) Regs.STRTAB_CFG_FMT.get(cfg) == Regs.STRTAB_FMT_2LVL
				? String.format("2-level 2^%d split %d @0x%x", Regs.STRTAB_CFG_LOG2SIZE.get(cfg), Regs.STRTAB_CFG_SPLIT.get(cfg), base)
				: String.format("linear 2^%d @0x%x", Regs.STRTAB_CFG_LOG2SIZE.get(cfg), base);
		int idr0 = s.read32(Regs.IDR0);
		boolean s1 = Regs.IDR0_S1P.get(idr0) != 0;
		boolean s2 = Regs.IDR0_S2P.get(idr0) != 0;
		String stages = s1 && s2 ? "S1+S2" : s1 ? "S1" : s2 ? "S2" : "none";
		long endpoints = host.endpoints().stream().filter(e -> e.smmu().equals(s.id())).count();
		return new SmmuRow(s.id(), s.spec().mmioBase(), (cr0 & Regs.CR0_SMMUEN) != 0 ? "yes" : "no",
				(gbpa & Regs.GBPA_ABORT) != 0 ? "abort" : "bypass", st, stages, s.spec().oasBits(), (int) endpoints);
	}

	private static List<CountRow> counts(Map<String, Long> m) {
		return m.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> new CountRow(e.getKey(), e.getValue())).toList();
	}

	static EntryView entry(String what, TableEntry e, Class<?> layout) {
		if (!e.found()) {
			return new EntryView(what, e.address(), null, e.error() == null ? "not found" : e.error().type().name(), List.of());
		}
		List<FieldRow> fields = new ArrayList<>();
		for (java.lang.reflect.Field f : layout.getFields()) {
			if (f.getType() == Field.class && Modifier.isStatic(f.getModifiers()) && !f.getName().startsWith("L1_")) {
				Field field = fieldConstant(f);
				long v = field.get(e.words());
				if (field == Ste.S1CTXPTR || field == Ste.S2TTB || field == Cd.TTB0 || field == Cd.TTB1) {
					v <<= field.lo();
				}
				if (v != 0 || field == Ste.V || field == Ste.CONFIG || field == Cd.V) {
					fields.add(new FieldRow(field.name(), v, meaning(field, v)));
				}
			}
		}
		return new EntryView(what, e.address(), e.words(), null, fields);
	}

	private static Field fieldConstant(java.lang.reflect.Field f) {
		try {
			return (Field) f.get(null);
		} catch (IllegalAccessException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static String meaning(Field f, long v) {
		if (f == Ste.CONFIG) {
			return Ste.configName((int) v);
		}
		if (f == Ste.S1DSS) {
			return switch ((int) v) {
				case Ste.S1DSS_TERMINATE -> "terminate";
				case Ste.S1DSS_BYPASS -> "bypass";
				case Ste.S1DSS_SSID0 -> "ssid0";
				default -> "reserved";
			};
		}
		if (f == Ste.S2TG) {
			return switch ((int) v) {
				case Ste.S2TG_4K -> "4K";
				case Ste.S2TG_64K -> "64K";
				case Ste.S2TG_16K -> "16K";
				default -> "reserved";
			};
		}
		if (f == Cd.TG0) {
			int g = Cd.tg0Granule((int) v);
			return g == 0 ? "reserved" : (g >> 10) + "K";
		}
		if (f == Ste.S2PS || f == Cd.IPS) {
			int bits = Regs.oasBits((int) v);
			return bits < 0 ? "reserved" : bits + "-bit";
		}
		if (f == Ste.S2T0SZ || f == Cd.T0SZ) {
			return (64 - v) + "-bit input";
		}
		return "";
	}

	private static final Object[][] REGISTERS = {
			{ "IDR0", Regs.IDR0, false }, { "IDR1", Regs.IDR1, false }, { "IDR2", Regs.IDR2, false }, { "IDR3", Regs.IDR3, false },
			{ "IDR4", Regs.IDR4, false }, { "IDR5", Regs.IDR5, false }, { "IIDR", Regs.IIDR, false }, { "AIDR", Regs.AIDR, false },
			{ "CR0", Regs.CR0, false }, { "CR0ACK", Regs.CR0ACK, false }, { "CR1", Regs.CR1, false }, { "CR2", Regs.CR2, false },
			{ "GBPA", Regs.GBPA, false }, { "IRQ_CTRL", Regs.IRQ_CTRL, false }, { "IRQ_CTRLACK", Regs.IRQ_CTRLACK, false },
			{ "GERROR", Regs.GERROR, false }, { "GERRORN", Regs.GERRORN, false }, { "STRTAB_BASE", Regs.STRTAB_BASE, true },
			{ "STRTAB_BASE_CFG", Regs.STRTAB_BASE_CFG, false }, { "CMDQ_BASE", Regs.CMDQ_BASE, true },
			{ "CMDQ_PROD", Regs.CMDQ_PROD, false }, { "CMDQ_CONS", Regs.CMDQ_CONS, false }, { "EVENTQ_BASE", Regs.EVENTQ_BASE, true },
			{ "EVENTQ_PROD", Regs.EVENTQ_PROD, false }, { "EVENTQ_CONS", Regs.EVENTQ_CONS, false } };

	private static String decode(String name, long v) {
		StringBuilder sb = new StringBuilder();
		switch (name) {
			case "IDR0" -> fields(sb, v, Regs.IDR0_S1P, Regs.IDR0_S2P, Regs.IDR0_TTF, Regs.IDR0_COHACC, Regs.IDR0_HYP, Regs.IDR0_ATS,
					Regs.IDR0_ASID16, Regs.IDR0_MSI, Regs.IDR0_PRI, Regs.IDR0_VMID16, Regs.IDR0_CD2L, Regs.IDR0_TTENDIAN,
					Regs.IDR0_STALL_MODEL, Regs.IDR0_TERM_MODEL, Regs.IDR0_ST_LEVEL);
			case "IDR1" -> fields(sb, v, Regs.IDR1_SIDSIZE, Regs.IDR1_SSIDSIZE, Regs.IDR1_PRIQS, Regs.IDR1_EVENTQS, Regs.IDR1_CMDQS,
					Regs.IDR1_ATTR_TYPES_OVR);
			case "IDR3" -> fields(sb, v, Regs.IDR3_FWB, Regs.IDR3_RIL, Regs.IDR3_BBML);
			case "IDR5" -> {
				fields(sb, v, Regs.IDR5_GRAN4K, Regs.IDR5_GRAN16K, Regs.IDR5_GRAN64K, Regs.IDR5_VAX);
				sb.append(" OAS=").append(Regs.oasBits((int) Regs.IDR5_OAS.get(v))).append("-bit");
			}
			case "CR0", "CR0ACK" -> flags(sb, v, "SMMUEN", Regs.CR0_SMMUEN, "PRIQEN", Regs.CR0_PRIQEN, "EVENTQEN", Regs.CR0_EVENTQEN,
					"CMDQEN", Regs.CR0_CMDQEN);
			case "GBPA" -> flags(sb, v, "UPDATE", Regs.GBPA_UPDATE, "ABORT", Regs.GBPA_ABORT);
			case "GERROR", "GERRORN" -> flags(sb, v, "CMDQ_ERR", Regs.GERROR_CMDQ_ERR, "EVENTQ_ABT_ERR", Regs.GERROR_EVENTQ_ABT_ERR,
					"PRIQ_ABT_ERR", Regs.GERROR_PRIQ_ABT_ERR, "SFM_ERR", Regs.GERROR_SFM_ERR);
			case "STRTAB_BASE_CFG" -> fields(sb, v, Regs.STRTAB_CFG_FMT, Regs.STRTAB_CFG_SPLIT, Regs.STRTAB_CFG_LOG2SIZE);
			case "STRTAB_BASE" -> sb.append(String.format("ADDR=0x%x", v & Regs.STRTAB_BASE_ADDR_MASK));
			case "CMDQ_BASE", "EVENTQ_BASE" -> sb.append(String.format("ADDR=0x%x LOG2SIZE=%d", v & Regs.Q_BASE_ADDR_MASK,
					Regs.Q_BASE_LOG2SIZE.get(v)));
			case "CMDQ_CONS" -> sb.append(String.format("ptr=0x%x ERR=%d", v & 0xfffff, Regs.CMDQ_CONS_ERR.get(v)));
			default -> {
			}
		}
		return sb.toString().trim();
	}

	private static void fields(StringBuilder sb, long v, Field... fs) {
		for (Field f : fs) {
			long x = f.get(v);
			if (x != 0) {
				sb.append(' ').append(f.name()).append('=').append(x);
			}
		}
	}

	private static void flags(StringBuilder sb, long v, Object... nameBit) {
		for (int i = 0; i < nameBit.length; i += 2) {
			if ((v & (Integer) nameBit[i + 1]) != 0) {
				sb.append(' ').append(nameBit[i]);
			}
		}
	}
}
