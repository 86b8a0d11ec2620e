package smmu.gogo.sweep;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import smmu.accel.sweep.Sweep;
import smmu.accel.sweep.SweepPoint;
import smmu.accel.sweep.SweepResult;
import smmu.accel.sweep.SweepSpec;
import smmu.accel.sweep.Sweeper;
import smmu.gogo.format.Args;
import smmu.gogo.format.ShellError;

/**
 * The sweep:* commands: run a sweep (sweeps/NAME.sweep) with each point on a fresh host, printing a
 * progress line per point, then write its CSV, JSON and charts; list the shipped sweeps and the runs.
 */
@Component(service = SweepCommands.class, immediate = true)
@GogoCommand(scope = "sweep", function = { "run", "list", "show" })
public class SweepCommands {
	/** One point: its varying parameters and the charted metrics. */
	public record PointRow(int point, String parameters, String metrics, long ms, String error) {}

	/** A sweep run: what it answered, how it ran, where the files are, its points. */
	public record SweepView(String sweep, String question, int points, int failed, String elapsed, String parallelism, String files, List<PointRow> rows) {}

	/** A shipped sweep or a run. */
	public record SweepRow(String name, String run, String state, String question) {}

	private static final PrintStream PROGRESS = new PrintStream(new FileOutputStream(FileDescriptor.err), true, java.nio.charset.StandardCharsets.UTF_8);

	private final Sweeper sweeper;
	private final BundleContext context;
	/** The files each run of this session wrote, for sweep:show. */
	private final Map<Integer, List<Path>> written = new ConcurrentHashMap<>();

	@Activate
	public SweepCommands(@Reference Sweeper sweeper, BundleContext context) {
		this.sweeper = sweeper;
		this.context = context;
	}

	@Descriptor("run a sweep (sweeps/NAME.sweep or a file): every point on a fresh host and host kernel, in parallel; writes NAME.csv, .json, .svg, .png")
	public SweepView run(
			@Descriptor("points at once (default: the machine's processors)") @Parameter(names = "--parallel", absentValue = "0") String parallel,
			@Descriptor("folder for the results (default: sweep-results)") @Parameter(names = "--out", absentValue = "sweep-results") String out,
			@Descriptor("sweep name or file") String name) throws IOException, InterruptedException {
		SweepSpec spec = SweepFiles.load(SweepFiles.resolve(name, context.getProperty(SweepFiles.FOLDER)));
		long n = Args.number("parallel", parallel);
		if (n < 0 || n > 64) {
			throw new ShellError("parallel: " + parallel + " is out of range (0..64)");
		}
		// progress goes to the process's standard error, past Gogo's per-thread redirection: the result (standard
		// output) stays what the formatter prints, and a script's output stays free of timings
		PrintStream console = PROGRESS;
		int total = spec.points().size();
		AtomicInteger done = new AtomicInteger();
		// the workers queue their points; this (the session's) thread prints them: the console is the session's
		Queue<SweepPoint> finished = new ConcurrentLinkedQueue<>();
		Sweep sweep;
		try {
			sweep = sweeper.start(spec, (int) n, finished::add);
		} catch (IllegalArgumentException e) {
			throw new ShellError(spec.name() + ": " + e.getMessage());
		}
		try {
			boolean end;
			do {
				end = sweep.await(Duration.ofMillis(200));
				for (SweepPoint p; (p = finished.poll()) != null;) {
					{
						console.printf(Locale.ROOT, "[%d/%d] %s: %s (%d ms)%n", done.incrementAndGet(), total, varying(spec, p),
								p.ok() ? "ok" : "failed: " + p.error(), p.millis());
						console.flush();
					}
				}
			} while (!end);
		} catch (InterruptedException e) {
			sweep.cancel();
			throw e;
		}
		List<Path> files = SweepFiles.write(sweep.result(), Path.of(out).toAbsolutePath());
		written.put(sweep.id(), files);
		return view(sweep, files);
	}

	@Descriptor("the shipped sweeps (sweeps/*.sweep) and the sweeps run in this session")
	public List<SweepRow> list() {
		List<SweepRow> rows = new ArrayList<>();
		String folder = context.getProperty(SweepFiles.FOLDER);
		for (String s : SweepFiles.names(folder)) {
			String q;
			try {
				q = SweepFiles.load(SweepFiles.resolve(s, folder)).question();
			} catch (ShellError e) {
				q = "unreadable: " + e.getMessage();
			}
			rows.add(new SweepRow(s, "-", "-", q));
		}
		for (Sweep s : sweeper.list()) {
			rows.add(new SweepRow(s.spec().name(), Integer.toString(s.id()), s.running() ? "running " + s.completed() + "/" + s.total() : "done " + s.completed() + "/" + s.total(),
					s.spec().question()));
		}
		return rows;
	}

	@Descriptor("a sweep run's points (sweep:list shows the run numbers; a sweep's name shows its latest run)")
	public SweepView show(@Descriptor("run number or sweep name") String id) {
		Sweep s;
		if (!id.isEmpty() && Character.isDigit(id.charAt(0))) {
			long n = Args.number("run", id);
			s = sweeper.get((int) n).orElseThrow(() -> new ShellError("no sweep run " + id + " (sweep:list shows them)"));
		} else {
			s = null;
			for (Sweep r : sweeper.list()) {
				if (r.spec().name().equals(id) && (s == null || r.id() > s.id())) {
					s = r;
				}
			}
			if (s == null) {
				throw new ShellError("no run of a sweep named '" + id + "' (sweep:list shows them)");
			}
		}
		return view(s, written.getOrDefault(s.id(), List.of()));
	}

	private static SweepView view(Sweep s, List<Path> files) {
		SweepResult r = s.result();
		List<PointRow> rows = new ArrayList<>();
		int failed = 0;
		for (SweepPoint p : r.points()) {
			StringBuilder m = new StringBuilder();
			for (String k : r.spec().metrics()) {
				if (p.ok()) {
					m.append(m.length() == 0 ? "" : " ").append(k).append('=').append(number(p.metric(k)));
				}
			}
			if (!p.ok()) {
				failed++;
			}
			rows.add(new PointRow(p.index(), varying(r.spec(), p), m.length() == 0 ? "-" : m.toString(), p.millis(), p.ok() ? "-" : p.error()));
		}
		List<String> f = new ArrayList<>();
		for (Path p : files) {
			f.add(p.toString());
		}
		return new SweepView(r.spec().name(), r.spec().question(), r.points().size(), failed, String.format(Locale.ROOT, "%.1f s", r.elapsedMillis() / 1000.0),
				r.parallelism() + " at a time on " + r.processors() + " processors", f.isEmpty() ? "-" : String.join(" ", f), rows);
	}

	static String varying(SweepSpec spec, SweepPoint p) {
		StringBuilder sb = new StringBuilder();
		List<String> keys = spec.varying().isEmpty() ? List.copyOf(spec.axes().keySet()) : spec.varying();
		for (String k : keys) {
			sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(p.parameters().get(k));
		}
		return sb.toString();
	}

	static String number(double v) {
		if (v == Math.rint(v) && Math.abs(v) < 1e15) {
			return Long.toString((long) v);
		}
		return String.format(Locale.ROOT, "%.3g", v);
	}

}
