package smmu.accel.config;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import smmu.accel.config.VmDescription.Accel;
import smmu.accel.config.VmDescription.Bus;
import smmu.accel.config.VmDescription.BusKind;
import smmu.accel.config.VmDescription.Device;
import smmu.accel.config.VmDescription.EmulatedPci;
import smmu.accel.config.VmDescription.Iommufd;
import smmu.accel.config.VmDescription.Machine;
import smmu.accel.config.VmDescription.Memory;
import smmu.accel.config.VmDescription.Option;
import smmu.accel.config.VmDescription.PxbPcie;
import smmu.accel.config.VmDescription.RootPort;
import smmu.accel.config.VmDescription.Smmuv3;
import smmu.accel.config.VmDescription.VfioPci;

/**
 * Parses a {@code qemu-system-aarch64 -machine virt} description into a {@link VmDescription}, refusing
 * what QEMU refuses with QEMU's message ({@link VmConfigException}). Three input forms: an argument list,
 * one shell-style line ({@link #parse(String)}), and a config file with one option per line
 * ({@link #parseConfigFile(String)}).
 */
public final class VmConfigParser {
	/** The QOM type behind {@code -machine virt} (the newest versioned virt type of QEMU master M). */
	public static final String VIRT_TYPE = "virt-11.0-machine";

	private static final Set<String> WITH_ARG = Set.of("machine", "M", "accel", "m", "object", "device", "cpu",
			"smp", "bios", "kernel", "initrd", "append", "dtb", "drive", "blockdev", "netdev", "nic", "serial",
			"monitor", "mon", "qmp", "chardev", "name", "numa", "boot", "display", "vga", "rtc", "L", "uuid",
			"global", "incoming", "D", "d", "pflash", "fsdev", "virtfs", "audiodev", "trace", "overcommit", "msg",
			"icount", "action", "smbios", "fw_cfg", "vnc", "pidfile", "runas", "sandbox", "add-fd", "cdrom", "hda");
	private static final Set<String> FLAGS = Set.of("enable-kvm", "nographic", "nodefaults", "S", "no-reboot",
			"no-shutdown", "daemonize", "no-user-config", "snapshot", "s", "preconfig", "only-migratable");
	private static final Set<String> MACHINE_KEPT = Set.of("highmem", "highmem-mmio-size", "highmem-ecam",
			"highmem-redists", "highmem-compact", "highmem-mmio", "compact-highmem", "msi", "ras", "mte", "secure",
			"virtualization", "dtb-randomness", "dtb-kaslr", "memory-backend", "dump-guest-core", "mem-merge",
			"usb", "graphics", "firmware", "x-oem-id", "x-oem-table-id", "cxl", "memory-encryption");
	private static final Set<String> KVM_KEPT = Set.of("dirty-ring-size", "eager-split-size", "notify-vmexit",
			"honor-guest-pat", "kvm-shadow-mem");
	private static final Set<String> TCG_KEPT = Set.of("thread", "tb-size", "split-wx", "one-insn-per-tb");
	private static final Set<String> OBJECTS_KEPT = Set.of("memory-backend-ram", "memory-backend-file",
			"memory-backend-memfd", "rng-random", "rng-builtin", "secret", "main-loop", "iothread",
			"thread-context");
	private static final Set<String> ENDPOINTS = Set.of("virtio-net-pci", "virtio-blk-pci", "virtio-scsi-pci",
			"virtio-rng-pci", "virtio-gpu-pci", "virtio-serial-pci", "virtio-balloon-pci", "virtio-keyboard-pci",
			"virtio-mouse-pci", "virtio-9p-pci", "vhost-user-fs-pci", "e1000e", "e1000", "igb", "rtl8139",
			"nvme", "qemu-xhci", "nec-usb-xhci", "ich9-ahci", "megasas", "pvscsi", "ivshmem-plain", "edu",
			"pci-testdev", "iommu-testdev", "bochs-display", "ramfb-pci");
	private static final String VIRTIO_IOMMU = "virtio-iommu-pci";
	private static final Set<String> PXB_KEPT = Set.of("numa_node", "multifunction", "romfile", "rombar");
	private static final Set<String> RP_KEPT = Set.of("pref64-reserve", "pref32-reserve", "mem-reserve",
			"io-reserve", "bus-reserve", "port", "multifunction", "x-speed", "x-width", "hotplug",
			"x-native-hotplug", "power_controller_present", "aer_log_max", "romfile", "rombar");
	private static final Set<String> VFIO_KEPT = Set.of("rombar", "romfile", "x-vpasid-cap-offset", "multifunction",
			"bootindex", "display", "enable-migration", "x-no-mmap", "x-pre-copy-dirty-page-tracking",
			"failover_pair_id", "x-igd-opregion", "x-pci-vendor-id", "x-pci-device-id", "x-pci-sub-vendor-id",
			"x-pci-sub-device-id", "x-msix-relocation", "x-no-kvm-intx", "x-no-kvm-msi", "x-no-kvm-msix",
			"sub-vendor-id", "sub-device-id", "vendor-id", "device-id", "x-req", "x-balloon-allowed",
			"ramfb", "migration-events");
	private static final List<String> SSID_VALUES = ssidValues();
	private static final List<String> OAS_VALUES = List.of("auto", "32", "36", "40", "42", "44", "48", "52");

	private VmConfigParser() {
	}

	/** Parses a command line split like a POSIX shell would (quotes, backslashes, line continuations). */
	public static VmDescription parse(String commandLine) {
		return parse(shellSplit(commandLine));
	}

	/**
	 * Parses a config file: one option per line ({@code -device arm-smmuv3,...}, the dash optional), the
	 * rest of the line after the first blank as its argument; blank lines and {@code #} comments skipped.
	 */
	public static VmDescription parseConfigFile(String text) {
		List<String> args = new ArrayList<>();
		for (String raw : text.split("\r?\n")) {
			String line = raw.strip();
			if (line.isEmpty() || line.startsWith("#"))
				continue;
			int sp = indexOfBlank(line);
			String name = sp < 0 ? line : line.substring(0, sp);
			args.add(name.startsWith("-") ? name : "-" + name);
			if (sp >= 0)
				args.add(line.substring(sp).strip());
		}
		return parse(args);
	}

	/** Parses QEMU arguments; a leading program name (not starting with '-') is skipped. */
	public static VmDescription parse(List<String> args) {
		return new Build(true, true).run(args);
	}

