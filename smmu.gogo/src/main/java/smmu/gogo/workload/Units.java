package smmu.gogo.workload;

import java.time.Duration;
import java.util.Locale;

import smmu.gogo.format.Args;
import smmu.gogo.format.ShellError;

/** Sizes with K/M/G/T suffixes (powers of 1024) and durations with ms/s/m/h suffixes. */
public final class Units {
	private Units() {}

	public static long bytes(String what, String s) {
		String t = s.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
		int shift = 0;
		if (!t.startsWith("0X") && !t.isEmpty()) {
			switch (t.charAt(t.length() - 1)) {
				case 'K' -> shift = 10;
				case 'M' -> shift = 20;
				case 'G' -> shift = 30;
				case 'T' -> shift = 40;
				default -> shift = 0;
			}
		}
		if (shift != 0) {
			t = t.substring(0, t.length() - 1);
		}
		long v;
		try {
			v = Args.number(what, t.toLowerCase(Locale.ROOT));
		} catch (ShellError e) {
			throw new ShellError(what + ": '" + s + "' is not a size (e.g. 4096, 64K, 2M, 1G)");
		}
		if (v < 0 || (shift > 0 && v > Long.MAX_VALUE >> shift)) {
			throw new ShellError(what + ": '" + s + "' is out of range");
		}
		return v << shift;
	}

	public static Duration duration(String what, String s) {
		String t = s.trim().toLowerCase(Locale.ROOT);
		try {
			if (t.endsWith("ms")) {
				return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
			}
			char u = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
			String n = Character.isDigit(u) ? t : t.substring(0, t.length() - 1);
			double v = Double.parseDouble(n);
			if (v < 0 || Double.isNaN(v) || Double.isInfinite(v)) {
				throw new NumberFormatException();
			}
			double secs = switch (u) {
				case 's' -> v;
				case 'm' -> v * 60;
				case 'h' -> v * 3600;
				default -> {
					if (!Character.isDigit(u)) {
						throw new NumberFormatException();
					}
					yield v;
				}
			};
			return Duration.ofNanos((long) (secs * 1e9));
		} catch (NumberFormatException e) {
			throw new ShellError(what + ": '" + s + "' is not a duration (e.g. 500ms, 10s, 2m; 0 for none)");
		}
	}
}
