package smmu.gogo.qemu;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import smmu.gogo.format.ShellError;
import smmu.iommufd.IommufdContext;
import smmu.qemu.BridgeStats;
import smmu.qemu.RealQemu;
import smmu.qemu.RealQemus;

/**
 * The qemu:* commands: real QEMU (Debian's 11.1 in the set-up's chroot) whose iommufd and VFIO calls
 * the host kernel model serves. While one runs, iommufd:objects, report:vm, smmu:ste and smmu:walk
 * show its objects (by its name where they take a VM).
 */
@Component(service = QemuCommands.class, immediate = true)
@GogoCommand(scope = "qemu", function = { "start", "list", "console", "await", "stop", "stats" })
public class QemuCommands {
	private final RealQemus qemus;

	public record QemuRow(String name, long pid, String state, String boot, int objects, long calls, long roundTrips) {}

	public record Started(String name, long pid, String state, String commandLine) {}

	public record StatsRow(String call, long count, long errors, long roundTrips, long bytes, String totalMs, String usPerCall, String maxUs) {}

	public record StatsView(String name, String state, String boot, long calls, long roundTrips, String totalMs, String usPerRoundTrip,
			long asyncMessages, List<StatsRow> byCall, List<StatsRow> nestedRequests) {}

	@Activate
	public QemuCommands(@Reference RealQemus qemus) {
		this.qemus = qemus;
	}

	@Descriptor("start real QEMU with a VM description (the options vm:create takes; --poweroff: the guest powers off after its init; --debug: the bridge logs every call on the console)")
	public Started start(@Descriptor("the QEMU's name") String name,
			@Descriptor("QEMU options, the rest of the line (or one quoted string)") String... options) {
		RealQemu q = qemus.start(name, String.join(" ", quoted(options)));
		return new Started(q.name(), q.pid(), state(q), String.join(" ", q.commandLine()));
	}

	@Descriptor("list the real QEMUs: state, boot time (to the guest's init), iommufd objects, bridge calls and round trips")
	public Object list() {
		String missing = qemus.notSetUp();
		List<QemuRow> rows = new ArrayList<>();
		for (RealQemu q : qemus.list()) {
			BridgeStats s = q.stats();
			IommufdContext ctx = q.iommufd();
			int objects;
			try {
				objects = ctx == null ? 0 : ctx.objects().size();
			} catch (IllegalStateException e) {
				objects = 0;
			}
			rows.add(new QemuRow(q.name(), q.pid(), state(q), boot(q), objects, s.calls(), s.roundTrips()));
		}
		if (rows.isEmpty()) {
			return missing != null ? "no real QEMUs (" + missing + ")" : "no real QEMUs";
		}
		return rows;
	}

	@Descriptor("the last lines of a QEMU's console (serial port, QEMU's messages, the bridge's lines)")
	public String console(@Descriptor("the QEMU's name") String name, @Descriptor("lines (default 40)") int... lines) {
		int n = lines.length == 0 ? 40 : lines[0];
		return String.join("\n", qemu(name).console(n));
	}

	@Descriptor("wait until a console line of the QEMU contains a text (default: the guest's init ran), it exits, or the time is up")
	public String await(@Descriptor("seconds (default 120)") @Parameter(names = "--timeout", absentValue = "120") int seconds, @Descriptor("the QEMU's name") String name,
			@Descriptor("the text (default 'smmu-guest: init')") String... text) throws InterruptedException {
		RealQemu q = qemu(name);
		String t = text.length == 0 ? "smmu-guest: init" : String.join(" ", text);
		if (q.awaitConsole(t, seconds * 1000L)) {
			return name + ": '" + t + "' seen";
		}
		throw new ShellError(name + ": no console line with '" + t + "' " + (q.state() == RealQemu.State.EXITED ? "(" + state(q) + ")" : "within " + seconds + " s"));
	}

	@Descriptor("stop a QEMU (SIGTERM, then SIGKILL): the host kernel releases its objects as at a process exit")
	public String stop(@Descriptor("the QEMU's name") String name) {
		qemu(name);
		qemus.stop(name);
		return "stopped " + name;
	}

	@Descriptor("the bridge's round trips of a QEMU, per call (an ioctl by name): count, errors, round trips with the kernel's memory accesses, bytes and time")
	public StatsView stats(@Descriptor("the QEMU's name") String name) {
		RealQemu q = qemu(name);
		BridgeStats s = q.stats();
		return new StatsView(q.name(), state(q), boot(q), s.calls(), s.roundTrips(), ms(s.nanos()), us(s.nanos(), s.roundTrips()), s.asyncMessages(),
				rows(s.byCall()), rows(s.byRequest()));
	}

	private static List<StatsRow> rows(List<BridgeStats.CallStats> stats) {
		List<StatsRow> rows = new ArrayList<>();
		for (BridgeStats.CallStats c : stats) {
			rows.add(new StatsRow(c.call(), c.count(), c.errors(), c.roundTrips(), c.bytes(), ms(c.nanos()), us(c.nanos(), c.count()), us(c.maxNanos(), 1)));
		}
		return rows;
	}

	private RealQemu qemu(String name) {
		return qemus.get(name).orElseThrow(() -> {
			List<String> have = new ArrayList<>();
			qemus.list().forEach(q -> have.add(q.name()));
			String missing = qemus.notSetUp();
			return new ShellError("no QEMU named '" + name + "' (have: " + (have.isEmpty() ? "none" : String.join(", ", have)) + ")"
					+ (missing != null && have.isEmpty() ? "; " + missing : ""));
		});
	}

	private static String state(RealQemu q) {
		return q.state() == RealQemu.State.EXITED ? "exited " + q.exitStatus() : q.state().name().toLowerCase();
	}

	private static String boot(RealQemu q) {
		return q.bootMillis() < 0 ? "-" : String.format("%.1f s", q.bootMillis() / 1000.0);
	}

	private static String ms(long nanos) {
		return String.format("%.1f", nanos / 1e6);
	}

	private static String us(long nanos, long count) {
		return count == 0 ? "-" : String.format("%.1f", nanos / 1e3 / count);
	}

	/** Gogo splits a quoted -append "a b" into words again only when it was one argument: keep it quoted. */
	public static List<String> quoted(String[] options) {
		List<String> out = new ArrayList<>();
		for (String o : options) {
			out.add(o.contains(" ") && !o.startsWith("-") ? "'" + o + "'" : o);
		}
		return out;
	}
}