	/**
	 * {@link #parse(List)} on a host whose interrupt controller is known: KVM's in-kernel vGIC can emulate
	 * a GICv2 only on a GICv2 host (the model's GICv3 hosts have no GICv2 compatibility interface) and a
	 * GICv3 only on a GICv3 host, so an unselected {@code gic-version} finalises to the host's (QEMU's
	 * {@code finalize_gic_version} from {@code kvm_arm_vgic_probe}): a GICv3 ITS host gives the VM a GICv3
	 * with an ITS, its vSMMUs' msi-gpa 0x8090040.
	 *
	 * @param hostGicv3 the host has a GICv3 (else a GICv2)
	 */
	public static VmDescription parse(List<String> args, boolean hostGicv3) {
		return new Build(!hostGicv3, hostGicv3).run(args);
	}

	private static int indexOfBlank(String s) {
		for (int i = 0; i < s.length(); i++)
			if (Character.isWhitespace(s.charAt(i)))
				return i;
		return -1;
	}

	/** Splits a line into words as sh does: blanks separate, '...' literal, "..." with \ escapes, \ quotes one char. */
	public static List<String> shellSplit(String s) {
		List<String> out = new ArrayList<>();
		StringBuilder w = new StringBuilder();
		boolean inWord = false;
		int i = 0;
		while (i < s.length()) {
			char c = s.charAt(i);
			if (c == '\\') {
				if (i + 1 < s.length() && s.charAt(i + 1) == '\n') {
					i += 2;
					continue;
				}
				if (i + 1 < s.length()) {
					w.append(s.charAt(i + 1));
					inWord = true;
				}
				i += 2;
			} else if (c == '\'') {
				int end = s.indexOf('\'', i + 1);
				if (end < 0)
					throw new VmConfigException(null, "unterminated single quote");
				w.append(s, i + 1, end);
				inWord = true;
				i = end + 1;
			} else if (c == '"') {
				i++;
				while (true) {
					if (i >= s.length())
						throw new VmConfigException(null, "unterminated double quote");
					char d = s.charAt(i);
					if (d == '"')
						break;
					if (d == '\\' && i + 1 < s.length() && "\"\\$`\n".indexOf(s.charAt(i + 1)) >= 0) {
						if (s.charAt(i + 1) != '\n')
							w.append(s.charAt(i + 1));
						i += 2;
						continue;
					}
					w.append(d);
					i++;
				}
				inWord = true;
				i++;
			} else if (Character.isWhitespace(c)) {
				if (inWord) {
					out.add(w.toString());
					w.setLength(0);
					inWord = false;
				}
				i++;
			} else {
				w.append(c);
				inWord = true;
				i++;
			}
		}
		if (inWord)
			out.add(w.toString());
		return out;
	}

	/** Formats a byte count with the largest exact unit (4G, 512M, 1536K) as -m prints cleanly. */
	static String formatSize(long bytes) {
		String[] units = { "E", "P", "T", "G", "M", "K" };
		for (int i = 0; i < units.length; i++) {
			long unit = 1L << (10 * (6 - i));
			if (bytes != 0 && bytes % unit == 0)
				return (bytes / unit) + units[i];
		}
		return bytes + "B";
	}

	/** qemu_strtosz: a number with an optional fraction and a B/K/M/G/T/P/E suffix ({@code defSuffix} if none). */
	static long parseSize(String s, char defSuffix) {
		int i = 0;
		while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.'))
			i++;
		if (i == 0)
			return -1;
		String num = s.substring(0, i);
		String suf = s.substring(i);
		char u = suf.isEmpty() ? defSuffix : Character.toUpperCase(suf.charAt(0));
		if (suf.length() > 1)
			return -1;
		int shift = switch (u) {
		case 'B' -> 0;
		case 'K' -> 10;
		case 'M' -> 20;
		case 'G' -> 30;
		case 'T' -> 40;
		case 'P' -> 50;
		case 'E' -> 60;
		default -> -1;
		};
		if (shift < 0)
			return -1;
		try {
			BigDecimal v = new BigDecimal(num).multiply(BigDecimal.valueOf(2).pow(shift));
			if (v.signum() < 0 || v.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0)
				return -1;
			return v.longValue();
		} catch (NumberFormatException e) {
			return -1;
		}
	}

	private static List<String> ssidValues() {
		List<String> l = new ArrayList<>();
		l.add("auto");
		for (int i = 0; i <= 20; i++)
			l.add(Integer.toString(i));
		return List.copyOf(l);
	}

	/** One option after the argv scan: name, argument, and for -device/-object the QemuOpts view. */
	private record Opt(String name, String arg, String first, String id, LinkedHashMap<String, String> props) {
		String where() {
			return arg == null ? "-" + name : "-" + name + " " + arg;
		}
	}

	/** A PCI bus while building. */
	private static final class BusNode {
		final String name;
		final BusKind kind;
		final BusNode parent;
		final DevNode bridge;
		final String typeName;
		final int rootNumber;
		final boolean bypass;
		final DevNode[] slots = new DevNode[256];
		int smmu = -1;
		int number;

		BusNode(String name, BusKind kind, BusNode parent, DevNode bridge, String typeName, int rootNumber,
				boolean bypass) {
			this.name = name;
			this.kind = kind;
			this.parent = parent;
			this.bridge = bridge;
			this.typeName = typeName;
			this.rootNumber = rootNumber;
			this.bypass = bypass;
		}

		boolean isRoot() {
			return kind != BusKind.ROOT_PORT;
		}

		BusNode root() {
			BusNode b = this;
			while (!b.isRoot())
				b = b.parent;
			return b;
		}
	}

	/** A device while building. */
	private static final class DevNode {
		final String type;
		final String id;
		final LinkedHashMap<String, String> props = new LinkedHashMap<>();
		final int index;
		BusNode bus;
		BusNode secondary;
		int devfn = -1;
		int smmu = -1;
		boolean legacySmmu;
		int chassis;
		int slot;
		int busNr;
		boolean bypass;
		String host;
		String iommufd;
		boolean accel;
		String stage;
		OnOffAuto ril = OnOffAuto.ON;
		OnOffAuto ats = OnOffAuto.OFF;
		int ssidsize;
		int oas = 44;
		long msiGpa;
		String primaryBus;
		BusNode primary;
		int smmuIndex;

		DevNode(String type, String id, int index) {
			this.type = type;
			this.id = id;
			this.index = index;
		}

		boolean isBridge() {
			return type.equals("pcie-root-port");
		}
	}

	private static final class Build {
		/** What KVM's vGIC can emulate on this host (kvm_arm_vgic_probe). */
		private final boolean kvmV2, kvmV3;

