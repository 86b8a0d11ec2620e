package smmu.hw.snapshot;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Translations QEMU's SMMUv3 performed, from the {@code smmuv3_translate_success} lines of a trace
 * log ({@code <memory region> sid=0x.. iova=0x.. translated=0x.. perm=0x..}, with or without the
 * {@code pid@seconds.micros:} prefix); other lines are ignored. A malformed
 * {@code smmuv3_translate_success} line raises {@link IllegalArgumentException} with its number.
 */
public final class QemuTranslations {
	private QemuTranslations() {}

	/** The trace event whose lines carry successful translations. */
	public static final String EVENT = "smmuv3_translate_success";

	/** QEMU's IOMMUAccessFlags. */
	public static final int PERM_READ = 1, PERM_WRITE = 2;

	/**
	 * One translation.
	 *
	 * @param sid StreamID
	 * @param iova input address
	 * @param translated output address QEMU produced for {@code iova} (page offset included)
	 * @param perm what the translation allows: {@link #PERM_READ}, {@link #PERM_WRITE} or both
	 */
	public record Translation(int sid, long iova, long translated, int perm) {
		public boolean readable() {
			return (perm & PERM_READ) != 0;
		}

		public boolean writable() {
			return (perm & PERM_WRITE) != 0;
		}
	}

	/** Reads a trace log, plain or gzip. */
	public static List<Translation> read(Path file) throws IOException {
		try (Reader r = Texts.open(file)) {
			return parse(r);
		} catch (IllegalArgumentException e) {
			throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
		}
	}

	public static List<Translation> parse(String text) {
		try {
			return parse(new StringReader(text));
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** The translations in trace order. */
	public static List<Translation> parse(Reader in) throws IOException {
		BufferedReader br = in instanceof BufferedReader b ? b : new BufferedReader(in);
		List<Translation> out = new ArrayList<>();
		int n = 0;
		for (String line = br.readLine(); line != null; line = br.readLine()) {
			n++;
			int i = line.indexOf(EVENT + " ");
			if (i < 0 || (i > 0 && line.charAt(i - 1) != ':' && !Character.isWhitespace(line.charAt(i - 1)))) {
				continue;
			}
			out.add(translation(line.substring(i + EVENT.length() + 1), n, line));
		}
		return Collections.unmodifiableList(out);
	}

	private static Translation translation(String args, int n, String line) {
		String[] tokens = args.strip().split("\\s+");
		long sid = 0, iova = 0, translated = 0, perm = 0;
		boolean haveSid = false, haveIova = false, haveTranslated = false, havePerm = false;
		for (int t = 1; t < tokens.length; t++) {
			int eq = tokens[t].indexOf('=');
			if (eq < 0) {
				throw RegisterState.bad(n, "expected key=value, got '" + tokens[t] + "'", line);
			}
			String key = tokens[t].substring(0, eq);
			String value = tokens[t].substring(eq + 1);
			switch (key) {
				case "sid" -> {
					sid = number(value, n, line);
					haveSid = true;
				}
				case "iova" -> {
					iova = number(value, n, line);
					haveIova = true;
				}
				case "translated" -> {
					translated = number(value, n, line);
					haveTranslated = true;
				}
				case "perm" -> {
					perm = number(value, n, line);
					havePerm = true;
				}
				default -> {
					// fields added by other QEMU versions
				}
			}
		}
		if (tokens.length < 2 || tokens[0].contains("=") || !haveSid || !haveIova || !haveTranslated || !havePerm) {
			throw RegisterState.bad(n, "expected '<region> sid=0x.. iova=0x.. translated=0x.. perm=0x..'", line);
		}
		if ((sid >>> 32) != 0) {
			throw RegisterState.bad(n, "StreamID " + Long.toHexString(sid) + " wider than 32 bits", line);
		}
		if ((perm & ~(long) (PERM_READ | PERM_WRITE)) != 0) {
			throw RegisterState.bad(n, "perm 0x" + Long.toHexString(perm) + " is not an access flag set (0..3)", line);
		}
		return new Translation((int) sid, iova, translated, (int) perm);
	}

	private static long number(String s, int n, String line) {
		try {
			if (s.startsWith("0x") || s.startsWith("0X")) {
				return Long.parseUnsignedLong(s.substring(2), 16);
			}
			return Long.parseUnsignedLong(s);
		} catch (NumberFormatException e) {
			throw RegisterState.bad(n, "bad number '" + s + "'", line);
		}
	}
}
