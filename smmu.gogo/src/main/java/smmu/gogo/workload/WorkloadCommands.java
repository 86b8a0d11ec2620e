package smmu.gogo.workload;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import smmu.accel.VmManager;
import smmu.accel.workload.Workload;
import smmu.accel.workload.WorkloadSpec;
import smmu.accel.workload.WorkloadStats;
import smmu.accel.workload.Workloads;
import smmu.gogo.format.Args;
import smmu.gogo.format.ShellError;

/**
 * The workload:* commands: start DMA workload generators on a VM's devices (they run in the device
 * models, one thread per device, while the shell goes on), list them with their counters, stop them.
 */
@Component(service = WorkloadCommands.class, immediate = true)
@GogoCommand(scope = "workload", function = { "start", "stop", "list", "clear" })
public class WorkloadCommands {
	/** One workload: what it is and what it did. */
	public record WorkloadRow(int id, String vm, String pattern, String devices, String state, long ios, long iosPerSecond, long maps, long unmaps,
			long flushes, long faults, String elapsed, String error) {
		static WorkloadRow of(Workload w) {
			WorkloadStats s = w.stats();
			return new WorkloadRow(w.id(), w.vm(), w.spec().pattern().label(), String.join(",", w.devices()), w.state().name().toLowerCase(Locale.ROOT),
					s.ios(), Math.round(s.iosPerSecond()), s.maps(), s.unmaps(), s.flushes(), s.faults(),
					String.format(Locale.ROOT, "%.1fs", s.elapsedNanos() / 1e9), w.error() == null ? "-" : w.error());
		}
	}

	private final VmManager manager;
	private final Workloads workloads;

	@Activate
	public WorkloadCommands(@Reference VmManager manager, @Reference Workloads workloads) {
		this.manager = manager;
		this.workloads = workloads;
	}

	@Descriptor("start a DMA workload on a running VM's devices (one thread each); it runs until its duration or I/O count is reached or workload:stop")
	public WorkloadRow start(
			@Descriptor("stream, random, churn-strict or churn-lazy") @Parameter(names = "--pattern", absentValue = "stream") String pattern,
			@Descriptor("device ids, comma-separated (default: every device behind a vSMMU)") @Parameter(names = "--devices", absentValue = "") String devices,
			@Descriptor("stream/random: the buffer mapped once per device (working set), e.g. 1M") @Parameter(names = "--buffer", absentValue = "1M") String buffer,
			@Descriptor("bytes per DMA, e.g. 4K") @Parameter(names = "--io", absentValue = "4K") String io,
			@Descriptor("I/Os per second per device (0: unthrottled)") @Parameter(names = "--rate", absentValue = "0") String rate,
			@Descriptor("how long, e.g. 10s, 500ms (0: until --ios or workload:stop)") @Parameter(names = "--duration", absentValue = "10s") String duration,
			@Descriptor("I/Os per device (0: no limit)") @Parameter(names = "--ios", absentValue = "0") String ios,
			@Descriptor("churn: DMAs into a mapping before its unmap") @Parameter(names = "--dmas-per-map", absentValue = "1") String dmasPerMap,
			@Descriptor("churn-lazy: unmaps per flush (Linux: 256)") @Parameter(names = "--batch", absentValue = "256") String batch,
			@Descriptor("wait until it ends (for scripts and scenarios), then print what it did") @Parameter(names = "--wait", absentValue = "false", presentValue = "true") boolean wait,
			@Descriptor("VM") String vm) throws InterruptedException {
		WorkloadSpec spec;
		try {
			WorkloadSpec.Pattern p = WorkloadSpec.Pattern.of(pattern);
			long n = Args.number("ios", ios);
			long ioBytes = Units.bytes("io", io);
			if (ioBytes > Integer.MAX_VALUE) {
				throw new ShellError("io: " + io + " is out of range (1..1M)");
			}
			double r;
			try {
				r = Double.parseDouble(rate);
			} catch (NumberFormatException e) {
				throw new ShellError("rate: '" + rate + "' is not a number");
			}
			List<String> devs = devices.isEmpty() ? List.of() : new ArrayList<>(Arrays.asList(devices.split(",")));
			spec = new WorkloadSpec(p, devs, Units.bytes("buffer", buffer), (int) ioBytes, r, Units.duration("duration", duration), n,
					(int) Math.min(Integer.MAX_VALUE, Args.number("dmas-per-map", dmasPerMap)), (int) Math.min(Integer.MAX_VALUE, Args.number("batch", batch)), 1);
		} catch (IllegalArgumentException e) {
			throw new ShellError(e.getMessage());
		}
		smmu.accel.VirtualMachine v = manager.get(vm).orElseThrow(() -> {
			List<String> have = new ArrayList<>();
			for (smmu.accel.VirtualMachine x : manager.list()) {
				have.add(x.name());
			}
			return new ShellError("no VM named '" + vm + "' (have: " + (have.isEmpty() ? "none" : String.join(", ", have)) + ")");
		});
		Workload w = workloads.start(v, spec);
		if (wait) {
			if (spec.duration().isZero() && spec.ios() == 0) {
				throw new ShellError("--wait needs --duration or --ios");
			}
			try {
				while (!w.await(java.time.Duration.ofSeconds(1))) {
					// a workload bounded by its duration or I/O count ends by itself
				}
			} catch (InterruptedException e) {
				w.stop();
				throw e;
			}
			if (w.error() != null) {
				throw new ShellError("workload " + w.id() + " failed: " + w.error());
			}
		}
		return WorkloadRow.of(w);
	}

	@Descriptor("the workloads started (running and finished) with their counters")
	public List<WorkloadRow> list() {
		List<WorkloadRow> rows = new ArrayList<>();
		for (Workload w : workloads.list()) {
			rows.add(WorkloadRow.of(w));
		}
		return rows;
	}

	@Descriptor("forget the finished workloads (running ones stay: workload:stop first)")
	public String clear() {
		int n = workloads.clear();
		return "forgot " + n + " finished workload" + (n == 1 ? "" : "s");
	}

	@Descriptor("stop a workload (its id) or every running one (all); prints what it did")
	public List<WorkloadRow> stop(@Descriptor("workload id or all") String id) {
		List<Workload> targets = new ArrayList<>();
		if (id.equals("all")) {
			for (Workload w : workloads.list()) {
				if (w.state() == Workload.State.RUNNING) {
					targets.add(w);
				}
			}
		} else {
			long n = Args.number("id", id);
			Workload w = workloads.get((int) n).orElseThrow(() -> {
				List<String> have = new ArrayList<>();
				for (Workload x : workloads.list()) {
					have.add(Integer.toString(x.id()));
				}
				return new ShellError("no workload " + id + " (have: " + (have.isEmpty() ? "none" : String.join(", ", have)) + ")");
			});
			targets.add(w);
		}
		List<WorkloadRow> rows = new ArrayList<>();
		for (Workload w : targets) {
			w.stop();
			rows.add(WorkloadRow.of(w));
		}
		return rows;
	}
}