		Build(boolean kvmV2, boolean kvmV3) {
			this.kvmV2 = kvmV2;
			this.kvmV3 = kvmV3;
		}

		private final List<Opt> opts = new ArrayList<>();
		private final List<Option> kept = new ArrayList<>();
		private final List<String> warnings = new ArrayList<>();
		private final List<BusNode> buses = new ArrayList<>();
		private final List<DevNode> devices = new ArrayList<>();
		private final List<DevNode> smmus = new ArrayList<>();
		private final Map<String, Iommufd> iommufds = new LinkedHashMap<>();
		private final List<String> objectIds = new ArrayList<>();
		private String machineType;
		private final LinkedHashMap<String, String> machineProps = new LinkedHashMap<>();
		private String gicVersion;
		private boolean legacySmmu;
		/** vms->iommu == VIRT_IOMMU_VIRTIO: a virtio-iommu-pci was plugged */
		private boolean virtioIommu;
		private OnOffAuto acpi = OnOffAuto.AUTO;
		private boolean its = true;
		private boolean defaultBypass;
		private boolean firmware;
		private int gic;
		private String accelType;
		private String machineAccel;
		private String kernelIrqchip;
		private final LinkedHashMap<String, String> accelProps = new LinkedHashMap<>();
		private long ramSize = 128L << 20;
		private final LinkedHashMap<String, String> memProps = new LinkedHashMap<>();
		private int numaNodes;
		private int maxCpus = 1;
		private int autoRootPortBus;
		private int autoPxbBus;

		VmDescription run(List<String> args) {
			scan(args);
			memory();
			machine();
			accelerator();
			objects();
			machineInit();
			for (Opt o : opts)
				if (o.name.equals("device"))
					device(o);
			machineDone();
			numberBuses();
			return result();
		}

		// --- argv scan: option names, QemuOpts syntax, ids (qemu_opts_create) ---

		private void scan(List<String> args) {
			Map<String, List<String>> ids = new LinkedHashMap<>();
			int i = 0;
			if (!args.isEmpty() && !args.get(0).startsWith("-"))
				i = 1;
			List<String[]> raw = new ArrayList<>();
			for (; i < args.size(); i++) {
				String a = args.get(i);
				if (!a.startsWith("-") || a.length() == 1) {
					raw.add(new String[] { "hda", a });
					continue;
				}
				String name = a.startsWith("--") ? a.substring(2) : a.substring(1);
				if (name.equals("M"))
					name = "machine";
				String arg = null;
				if (WITH_ARG.contains(name)) {
					if (i + 1 >= args.size())
						throw new VmConfigException(a, "requires an argument");
					arg = args.get(++i);
				} else if (!FLAGS.contains(name)) {
					throw new VmConfigException(a, "invalid option");
				}
				raw.add(new String[] { name, arg });
			}
			boolean bios = false, kernel = false;
			for (String[] r : raw) {
				String name = r[0], arg = r[1];
				Opt o = switch (name) {
				case "device" -> qemuOpts(name, arg, "driver", ids, "device");
				case "object" -> qemuOpts(name, arg, "qom-type", ids, "object");
				case "machine" -> qemuOpts(name, arg, "type", null, null);
				case "accel" -> qemuOpts(name, arg, "accel", null, null);
				case "m" -> qemuOpts(name, arg, "size", null, null);
				default -> new Opt(name, arg, null, null, null);
				};
				switch (name) {
				case "device", "object", "machine", "accel", "m", "enable-kvm" -> opts.add(o);
				default -> {
					kept.add(new Option(name, arg));
					if (name.equals("bios") || name.equals("pflash")
							|| (name.equals("drive") && arg.contains("if=pflash")))
						bios = true;
					if (name.equals("kernel"))
						kernel = true;
					if (name.equals("numa") && (arg.equals("node") || arg.startsWith("node,")))
						numaNodes++;
					if (name.equals("smp"))
						maxCpus = smpMaxCpus(arg);
				}
				}
			}
			// virt_firmware_init: firmware is loaded only with -bios or a flash0 image (-pflash, -drive if=pflash);
			// a description with neither boots nothing through firmware, so it is a DT machine
			firmware = bios;
		}

		private static int smpMaxCpus(String arg) {
			int cpus = 1, max = -1;
			boolean first = true;
			for (String p : arg.split(",")) {
				String k = "cpus", v = p;
				int eq = p.indexOf('=');
				if (eq >= 0) {
					k = p.substring(0, eq);
					v = p.substring(eq + 1);
				} else if (!first) {
					continue;
				}
				first = false;
				try {
					if (k.equals("cpus"))
						cpus = Integer.parseInt(v);
					else if (k.equals("maxcpus"))
						max = Integer.parseInt(v);
				} catch (NumberFormatException e) {
					// -smp syntax is not modelled beyond the CPU count
				}
			}
			return Math.max(cpus, max);
		}

		/** QemuOpts value syntax: up to the next single ',' (",," is a literal comma); returns the index after it. */
		private static int readValue(String arg, int q, StringBuilder v) {
			while (q < arg.length()) {
				char c = arg.charAt(q);
				if (c == ',') {
					if (q + 1 < arg.length() && arg.charAt(q + 1) == ',') {
						v.append(',');
						q += 2;
						continue;
					}
					break;
				}
				v.append(c);
				q++;
			}
			return q;
		}

		private Opt qemuOpts(String name, String arg, String implied, Map<String, List<String>> ids, String list) {
			String where = "-" + name + " " + arg;
			LinkedHashMap<String, String> props = new LinkedHashMap<>();
			String first = null, id = null;
			int p = 0;
			boolean firstElem = true;
			while (p < arg.length()) {
				int q = p;
				while (q < arg.length() && arg.charAt(q) != ',' && arg.charAt(q) != '=')
					q++;
				String key = arg.substring(p, q);
				String value;
				if (q < arg.length() && arg.charAt(q) == '=') {
					StringBuilder v = new StringBuilder();
					q = readValue(arg, q + 1, v);
					value = v.toString();
				} else if (firstElem && implied != null) {
					StringBuilder v = new StringBuilder();
					q = readValue(arg, p, v);
					value = v.toString();
					key = implied;
				} else {
					value = "on";
				}
				firstElem = false;
				p = q < arg.length() ? q + 1 : q;
				if (key.isEmpty())
					continue;
				if (key.equals("id")) {
					if (id == null)
						id = value;
					continue;
				}
				if (key.equals(implied) && first == null) {
					first = value;
					continue;
				}
				props.put(key, value);
			}
			if (ids != null && id != null) {
				if (!id.matches("[A-Za-z][A-Za-z0-9._-]*"))
					throw new VmConfigException(where, "Parameter 'id' expects an identifier");
				List<String> seen = ids.computeIfAbsent(list, k -> new ArrayList<>());
				if (seen.contains(id))
					throw new VmConfigException(where, "Duplicate ID '" + id + "' for " + list);
				seen.add(id);
			}
			return new Opt(name, arg, first, id, props);
		}

