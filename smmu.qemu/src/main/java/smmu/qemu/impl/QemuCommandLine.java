package smmu.qemu.impl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import smmu.qemu.QemuException;

/**
 * Turns a VM description (the options {@code vm:create} takes) into real QEMU's command line: the
 * machine the runtime models (virt, GICv3, TCG standing in for KVM, UEFI + ACPI as accel=on needs,
 * the set-up's guest kernel and initramfs), guest RAM in a shared file the host kernel model maps
 * ({@code memory-backend-file,share=on}), and every file QEMU would open itself passed as an fd
 * the bridge serves: {@code -object iommufd,fd=N} and {@code vfio-pci,fd=M} instead of
 * {@code host=BDF} (QEMU then opens no /dev or /sys path). Other options pass through unchanged.
 */
final class QemuCommandLine {
	/** The first fd number the bridge hands QEMU (well above what QEMU opens before main). */
	static final int FIRST_FD = 100;
	static final long DEFAULT_RAM = 512L << 20;

	/**
	 * @param args     QEMU's arguments (without the program)
	 * @param fds      the library's SMMU_BRIDGE_FDS ({@code 100=iommufd,101=vfio:BDF,...})
	 * @param ramBytes guest RAM
	 */
	record Built(List<String> args, String fds, long ramBytes, Map<String, String> vfio) {}

	private QemuCommandLine() {}

	/**
	 * @param memPath    the guest RAM file, as QEMU sees it
	 * @param bios       firmware, kernel, initrd: paths as QEMU sees them
	 * @param hold       the guest keeps running after its init (smmu.hold=1)
	 */
	static Built build(String options, String memPath, String bios, String kernel, String initrd, boolean hold) {
		List<String> in = split(options);
		List<String> devices = new ArrayList<>();
		List<String> passthrough = new ArrayList<>();
		String iommufdId = null;
		long ram = DEFAULT_RAM;
		String append = "";
		boolean smp = false, cpu = false;
		for (int i = 0; i < in.size(); i++) {
			String opt = in.get(i);
			if (!opt.startsWith("-")) {
				throw new QemuException("unexpected '" + opt + "' (QEMU options come as -option value)");
			}
			String o = opt.startsWith("--") ? opt.substring(1) : opt;
			boolean flag = switch (o) {
			case "-nographic", "-no-reboot", "-no-shutdown", "-S" -> true;
			default -> false;
			};
			String value = null;
			if (!flag) {
				if (i + 1 >= in.size()) {
					throw new QemuException(opt + " needs a value");
				}
				value = in.get(++i);
			}
			switch (o) {
			case "-m" -> ram = size(value);
			case "-object" -> {
				Map<String, String> p = props(value);
				if (p.containsKey("iommufd")) {
					if (iommufdId != null) {
						throw new QemuException("one -object iommufd per QEMU: the bridge serves one /dev/iommu file");
					}
					iommufdId = p.get("id");
					if (iommufdId == null) {
						throw new QemuException("-object iommufd needs id=");
					}
					if (p.containsKey("fd")) {
						throw new QemuException("-object iommufd,fd= is the launcher's: leave fd out");
					}
				} else {
					passthrough.add(opt);
					passthrough.add(value);
				}
			}
			case "-device" -> devices.add(value);
			case "-append" -> append = value;
			case "-machine", "-M", "-accel", "-bios", "-kernel", "-initrd", "-serial", "-monitor", "-display", "-chardev", "-daemonize",
					"-pidfile", "-enable-kvm", "-nographic" ->
				throw new QemuException(opt + " is set by the launcher (virt, GICv3, TCG, UEFI, the set-up's kernel and initrd, console on the serial port)");
			default -> {
				smp |= o.equals("-smp");
				cpu |= o.equals("-cpu");
				passthrough.add(opt);
				if (value != null) {
					passthrough.add(value);
				}
			}
			}
		}
		if (iommufdId == null) {
			iommufdId = "iommufd0";
		}
		List<String> args = new ArrayList<>(List.of("-nodefaults", "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
				"-machine", "virt,gic-version=3,memory-backend=ram0", "-accel", "tcg"));
		if (!cpu) {
			args.addAll(List.of("-cpu", "max,pauth-impdef=on"));
		}
		if (!smp) {
			args.addAll(List.of("-smp", "2"));
		}
		args.addAll(List.of("-m", (ram >> 20) + "M", "-object",
				"memory-backend-file,id=ram0,mem-path=" + memPath + ",share=on,size=" + (ram >> 20) + "M", "-bios", bios, "-kernel", kernel,
				"-initrd", initrd, "-append", ("console=ttyAMA0 acpi=force panic=-1" + (hold ? " smmu.hold=1 " : " ") + append).strip()));
		int fd = FIRST_FD;
		StringBuilder fds = new StringBuilder(fd + "=iommufd");
		args.addAll(List.of("-object", "iommufd,id=" + iommufdId + ",fd=" + fd++));
		Map<String, String> vfio = new LinkedHashMap<>();
		for (String d : devices) {
			Map<String, String> p = props(d);
			String driver = d.split(",", 2)[0];
			p.remove(driver);
			if (driver.equals("pxb-pcie") && !p.containsKey("bus")) {
				// vm:create puts an expander bus on pcie.0; real QEMU would take the newest bus (a pxb-pcie: refused)
				args.addAll(List.of("-device", d + ",bus=pcie.0"));
				continue;
			}
			if (!driver.equals("vfio-pci")) {
				args.addAll(List.of("-device", d));
				continue;
			}
			String host = p.remove("host");
			if (host == null || p.containsKey("fd") || p.containsKey("sysfsdev")) {
				throw new QemuException("vfio-pci needs host=BDF (the launcher passes the device's VFIO file as fd=): " + d);
			}
			host = bdf(host);
			if (vfio.containsValue(host)) {
				throw new QemuException("host device " + host + " is given twice");
			}
			String id = p.computeIfAbsent("id", k -> "vfio" + vfio.size());
			if (vfio.containsKey(id)) {
				throw new QemuException("Duplicate device ID '" + id + "'");
			}
			String used = p.get("iommufd");
			if (used == null) {
				p.put("iommufd", iommufdId);
			} else if (!used.equals(iommufdId)) {
				throw new QemuException("vfio-pci " + id + " names iommufd '" + used + "', the VM's is '" + iommufdId + "'");
			}
			vfio.put(id, host);
			StringBuilder dev = new StringBuilder("vfio-pci,id=" + id + ",fd=" + fd);
			p.forEach((k, v) -> {
				if (!k.equals("id")) {
					dev.append(',').append(k).append(v == null ? "" : "=" + v);
				}
			});
			fds.append(',').append(fd).append("=vfio:").append(host);
			fd++;
			args.addAll(List.of("-device", dev.toString()));
		}
		args.addAll(passthrough);
		return new Built(args, fds.toString(), ram, vfio);
	}

