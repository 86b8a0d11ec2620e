package smmu.qemu.impl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import smmu.hw.HostPlatform;
import smmu.iommufd.Iommufd;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.VmmAddressSpace;
import smmu.qemu.QemuException;
import smmu.qemu.RealQemu;
import smmu.qemu.RealQemus;
import smmu.vfio.VfioCdev;
import smmu.vfio.VfioCdevs;

/**
 * Starts real QEMUs in the set-up's chroot and serves each one's bridge from the host kernel model
 * in this framework. The set-up is read at every start (framework property {@code smmu.qemu.home},
 * default {@code /var/lib/smmu-qemu}). Deactivation (the kernel or VFIO service replaced, the bundle
 * stopped) stops every QEMU: their objects lived in the kernel that goes away.
 */
@Component(service = RealQemus.class)
public class RealQemusComponent implements RealQemus {
	public static final String HOME_PROPERTY = "smmu.qemu.home";
	static final String DEFAULT_HOME = "/var/lib/smmu-qemu";

	private final Path home;
	private final Session.Kernel kernel;
	private final Map<String, QemuInstance> qemus = new LinkedHashMap<>();

	@Activate
	public RealQemusComponent(BundleContext context, @Reference Iommufd iommufd, @Reference VfioCdevs vfio, @Reference HostPlatform host) {
		String h = context == null ? null : context.getProperty(HOME_PROPERTY);
		this.home = Path.of(h == null || h.isBlank() ? DEFAULT_HOME : h);
		this.kernel = new Session.Kernel() {
			@Override
			public IommufdContext openIommufd() {
				// QEMU runs as root in the chroot: CAP_SYS_RESOURCE
				return iommufd.open(new VmmAddressSpace(host.memory()), true);
			}

			@Override
			public VfioCdev openVfio(String bdf) {
				return vfio.open(bdf);
			}
		};
	}

	@Deactivate
	void deactivate() {
		List<QemuInstance> all;
		synchronized (this) {
			all = new ArrayList<>(qemus.values());
			qemus.clear();
		}
		for (QemuInstance q : all) {
			q.stop(2000);
		}
	}

	@Override
	public String notSetUp() {
		String p = SetupEnv.read(home).problem();
		if (p == null && !"root".equals(System.getProperty("user.name"))) {
			return "real QEMU runs in a chroot: the runtime must run as root";
		}
		return p;
	}

	@Override
	public RealQemu start(String name, String options) {
		if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")) {
			throw new QemuException("bad name '" + name + "' (letters, digits, _ . -; at most 32)");
		}
		String problem = notSetUp();
		if (problem != null) {
			throw new QemuException(problem);
		}
		SetupEnv env = SetupEnv.read(home);
		boolean hold = true, debug = false;
		List<String> words = new ArrayList<>();
		for (String w : QemuCommandLine.split(options == null ? "" : options)) {
			switch (w) {
			case "--poweroff" -> hold = false;
			case "--debug" -> debug = true;
			default -> words.add(w.contains(" ") ? "'" + w + "'" : w);
			}
		}
		String memPath = "/dev/shm/smmu-qemu-" + name + ".ram";
		QemuCommandLine.Built b = QemuCommandLine.build(String.join(" ", words), memPath, env.get("BIOS"), env.get("KERNEL_IN_CHROOT"),
				env.get("INITRD_IN_CHROOT"), hold);
		Path runDir = Path.of(env.get("RUN_DIR"));
		mounts(env, runDir);
		List<String> cmd = new ArrayList<>();
		cmd.add(env.get("QEMU"));
		cmd.addAll(b.args());
		List<String> vars = new ArrayList<>(List.of("LD_PRELOAD=" + env.get("PRELOAD"), "SMMU_BRIDGE_SOCKET=" + runDir.resolve(name + ".sock"),
				"SMMU_BRIDGE_FDS=" + b.fds()));
		if (debug) {
			vars.add("SMMU_BRIDGE_DEBUG=1");
		}
		QemuInstance q;
		synchronized (this) {
			QemuInstance old = qemus.get(name);
			if (old != null && old.state() != RealQemu.State.EXITED) {
				throw new QemuException("a QEMU named '" + name + "' runs already (qemu:stop " + name + " first)");
			}
			q = new QemuInstance(name, cmd, vars, runDir.resolve(name + ".sock"), env.chroot().resolve(memPath.substring(1)), env.chroot(), kernel);
			qemus.put(name, q);
		}
		try {
			q.start();
		} catch (QemuException e) {
			synchronized (this) {
				qemus.remove(name, q);
			}
			throw e;
		}
		return q;
	}

	/** The chroot's /proc, /dev and run directory: mounted by the set-up's script when missing. */
	private static void mounts(SetupEnv env, Path runDir) {
		Path chroot = env.chroot();
		boolean ok = java.nio.file.Files.isDirectory(chroot.resolve("proc/self")) && java.nio.file.Files.isDirectory(chroot.resolve("dev/shm"))
				&& java.nio.file.Files.isDirectory(chroot.resolve(runDir.toString().substring(1)));
		if (ok) {
			return;
		}
		String script = env.get("MOUNTS");
		if (script == null || !java.nio.file.Files.isExecutable(Path.of(script))) {
			throw new QemuException("the chroot's /proc and /dev are not mounted: run tools/qemu/chroot-mounts.sh mount");
		}
		try {
			Process p = new ProcessBuilder(script, "mount", chroot.toString()).redirectErrorStream(true).start();
			String out = new String(p.getInputStream().readAllBytes()).strip();
			if (p.waitFor() != 0) {
				throw new QemuException("mounting the chroot's /proc and /dev failed: " + out.replace('\n', ' '));
			}
		} catch (java.io.IOException e) {
			throw new QemuException("cannot run " + script + ": " + e.getMessage(), e);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new QemuException("interrupted while mounting the chroot");
		}
	}

	@Override
	public synchronized List<RealQemu> list() {
		return List.copyOf(qemus.values());
	}

	@Override
	public synchronized Optional<RealQemu> get(String name) {
		return Optional.ofNullable(qemus.get(name));
	}

	@Override
	public void stop(String name) {
		QemuInstance q;
		synchronized (this) {
			q = qemus.remove(name);
		}
		if (q == null) {
			throw new QemuException("no QEMU named '" + name + "'");
		}
		q.stop(3000);
	}
}
