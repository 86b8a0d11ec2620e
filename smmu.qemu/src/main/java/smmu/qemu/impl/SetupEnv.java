package smmu.qemu.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code tools/qemu/setup.sh} made: the {@code KEY=VALUE} lines of {@code SMMU_QEMU_HOME/setup.env}
 * (CHROOT, QEMU, BIOS, KERNEL_IN_CHROOT, INITRD_IN_CHROOT, PRELOAD, RUN_DIR, MOUNTS, SETUP_OK=1; paths
 * ending in {@code _IN_CHROOT}, QEMU, BIOS and PRELOAD are inside the chroot).
 */
record SetupEnv(Path file, Map<String, String> values) {
	static final String NOT_SET_UP = "real QEMU is not set up: run tools/qemu/setup.sh";

	static SetupEnv read(Path home) {
		Path file = home.resolve("setup.env");
		Map<String, String> values = new LinkedHashMap<>();
		if (Files.isRegularFile(file)) {
			try {
				for (String line : Files.readAllLines(file)) {
					line = line.strip();
					int eq = line.indexOf('=');
					if (line.startsWith("#") || eq <= 0) {
						continue;
					}
					String v = line.substring(eq + 1).strip();
					if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
						v = v.substring(1, v.length() - 1);
					}
					values.put(line.substring(0, eq).strip(), v);
				}
			} catch (IOException e) {
				values.clear();
			}
		}
		return new SetupEnv(file, values);
	}

	String get(String key) {
		String v = values.get(key);
		return v == null || v.isEmpty() ? null : v;
	}

	/** Why real QEMU cannot start from this set-up (one line), or null. */
	String problem() {
		if (!Files.isRegularFile(file)) {
			return NOT_SET_UP + " (no " + file + ")";
		}
		if (!"1".equals(get("SETUP_OK"))) {
			return "real QEMU's set-up did not finish (" + file + " has no SETUP_OK=1): run tools/qemu/setup.sh";
		}
		for (String key : new String[] { "CHROOT", "QEMU", "BIOS", "KERNEL_IN_CHROOT", "INITRD_IN_CHROOT", "PRELOAD", "RUN_DIR" }) {
			if (get(key) == null) {
				return "real QEMU's set-up is incomplete (" + file + " has no " + key + "): run tools/qemu/setup.sh";
			}
		}
		Path chroot = chroot();
		if (!Files.isDirectory(chroot.resolve("etc"))) {
			return "real QEMU's chroot is missing (" + chroot + "): run tools/qemu/setup.sh";
		}
		for (String key : new String[] { "QEMU", "BIOS", "KERNEL_IN_CHROOT", "INITRD_IN_CHROOT" }) {
			if (!Files.isRegularFile(inChroot(get(key)))) {
				return "real QEMU's set-up is incomplete (" + key + " " + get(key) + " is not in the chroot): run tools/qemu/setup.sh";
			}
		}
		if (!Files.isRegularFile(inChroot(get("PRELOAD")))) {
			return "the bridge library " + inChroot(get("PRELOAD")) + " is missing: run tools/qemu/setup.sh (or tools/qemu/preload/build.sh " + chroot + ")";
		}
		return null;
	}

	Path chroot() {
		return Path.of(get("CHROOT"));
	}

	/** The host path of a path inside the chroot. */
	Path inChroot(String path) {
		return chroot().resolve(path.startsWith("/") ? path.substring(1) : path);
	}
}