		// --- machine, accelerator, memory, objects ---

		private void machine() {
			Opt last = null;
			for (Opt o : opts) {
				if (o.name.equals("enable-kvm"))
					machineProps.put("accel", "kvm");
				if (!o.name.equals("machine"))
					continue;
				last = o;
				if (o.first != null)
					machineType = o.first;
				for (Map.Entry<String, String> e : o.props.entrySet())
					machineProps.put(e.getKey(), e.getValue());
			}
			if (machineType == null)
				throw new VmConfigException(null, "No machine specified, and there is no default");
			if (!machineType.equals("virt") && !machineType.matches("virt-\\d+\\.\\d+"))
				throw new VmConfigException(null, "unsupported machine type: \"" + machineType + "\"");
			String where = last.where();
			LinkedHashMap<String, String> canon = new LinkedHashMap<>();
			for (Map.Entry<String, String> e : machineProps.entrySet()) {
				String k = e.getKey(), v = e.getValue();
				switch (k) {
				case "gic-version" -> {
					if (!Set.of("2", "3", "4", "host", "max").contains(v))
						throw new VmConfigException(where, "Invalid gic-version value");
					gicVersion = v;
					canon.put(k, v);
				}
				case "iommu" -> {
					if (!v.equals("none") && !v.equals("smmuv3"))
						throw new VmConfigException(where, "Invalid iommu value");
					legacySmmu = v.equals("smmuv3");
					canon.put(k, v);
				}
				case "acpi" -> {
					acpi = onOffAuto(where, k, v);
					canon.put(k, acpi.qapiName());
				}
				case "its" -> {
					its = bool(where, k, v);
					canon.put(k, its ? "on" : "off");
				}
				case "default-bus-bypass-iommu" -> {
					defaultBypass = bool(where, k, v);
					canon.put(k, defaultBypass ? "on" : "off");
				}
				case "kernel-irqchip", "kernel_irqchip" -> kernelIrqchip = v;
				case "accel" -> machineAccel = v;
				default -> {
					if (!MACHINE_KEPT.contains(k))
						throw new VmConfigException(where, "Property '" + VIRT_TYPE + "." + k + "' not found");
					canon.put(k, v);
				}
				}
			}
			machineProps.clear();
			machineProps.putAll(canon);
		}

		private void accelerator() {
			List<Opt> accels = new ArrayList<>();
			for (Opt o : opts)
				if (o.name.equals("accel"))
					accels.add(o);
			if (!accels.isEmpty() && machineAccel != null)
				throw new VmConfigException(null, "The -accel and \"-machine accel=\" options are incompatible");
			if (accels.isEmpty()) {
				for (String name : (machineAccel == null ? "tcg" : machineAccel).split(":"))
					accels.add(new Opt("accel", name, name, null, new LinkedHashMap<>()));
			}
			Opt chosen = null;
			String failed = null;
			for (Opt o : accels) {
				if (o.first == null)
					throw new VmConfigException(o.where(), "Parameter 'accel' is missing");
				if (o.first.equals("kvm") || o.first.equals("tcg")) {
					chosen = o;
					break;
				}
				failed = o.first;
				warnings.add("invalid accelerator " + o.first);
			}
			if (chosen == null)
				throw new VmConfigException(null, "invalid accelerator " + failed);
			String where = chosen.where();
			accelType = chosen.first;
			if (failed != null)
				warnings.add("falling back to " + accelType.toUpperCase(java.util.Locale.ROOT));
			boolean kvm = accelType.equals("kvm");
			if (!kvm)
				kernelIrqchip = null;
			for (Map.Entry<String, String> e : chosen.props.entrySet()) {
				String k = e.getKey(), v = e.getValue();
				if (kvm && k.equals("kernel-irqchip")) {
					kernelIrqchip = v;
				} else if ((kvm ? KVM_KEPT : TCG_KEPT).contains(k)) {
					accelProps.put(k, v);
				} else {
					throw new VmConfigException(where, "Property '" + accelType + "-accel." + k + "' not found");
				}
			}
			if (kernelIrqchip != null && !Set.of("on", "off", "split").contains(kernelIrqchip))
				throw new VmConfigException(where,
						"Parameter 'kernel-irqchip' does not accept value '" + kernelIrqchip + "'");
			if ("split".equals(kernelIrqchip))
				throw new VmConfigException(null, "-machine kernel_irqchip=split is not supported on ARM.");
		}

		private void memory() {
			for (Opt o : opts) {
				if (!o.name.equals("m"))
					continue;
				if (o.first != null) {
					long s = parseSize(o.first, 'M');
					if (s < 0)
						throw new VmConfigException(o.where(),
								"Parameter 'size' expects a non-negative number below 2^64");
					ramSize = s;
				}
				for (Map.Entry<String, String> e : o.props.entrySet()) {
					String k = e.getKey();
					if (k.equals("size")) {
						long s = parseSize(e.getValue(), 'M');
						if (s < 0)
							throw new VmConfigException(o.where(),
									"Parameter 'size' expects a non-negative number below 2^64");
						ramSize = s;
					} else if (k.equals("maxmem")) {
						if (parseSize(e.getValue(), 'B') < 0)
							throw new VmConfigException(o.where(),
									"Parameter 'maxmem' expects a non-negative number below 2^64");
						memProps.put(k, e.getValue());
					} else if (k.equals("slots")) {
						if (!e.getValue().matches("\\d+"))
							throw new VmConfigException(o.where(), "Parameter 'slots' expects a number");
						memProps.put(k, e.getValue());
					} else {
						throw new VmConfigException(o.where(), "Invalid parameter '" + k + "'");
					}
				}
			}
		}

