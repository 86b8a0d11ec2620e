package smmu.gogo.sweep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import smmu.accel.sweep.SweepResult;
import smmu.accel.sweep.SweepSpec;
import smmu.charts.Charts;
import smmu.charts.Figures;
import smmu.gogo.format.ShellError;

/** Where sweep files are (framework property {@value #FOLDER}, default ./sweeps) and where results go. */
public final class SweepFiles {
	public static final String FOLDER = "smmu.sweeps";
	static final int PANEL_W = 520, PANEL_H = 340;

	private SweepFiles() {}

	/** A name is {@code FOLDER/NAME.sweep}; anything with a slash or ending in .sweep is a path. */
	public static Path resolve(String nameOrPath, String folder) {
		Path p;
		if (nameOrPath.contains("/") || nameOrPath.endsWith(".sweep")) {
			p = Path.of(nameOrPath);
		} else {
			p = Path.of(folder == null ? "sweeps" : folder, nameOrPath + ".sweep");
		}
		if (!Files.isRegularFile(p)) {
			throw new ShellError("no sweep '" + nameOrPath + "' (have: " + String.join(", ", names(folder)) + ")");
		}
		return p.toAbsolutePath();
	}

	public static List<String> names(String folder) {
		List<String> out = new ArrayList<>();
		Path dir = Path.of(folder == null ? "sweeps" : folder);
		if (Files.isDirectory(dir)) {
			try (Stream<Path> s = Files.list(dir)) {
				s.map(x -> x.getFileName().toString()).filter(n -> n.endsWith(".sweep")).sorted().forEach(n -> out.add(n.substring(0, n.length() - 6)));
			} catch (IOException e) {
				// an unreadable folder lists nothing
			}
		}
		return out;
	}

	public static SweepSpec load(Path file) {
		String name = file.getFileName().toString();
		if (name.endsWith(".sweep")) {
			name = name.substring(0, name.length() - 6);
		}
		try {
			return SweepSpec.parse(name, Files.readString(file));
		} catch (IOException e) {
			throw new ShellError("cannot read " + file + ": " + e.getMessage());
		} catch (IllegalArgumentException e) {
			throw new ShellError(e.getMessage());
		}
	}

	/** Writes DIR/NAME.csv, .json, .svg and .png; returns the paths. */
	public static List<Path> write(SweepResult r, Path dir) throws IOException {
		Files.createDirectories(dir);
		String n = r.spec().name();
		Path csv = dir.resolve(n + ".csv"), json = dir.resolve(n + ".json"), svg = dir.resolve(n + ".svg"), png = dir.resolve(n + ".png");
		Files.writeString(csv, r.csv());
		Files.writeString(json, r.json());
		Files.writeString(svg, Charts.svg(Figures.sweep(r), PANEL_W, PANEL_H));
		Files.write(png, Charts.png(Figures.sweep(r), PANEL_W, PANEL_H));
		return List.of(csv, json, svg, png);
	}
}