	/** 0000:01:00.0 from 01:00.0 or 0000:01:00.0. */
	static String bdf(String s) {
		String b = s.toLowerCase(Locale.ROOT);
		if (b.matches("[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]")) {
			b = "0000:" + b;
		}
		if (!b.matches("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]")) {
			throw new QemuException("bad PCI address '" + s + "' (want DDDD:BB:DD.F)");
		}
		return b;
	}

	/** QEMU's -m: a number of MiB, or with a K/M/G/T suffix; also size=... */
	static long size(String value) {
		String v = value;
		for (String part : value.split(",")) {
			if (part.startsWith("size=")) {
				v = part.substring(5);
			} else if (!part.contains("=")) {
				v = part;
			}
		}
		v = v.strip().toUpperCase(Locale.ROOT);
		long unit = 1L << 20;
		if (v.endsWith("B")) {
			v = v.substring(0, v.length() - 1);
		}
		if (!v.isEmpty()) {
			switch (v.charAt(v.length() - 1)) {
			case 'K' -> unit = 1L << 10;
			case 'M' -> unit = 1L << 20;
			case 'G' -> unit = 1L << 30;
			case 'T' -> unit = 1L << 40;
			default -> unit = 0;
			}
			if (unit != 0) {
				v = v.substring(0, v.length() - 1);
			} else {
				unit = 1L << 20;
			}
		}
		long n;
		try {
			n = Long.parseLong(v);
		} catch (NumberFormatException e) {
			throw new QemuException("bad -m size '" + value + "'");
		}
		long bytes = n * unit;
		if (n <= 0 || bytes / unit != n || bytes < (64L << 20) || (bytes & ((1L << 20) - 1)) != 0) {
			throw new QemuException("-m " + value + ": guest RAM must be whole MiB, at least 64M");
		}
		return bytes;
	}

	/** key=value properties of an option; a part without '=' (the driver, a flag) maps to null. */
	static Map<String, String> props(String value) {
		Map<String, String> p = new LinkedHashMap<>();
		for (String s : value.split(",")) {
			int eq = s.indexOf('=');
			p.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? null : s.substring(eq + 1));
		}
		return p;
	}

	/** Words of a command line: whitespace separated, '...' and "..." quote. */
	static List<String> split(String s) {
		List<String> out = new ArrayList<>();
		StringBuilder w = new StringBuilder();
		boolean in = false;
		char quote = 0;
		for (int i = 0; i < s.length(); i++) {
			char c = s.charAt(i);
			if (quote != 0) {
				if (c == quote) {
					quote = 0;
				} else {
					w.append(c);
				}
			} else if (c == '\'' || c == '"') {
				quote = c;
				in = true;
			} else if (Character.isWhitespace(c)) {
				if (in) {
					out.add(w.toString());
					w.setLength(0);
					in = false;
				}
			} else {
				w.append(c);
				in = true;
			}
		}
		if (quote != 0) {
			throw new QemuException("unterminated quote in the description");
		}
		if (in) {
			out.add(w.toString());
		}
		return out;
	}
}