		private void objects() {
			for (Opt o : opts) {
				if (!o.name.equals("object"))
					continue;
				if (o.first == null)
					throw new VmConfigException(o.where(), "Parameter 'qom-type' is missing");
				if (OBJECTS_KEPT.contains(o.first)) {
					kept.add(new Option("object", o.arg));
					if (o.id != null)
						objectIds.add(o.id);
					continue;
				}
				if (!o.first.equals("iommufd"))
					throw new VmConfigException(o.where(), "invalid object type: " + o.first);
				if (o.id == null)
					throw new VmConfigException(o.where(), "Parameter 'id' is missing");
				for (String k : o.props.keySet())
					if (!k.equals("fd"))
						throw new VmConfigException(o.where(), "Invalid parameter '" + k + "'");
				iommufds.put(o.id, new Iommufd(o.id, o.props));
				objectIds.add(o.id);
			}
		}

		/** finalize_gic_version; the host's in-kernel vGIC is taken to emulate GICv2 and GICv3 (not GICv4). */
		private void machineInit() {
			boolean kvm = accelType.equals("kvm");
			boolean inKernel = kvm && !"off".equals(kernelIrqchip);
			String accelName;
			boolean v2, v3, v4;
			if (inKernel) {
				accelName = "KVM";
				v2 = kvmV2;
				v3 = kvmV3;
				v4 = false;
			} else if (kvm) {
				accelName = "KVM with kernel-irqchip=off";
				v2 = true;
				v3 = false;
				v4 = false;
			} else {
				accelName = "TCG";
				v2 = true;
				v3 = true;
				v4 = "on".equals(machineProps.get("virtualization"));
			}
			String g = gicVersion;
			if ("host".equals(g)) {
				if (!kvm)
					throw new VmConfigException(null, "gic-version=host requires KVM");
				g = "max";
			}
			if ("max".equals(g)) {
				gic = v4 ? 4 : v3 ? 3 : 2;
			} else if (g == null) {
				if (v2 && maxCpus <= 8)
					gic = 2;
				else if (v3)
					gic = 3;
				else
					throw new VmConfigException(null, accelName
							+ " only supports GICv2 emulation but more than 8 vcpus are requested");
			} else {
				gic = Integer.parseInt(g);
			}
			if (gic == 2 && !v2)
				throw new VmConfigException(null, accelName + " does not support GICv2 emulation");
			if (gic == 3 && !v3)
				throw new VmConfigException(null, accelName + " does not support GICv3 emulation");
			if (gic == 4 && !v4)
				throw new VmConfigException(null,
						accelName + " does not support GICv4 emulation, is virtualization=on?");
			BusNode pcie0 = new BusNode("pcie.0", BusKind.ROOT, null, null, "PCIE", 0, defaultBypass);
			pcie0.slots[0] = new DevNode("gpex-root", null, -1);
			buses.add(pcie0);
		}

		// --- devices ---

		private void device(Opt o) {
			String where = o.where();
			String driver = o.first;
			if (driver == null)
				throw new VmConfigException(where, "Parameter 'driver' is missing");
			boolean pci = driver.equals("pxb-pcie") || driver.equals("pcie-root-port") || driver.equals("vfio-pci")
					|| driver.equals(VIRTIO_IOMMU) || ENDPOINTS.contains(driver);
			if (!pci && !driver.equals("arm-smmuv3"))
				throw new VmConfigException(where, "'" + driver + "' is not a valid device model name");
			LinkedHashMap<String, String> props = new LinkedHashMap<>(o.props);
			String busName = props.remove("bus");
			BusNode bus = null;
			if (busName != null) {
				bus = findBus(busName);
				if (bus == null)
					throw new VmConfigException(where, "Bus '" + busName + "' not found");
				if (!pci)
					throw new VmConfigException(where,
							"Device '" + driver + "' can't go on " + bus.typeName + " bus");
			} else if (pci) {
				bus = buses.get(0);
			}
			DevNode d = new DevNode(driver, o.id, devices.size());
			d.bus = bus;
			switch (driver) {
			case "arm-smmuv3" -> smmu(where, d, props);
			case "pxb-pcie" -> pxb(where, d, props);
			case "pcie-root-port" -> rootPort(where, d, props);
			case "vfio-pci" -> vfio(where, d, props);
			case VIRTIO_IOMMU -> {
				// virt_machine_device_pre_plug_cb, before the device realizes
				if (legacySmmu || !smmus.isEmpty() || virtioIommu)
					throw new VmConfigException(where, "virt machine does not support multiple IOMMUs");
				endpoint(where, d, props);
				virtioIommu = true;
			}
			default -> endpoint(where, d, props);
			}
			devices.add(d);
		}

		private BusNode findBus(String name) {
			for (BusNode b : buses)
				if (b.name.equals(name))
					return b;
			return null;
		}

		private String addr(String where, DevNode d, String v) {
			String[] parts = v.split("\\.", -1);
			try {
				if (parts.length > 2)
					throw new NumberFormatException();
				String s = parts[0].startsWith("0x") || parts[0].startsWith("0X") ? parts[0].substring(2) : parts[0];
				int slot = Integer.parseInt(s, 16);
				int fn = parts.length == 2 ? Integer.parseInt(parts[1], 16) : 0;
				if (slot < 0 || slot > 31 || fn < 0 || fn > 7 || s.isEmpty() || s.startsWith("+")
						|| (parts.length == 2 && (parts[1].isEmpty() || parts[1].startsWith("+"))))
					throw new NumberFormatException();
				d.devfn = slot << 3 | fn;
				return v;
			} catch (NumberFormatException e) {
				throw new VmConfigException(where, "Property '" + d.type + ".addr' doesn't take value '" + v + "'");
			}
		}

		/** do_pci_register_device: extra-root-bus rule, devfn allocation, then the IOMMU's supports_address_space. */
		private void registerPci(String where, DevNode d) {
			BusNode bus = d.bus;
			if (bus.kind == BusKind.PXB_ROOT && !d.isBridge())
				throw new VmConfigException(where, "PCI: Only PCI/PCIe bridges can be plugged into pxb-pcie");
			if (d.devfn < 0) {
				for (int f = 0; f < 256; f += 8) {
					if (bus.slots[f] == null) {
						d.devfn = f;
						break;
					}
				}
				if (d.devfn < 0)
					throw new VmConfigException(where, "PCI: no slot/function available for " + d.type
							+ ", all in use or reserved");
			} else if (bus.slots[d.devfn] != null) {
				DevNode u = bus.slots[d.devfn];
				throw new VmConfigException(where, "PCI: slot " + (d.devfn >> 3) + " function " + (d.devfn & 7)
						+ " not available for " + d.type + ", in use by " + u.type + ",id=" + (u.id == null ? "(null)" : u.id));
			}
			findIommu(d);
			if (d.smmu >= 0 && smmus.get(d.smmu).accel) {
				// smmuv3_accel_pdev_allowed
				boolean bridge = d.isBridge() || d.type.equals("pxb-pcie");
				if (d.type.equals("vfio-pci")) {
					if (d.iommufd == null)
						throw new VmConfigException(where, "vfio-pci endpoint devices without an iommufd backend "
								+ "not allowed when using arm-smmuv3,accel=on");
				} else if (!bridge) {
					throw new VmConfigException(where,
							"Emulated endpoint devices are not allowed when using arm-smmuv3,accel=on");
				}
			}
			bus.slots[d.devfn] = d;
		}

		/** pci_device_get_iommu_bus_devfn, at the time the device is created. */
		private void findIommu(DevNode d) {
			BusNode b = d.bus;
			while (b.smmu < 0 && b.kind != BusKind.ROOT) {
				BusNode parent = b.kind == BusKind.PXB_ROOT ? buses.get(0) : b.parent;
				if (b.kind == BusKind.PXB_ROOT && parent.smmu >= 0)
					break;
				b = parent;
			}
			if (d.bus.root().bypass)
				return;
			if (b.smmu >= 0)
				d.smmu = b.smmu;
			else if (b.kind == BusKind.ROOT && legacySmmu)
				d.legacySmmu = true;
		}

		private void smmu(String where, DevNode d, LinkedHashMap<String, String> props) {
			String[] order = { "accel", "stage", "ril", "ats", "ssidsize", "oas", "msi-gpa", "bus_num" };
			for (Map.Entry<String, String> e : props.entrySet()) {
				String k = e.getKey(), v = e.getValue();
				switch (k) {
				case "primary-bus" -> {
					d.primaryBus = v;
					d.primary = resolveBusLink(where, k, v);
				}
				case "accel" -> {
					d.accel = bool(where, k, v);
					d.props.put(k, d.accel ? "on" : "off");
				}
				case "stage" -> {
					d.stage = v;
					d.props.put(k, v);
				}
				case "ril" -> {
					d.ril = onOffAuto(where, k, v);
					d.props.put(k, v);
				}
				case "ats" -> {
					d.ats = onOffAuto(where, k, v);
					d.props.put(k, v);
				}
				case "ssidsize" -> {
					d.ssidsize = enumValue(where, k, v, SSID_VALUES);
					d.props.put(k, v);
				}
				case "oas" -> {
					d.oas = enumValue(where, k, v, OAS_VALUES);
					d.props.put(k, v);
				}
				case "msi-gpa" -> {
					d.msiGpa = uint(where, k, v, -1L, null);
					d.props.put(k, "0x" + Long.toHexString(d.msiGpa));
				}
				case "bus_num" -> d.props.put(k, Long.toString(uint(where, k, v, 0xff, "uint8_t")));
				default -> throw new VmConfigException(where, "Property 'arm-smmuv3." + k + "' not found");
				}
			}
			reorder(d.props, order);
			// virt_machine_device_pre_plug_cb
			if (legacySmmu || virtioIommu)
				throw new VmConfigException(where, "virt machine already has " + (legacySmmu ? "iommu=smmuv3" : "virtio-iommu")
						+ " set. Doesn't support incompatible iommus");
			if (d.accel) {
				if (!accelType.equals("kvm") || "off".equals(kernelIrqchip))
					throw new VmConfigException(where, "SMMUv3 accel=on requires KVM with kernel-irqchip=on support");
				d.msiGpa = msiDoorbell();
			}
			// smmu_validate_property (N)
			if (d.oas != 44 && d.oas != 48)
				throw new VmConfigException(where, "QEMU SMMUv3 model only implements 44 and 48 bitOAS; "
						+ "other OasMode values are not supported");
			if (!d.accel) {
				if (d.ril == OnOffAuto.OFF)
					throw new VmConfigException(where, "ril can only be disabled if accel=on");
				if (d.ats == OnOffAuto.ON)
					throw new VmConfigException(where, "ats can only be enabled if accel=on");
				if (d.oas != 44)
					throw new VmConfigException(where, "OAS must be 44 bits when accel=off");
				if (d.ssidsize > 0)
					throw new VmConfigException(where, "ssidsize can only be greater than 0 bits if accel=on");
				d.ril = OnOffAuto.ON;
				d.ats = OnOffAuto.OFF;
				d.ssidsize = 0;
			} else if (d.stage != null && !d.stage.equals("1")) {
				throw new VmConfigException(where, "Only stage1 is supported for SMMUv3 with accel=on");
			}
			// smmu_base_realize
			if (d.primary == null)
				throw new VmConfigException(where, "SMMU is not attached to any PCI bus!");
			if (d.primary.kind == BusKind.ROOT_PORT)
				throw new VmConfigException(where, "SMMU should be attached to a default PCIe root complex(pcie.0) "
						+ "or a pxb-pcie based root complex");
			// virt_machine_device_plug_cb: platform bus slot, then the SMMUv3 checks
			int n = smmus.size();
			if ((n + 1) * 4 > VmDescription.PLATFORM_BUS_SPIS)
				throw new VmConfigException(null, "Platform Bus: Can not fit IRQ line");
			if (d.primary.bypass)
				throw new VmConfigException(where, "Bypass option cannot be set for SMMUv3 associated PCIe RC");
			if (!(firmware && acpi != OnOffAuto.OFF)) {
				if (d.accel)
					throw new VmConfigException(where, "SMMUv3 with accel=on not supported for DT");
				if (!d.primary.name.equals("pcie.0"))
					warnings.add("SMMUv3 device only supported with pcie.0 for DT");
			}
			d.smmuIndex = n;
			d.primary.smmu = n;
			smmus.add(d);
		}

		private long msiDoorbell() {
			if (gic >= 3)
				return its ? VmDescription.ITS_DOORBELL : 0;
			return VmDescription.GICV2M_DOORBELL;
		}

		/** object_resolve_link for link&lt;PCI&gt;: partial path lookup by name among buses, then any object. */
		private BusNode resolveBusLink(String where, String prop, String path) {
			BusNode found = null;
			int count = 0;
			for (BusNode b : buses) {
				if (b.name.equals(path)) {
					found = b;
					count++;
				}
			}
			if (count > 1)
				throw new VmConfigException(where, "Path '" + path + "' does not uniquely identify an object");
			if (found != null)
				return found;
			if (anyObject(path))
				throw new VmConfigException(where, "Invalid parameter type for '" + prop + "', expected: PCI");
			throw new VmConfigException(where, "Device '" + path + "' not found");
		}

		private boolean anyObject(String name) {
			if (objectIds.contains(name))
				return true;
			for (DevNode x : devices)
				if (name.equals(x.id))
					return true;
			return false;
		}

		private void pxb(String where, DevNode d, LinkedHashMap<String, String> props) {
			String[] order = { "bus_nr", "addr", "bypass_iommu" };
			Integer numa = null;
			for (Map.Entry<String, String> e : props.entrySet()) {
				String k = e.getKey(), v = e.getValue();
				switch (k) {
				case "bus_nr" -> {
					d.busNr = (int) uint(where, k, v, 0xff, "uint8_t");
					d.props.put(k, Integer.toString(d.busNr));
				}
				case "addr" -> d.props.put(k, addr(where, d, v));
				case "bypass_iommu" -> {
					d.bypass = bool(where, k, v);
					d.props.put(k, d.bypass ? "on" : "off");
				}
				case "numa_node" -> {
					numa = (int) uint(where, k, v, 0xffff, "uint16_t");
					d.props.put(k, numa.toString());
				}
				default -> {
					if (!PXB_KEPT.contains(k))
						throw new VmConfigException(where, "Property 'pxb-pcie." + k + "' not found");
					d.props.put(k, v);
				}
				}
			}
			reorder(d.props, order);
			registerPci(where, d);
			if (numa != null && numa != 0xffff && numa >= numaNodes)
				throw new VmConfigException(where, "Illegal numa node " + numa);
			// pxb_register_bus
			if (d.bus.kind != BusKind.ROOT)
				throw new VmConfigException(where, "PXB devices can be attached only to root bus");
			for (BusNode b : buses) {
				boolean childOfPcie0 = b.kind == BusKind.PXB_ROOT
						|| (b.kind == BusKind.ROOT_PORT && b.parent.kind == BusKind.ROOT);
				int num = b.kind == BusKind.PXB_ROOT ? b.rootNumber : 0;
				if (childOfPcie0 && num == d.busNr)
					throw new VmConfigException(where, "Bus " + d.busNr + " is already in use");
			}
			String name = d.id != null ? d.id : "pxb-pcie-bus." + autoPxbBus++;
			d.secondary = new BusNode(name, BusKind.PXB_ROOT, buses.get(0), d, "pxb-pcie-bus", d.busNr, d.bypass);
			buses.add(d.secondary);
		}

		private void rootPort(String where, DevNode d, LinkedHashMap<String, String> props) {
			String[] order = { "chassis", "slot", "addr" };
			for (Map.Entry<String, String> e : props.entrySet()) {
				String k = e.getKey(), v = e.getValue();
				switch (k) {
				case "chassis" -> {
					d.chassis = (int) uint(where, k, v, 0xff, "uint8_t");
					d.props.put(k, Integer.toString(d.chassis));
				}
				case "slot" -> {
					d.slot = (int) uint(where, k, v, 0xffff, "uint16_t");
					d.props.put(k, Integer.toString(d.slot));
				}
				case "addr" -> d.props.put(k, addr(where, d, v));
				default -> {
					if (!RP_KEPT.contains(k))
						throw new VmConfigException(where, "Property 'pcie-root-port." + k + "' not found");
					d.props.put(k, v);
				}
				}
			}
			reorder(d.props, order);
			registerPci(where, d);
			for (DevNode x : devices)
				if (x.isBridge() && x.chassis == d.chassis && x.slot == d.slot) {
					d.bus.slots[d.devfn] = null;
					throw new VmConfigException(where, "Can't add chassis slot, error -16");
				}
			String name = d.id != null ? d.id : "pcie." + autoRootPortBus++;
			d.secondary = new BusNode(name, BusKind.ROOT_PORT, d.bus, d, "PCIE", -1, false);
			buses.add(d.secondary);
		}

		private void vfio(String where, DevNode d, LinkedHashMap<String, String> props) {
			String[] order = { "host", "sysfsdev", "fd", "iommufd", "addr" };
			boolean provided = false;
			for (Map.Entry<String, String> e : props.entrySet()) {
				String k = e.getKey(), v = e.getValue();
				switch (k) {
				case "host" -> {
					if (!hostBdf(v))
						throw new VmConfigException(where, "Property 'vfio-pci.host' doesn't take value '" + v + "'");
					d.host = v;
					provided = true;
					d.props.put(k, v);
				}
				case "sysfsdev", "fd" -> {
					provided = true;
					d.props.put(k, v);
				}
				case "iommufd" -> {
					if (!iommufds.containsKey(v)) {
						if (anyObject(v) || findBus(v) != null)
							throw new VmConfigException(where,
									"Invalid parameter type for 'iommufd', expected: iommufd");
						throw new VmConfigException(where, "Device '" + v + "' not found");
					}
					d.iommufd = v;
					d.props.put(k, v);
				}
				case "addr" -> d.props.put(k, addr(where, d, v));
				default -> {
					if (!VFIO_KEPT.contains(k))
						throw new VmConfigException(where, "Property 'vfio-pci." + k + "' not found");
					d.props.put(k, v);
				}
				}
			}
			reorder(d.props, order);
			registerPci(where, d);
			if (!provided) {
				d.bus.slots[d.devfn] = null;
				throw new VmConfigException(where, "No provided host device");
			}
		}

		/** set_pci_host_devaddr: [domain:]bus:slot.function in hex, function decimal. */
		private static boolean hostBdf(String v) {
			if (!v.matches("([0-9a-fA-F]+:)?[0-9a-fA-F]+:[0-9a-fA-F]+\\.[0-9]+"))
				return false;
			String[] a = v.split("[:.]");
			int n = a.length;
			try {
				long dom = n == 4 ? Long.parseLong(a[0], 16) : 0;
				long bus = Long.parseLong(a[n - 3], 16);
				long slot = Long.parseLong(a[n - 2], 16);
				long fn = Long.parseLong(a[n - 1]);
				return dom <= 0xffff && bus <= 0xff && slot <= 0x1f && fn <= 7;
			} catch (NumberFormatException e) {
				return false;
			}
		}

		private void endpoint(String where, DevNode d, LinkedHashMap<String, String> props) {
			for (Map.Entry<String, String> e : props.entrySet()) {
				if (e.getKey().equals("addr"))
					d.props.put("addr", addr(where, d, e.getValue()));
				else
					d.props.put(e.getKey(), e.getValue());
			}
			registerPci(where, d);
		}

		// --- values (QAPI keyval visitor wording) ---

		private static boolean bool(String where, String k, String v) {
			switch (v) {
			case "on", "yes", "true", "y":
				return true;
			case "off", "no", "false", "n":
				return false;
			default:
				throw new VmConfigException(where, "Parameter '" + k + "' expects 'on' or 'off'");
			}
		}

		private static OnOffAuto onOffAuto(String where, String k, String v) {
			switch (v) {
			case "on":
				return OnOffAuto.ON;
			case "off":
				return OnOffAuto.OFF;
			case "auto":
				return OnOffAuto.AUTO;
			default:
				throw new VmConfigException(where, "Parameter '" + k + "' does not accept value '" + v + "'");
			}
		}

		/** An enum whose members are "auto" (→ AUTO) and decimal numbers. */
		private static int enumValue(String where, String k, String v, List<String> values) {
			if (!values.contains(v))
				throw new VmConfigException(where, "Parameter '" + k + "' does not accept value '" + v + "'");
			return v.equals("auto") ? VmDescription.AUTO : Integer.parseInt(v);
		}

		/** qemu_strtou64 (base 0) then visit_type_uintN's range check; max -1 means uint64. */
		private static long uint(String where, String k, String v, long max, String type) {
			long value;
			try {
				String s = v.strip();
				if (s.startsWith("-"))
					value = Long.parseLong(s.substring(1).isEmpty() ? "x" : "-" + parseUnsigned(s.substring(1)));
				else
					value = Long.parseUnsignedLong(parseUnsigned(s));
			} catch (NumberFormatException e) {
				throw new VmConfigException(where, "Parameter '" + k + "' expects integer");
			}
			if (max >= 0 && Long.compareUnsigned(value, max) > 0)
				throw new VmConfigException(where, "Parameter '" + k + "' expects " + type);
			return value;
		}

		private static String parseUnsigned(String s) {
			if (s.startsWith("0x") || s.startsWith("0X"))
				return Long.toUnsignedString(Long.parseUnsignedLong(s.substring(2), 16));
			if (s.length() > 1 && s.startsWith("0"))
				return Long.toUnsignedString(Long.parseUnsignedLong(s.substring(1), 8));
			if (s.isEmpty() || !Character.isDigit(s.charAt(0)))
				throw new NumberFormatException();
			return s;
		}

		private static void reorder(LinkedHashMap<String, String> m, String[] order) {
			LinkedHashMap<String, String> out = new LinkedHashMap<>();
			for (String k : order)
				if (m.containsKey(k))
					out.put(k, m.get(k));
			for (Map.Entry<String, String> e : m.entrySet())
				out.putIfAbsent(e.getKey(), e.getValue());
			m.clear();
			m.putAll(out);
		}

		/** N's machine-done notifier: auto properties need a cold-plugged vfio-pci device to be finalised. */
		private void machineDone() {
			for (DevNode s : smmus) {
				if (!s.accel || (s.ril != OnOffAuto.AUTO && s.ats != OnOffAuto.AUTO && s.ssidsize != VmDescription.AUTO))
					continue;
				boolean vfio = false;
				for (DevNode d : devices)
					vfio |= d.type.equals("vfio-pci") && d.smmu == s.smmuIndex;
				if (!vfio)
					throw new VmConfigException(null, "arm-smmuv3 accel=on with 'auto' properties requires at least "
							+ "one cold-plugged VFIO device");
			}
		}

		// --- firmware bus numbering and the result ---

		/** Depth first from each root bus, bridges in devfn order: secondary = next free number. */
		private void numberBuses() {
			for (BusNode b : buses) {
				if (b.isRoot()) {
					b.number = b.rootNumber;
					number(b, b.number);
				}
			}
			for (int i = 0; i < buses.size(); i++)
				for (int j = 0; j < i; j++)
					if (buses.get(i).number == buses.get(j).number)
						warnings.add("model: guest bus number " + buses.get(i).number + " of " + buses.get(i).name
								+ " is also taken by " + buses.get(j).name);
		}

		private int number(BusNode b, int last) {
			for (int f = 0; f < 256; f++) {
				DevNode x = b.slots[f];
				if (x != null && x.isBridge()) {
					x.secondary.number = ++last;
					last = number(x.secondary, last);
				}
			}
			return last;
		}

		private VmDescription result() {
			Machine m = new Machine(machineType, machineProps, gic, legacySmmu, acpi, its, defaultBypass, firmware);
			Accel a = new Accel(accelType, kernelIrqchip, accelProps);
			// QEMU: "-m 0" means the machine's default size; any size is aligned up to 8 KiB (sizes here are
			// below 2^63, so the alignment cannot overflow)
			long size = ramSize == 0 ? 128L << 20 : ramSize;
			Memory mem = new Memory((size + 8191) & -8192L, memProps);
			List<Device> out = new ArrayList<>();
			for (DevNode d : devices) {
				Device r = switch (d.type) {
				case "arm-smmuv3" -> new Smmuv3(d.id, d.smmuIndex, d.primaryBus, d.accel, d.stage, d.ril, d.ats,
						d.ssidsize, d.oas, d.msiGpa, VmDescription.PLATFORM_BUS_BASE
								+ VmDescription.SMMU_MMIO_SIZE * d.smmuIndex,
						VmDescription.PLATFORM_BUS_FIRST_SPI + 4 * d.smmuIndex, d.props);
				case "pxb-pcie" -> new PxbPcie(d.id, d.bus.name, d.bus.number, d.devfn, d.busNr, d.secondary.name,
						d.bypass, d.smmu, d.legacySmmu, d.props);
				case "pcie-root-port" -> new RootPort(d.id, d.bus.name, d.bus.number, d.devfn, d.chassis, d.slot,
						d.secondary.name, d.secondary.number, d.smmu, d.legacySmmu, d.props);
				case "vfio-pci" -> new VfioPci(d.id, d.bus.name, d.bus.number, d.devfn, d.host, d.iommufd, d.smmu,
						d.legacySmmu, d.props);
				default -> new EmulatedPci(d.type, d.id, d.bus.name, d.bus.number, d.devfn, d.smmu, d.legacySmmu,
						d.props);
				};
				out.add(r);
			}
			List<Bus> bl = new ArrayList<>();
			for (BusNode b : buses)
				bl.add(new Bus(b.name, b.kind, b.number, b.parent == null ? null : b.parent.name,
						b.bridge == null ? -1 : b.bridge.index, b.bypass, b.smmu));
			bl.sort(Comparator.comparingInt(b -> b.bridge()));
			return new VmDescription(m, a, mem, kept, new ArrayList<>(iommufds.values()), out, bl, warnings);
		}
	}
}
