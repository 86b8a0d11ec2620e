package smmu.hw.snapshot;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import smmu.hw.arch.Regs;

/**
 * The register state of an SMMUv3 as software left it: register offset (page 0, see
 * {@link Regs}) to value, sorted by offset. It comes from one of two texts:
 * <ul>
 * <li>a QEMU trace log holding {@code smmuv3_write_mmio} lines, with or without the
 * {@code pid@seconds.micros:} prefix of {@code -msg timestamp=on}; other lines are ignored. The last
 * write to an offset wins. A 64-bit register (STRTAB_BASE, CMDQ_BASE, EVENTQ_BASE, PRIQ_BASE and
 * the *_IRQ_CFG0 registers, also in the secure bank) is written either whole (size 8) or as two
 * 32-bit halves at its offset and offset + 4, which are merged into its value, as QEMU's register
 * file does. As in QEMU, a size-8 write to a 32-bit register is ignored, a write QEMU traced as failed
 * (non-zero result) is ignored, and a GBPA write takes effect only with GBPA.Update set (which then
 * reads back clear). Queued commands are not replayed: CMDQ_CONS and EVENTQ_PROD keep the values
 * software last wrote, not the ones the SMMU advanced.</li>
 * <li>{@code offset=value} lines: offset and value in hex ({@code 0x}) or decimal, {@code _} allowed
 * between digits, {@code #} starts a comment. Values are taken as the registers' contents.</li>
 * </ul>
 * Offsets in page 1 (0x10000 and up) fold onto page 0, as QEMU aliases them. Malformed lines raise
 * {@link IllegalArgumentException} with the line number.
 */
public final class RegisterState {
	private RegisterState() {}

	/** The trace event whose lines carry register writes. */
	public static final String WRITE_EVENT = "smmuv3_write_mmio";

	private static final int PAGE1 = 0x10000;
	private static final int SECURE_BANK = 0x8000;
	private static final Pattern WRITE_ARGS = Pattern.compile(
			"addr: 0x(\\p{XDigit}{1,16}) val:0x(\\p{XDigit}{1,16}) size: 0x(\\p{XDigit}{1,8})(?:\\((-?\\d+)\\))?\\s*");
	private static final Pattern OFFSET_VALUE = Pattern.compile("\\s*([0-9][0-9a-fA-FxX_]*)\\s*=\\s*(\\S+)\\s*");
	private static final Pattern OFFSET_VALUE_START = Pattern.compile("\\s*[0-9][0-9a-fA-FxX_]*\\s*=.*");

	/** Whether {@code offset} is the offset of a 64-bit register (its low word). */
	public static boolean is64BitRegister(int offset) {
		return switch (offset & ~SECURE_BANK) {
			case Regs.GERROR_IRQ_CFG0, Regs.STRTAB_BASE, Regs.CMDQ_BASE, Regs.EVENTQ_BASE, Regs.EVENTQ_IRQ_CFG0, 0xc0, 0xd0 -> true;
			default -> false;
		};
	}

	/**
	 * Reads a file in either format (plain or gzip): a file whose first line that is neither blank nor
	 * a comment reads {@code offset=value} is in that format, anything else is a trace log.
	 */
	public static Map<Integer, Long> read(Path file) throws IOException {
		try (Reader r = Texts.open(file)) {
			return parse(r);
		} catch (IllegalArgumentException e) {
			throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
		}
	}

	/** Parses text in either format, as {@link #read(Path)} does. */
	public static Map<Integer, Long> parse(String text) {
		try {
			return parse(new StringReader(text));
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** Parses a stream in either format, as {@link #read(Path)} does. */
	public static Map<Integer, Long> parse(Reader in) throws IOException {
		return run(in, null);
	}

	/** Parses a QEMU trace log: its {@code smmuv3_write_mmio} lines, at least one. */
	public static Map<Integer, Long> parseTrace(Reader in) throws IOException {
		return run(in, Boolean.TRUE);
	}

	/** Parses {@code offset=value} lines. */
	public static Map<Integer, Long> parseOffsetValues(Reader in) throws IOException {
		return run(in, Boolean.FALSE);
	}

	/** Formats a register state as {@code offset=value} lines that {@link #parse(String)} reads back. */
	public static String toOffsetValues(Map<Integer, Long> registers) {
		StringBuilder sb = new StringBuilder();
		for (Map.Entry<Integer, Long> e : new TreeMap<>(registers).entrySet()) {
			sb.append(String.format("0x%x=0x%x%n", e.getKey(), e.getValue()));
		}
		return sb.toString();
	}

	private static Map<Integer, Long> run(Reader in, Boolean trace) throws IOException {
		BufferedReader br = in instanceof BufferedReader b ? b : new BufferedReader(in);
		TreeMap<Integer, Long> regs = new TreeMap<>();
		int writes = 0;
		int n = 0;
		for (String line = br.readLine(); line != null; line = br.readLine()) {
			n++;
			if (trace == null) {
				String t = line.strip();
				if (t.isEmpty() || t.startsWith("#")) {
					continue;
				}
				trace = !OFFSET_VALUE_START.matcher(line).matches();
			}
			if (trace) {
				if (traceLine(line, n, regs)) {
					writes++;
				}
			} else {
				offsetValueLine(line, n, regs);
			}
		}
		if (Boolean.TRUE.equals(trace) && writes == 0) {
			throw new IllegalArgumentException("no " + WRITE_EVENT + " line: not a QEMU trace of SMMUv3 register writes");
		}
		return Collections.unmodifiableMap(regs);
	}

	private static boolean traceLine(String line, int n, TreeMap<Integer, Long> regs) {
		int i = line.indexOf(WRITE_EVENT + " ");
		if (i < 0 || (i > 0 && line.charAt(i - 1) != ':' && !Character.isWhitespace(line.charAt(i - 1)))) {
			return false;
		}
		Matcher m = WRITE_ARGS.matcher(line.substring(i + WRITE_EVENT.length() + 1));
		if (!m.matches()) {
			throw bad(n, "malformed " + WRITE_EVENT + " arguments (expected 'addr: 0x.. val:0x.. size: 0x..(r)')", line);
		}
		long addr = Long.parseUnsignedLong(m.group(1), 16);
		long val = Long.parseUnsignedLong(m.group(2), 16);
		long size = Long.parseLong(m.group(3), 16);
		int result = m.group(4) == null ? 0 : parseInt(m.group(4), n, line);
		if (result != 0) {
			return true;
		}
		if (size != 4 && size != 8) {
			throw bad(n, "access size " + size + " (the SMMU takes 4 or 8)", line);
		}
		int off = offset(addr, n, line);
		if ((off & (size - 1)) != 0) {
			throw bad(n, String.format("unaligned %d-byte access at 0x%x", size, off), line);
		}
		if (size == 8) {
			if (is64BitRegister(off)) {
				regs.put(off, val);
			}
			return true;
		}
		if ((val >>> 32) != 0) {
			throw bad(n, String.format("32-bit write of 0x%x", val), line);
		}
		if (off == Regs.GBPA) {
			// IHI 0070 6.3.14: GBPA changes only with Update = 1, which reads 0 once done
			if ((val & Regs.GBPA_UPDATE) != 0) {
				regs.put(off, val & ~(Regs.GBPA_UPDATE & 0xffffffffL));
			}
			return true;
		}
		put32(regs, off, val);
		return true;
	}

	private static void offsetValueLine(String line, int n, TreeMap<Integer, Long> regs) {
		int hash = line.indexOf('#');
		String body = hash < 0 ? line : line.substring(0, hash);
		if (body.isBlank()) {
			return;
		}
		Matcher m = OFFSET_VALUE.matcher(body);
		if (!m.matches()) {
			throw bad(n, "expected offset=value", line);
		}
		long addr = number(m.group(1), n, line);
		long val = number(m.group(2), n, line);
		int off = offset(addr, n, line);
		if ((off & 3) != 0) {
			throw bad(n, String.format("offset 0x%x is not 4-byte aligned", off), line);
		}
		if (is64BitRegister(off)) {
			regs.put(off, val);
			return;
		}
		if ((val >>> 32) != 0) {
			throw bad(n, String.format("value 0x%x does not fit the 32-bit register at 0x%x", val, off), line);
		}
		put32(regs, off, val);
	}

	private static void put32(TreeMap<Integer, Long> regs, int off, long val) {
		if (is64BitRegister(off - 4)) {
			regs.merge(off - 4, val << 32, (old, v) -> (old & 0xffffffffL) | v);
		} else if (is64BitRegister(off)) {
			regs.merge(off, val, (old, v) -> (old & 0xffffffff00000000L) | v);
		} else {
			regs.put(off, val);
		}
	}

	private static int offset(long addr, int n, String line) {
		if (addr < 0 || addr >= Regs.MMIO_SIZE) {
			throw bad(n, String.format("offset 0x%x outside the 0x%x-byte register region", addr, Regs.MMIO_SIZE), line);
		}
		return (int) addr & ~PAGE1;
	}

	private static long number(String s, int n, String line) {
		String t = s.replace("_", "");
		try {
			if (t.startsWith("0x") || t.startsWith("0X")) {
				return Long.parseUnsignedLong(t.substring(2), 16);
			}
			return Long.parseUnsignedLong(t);
		} catch (NumberFormatException e) {
			throw bad(n, "bad number '" + s + "'", line);
		}
	}

	private static int parseInt(String s, int n, String line) {
		try {
			return Integer.parseInt(s);
		} catch (NumberFormatException e) {
			throw bad(n, "bad number '" + s + "'", line);
		}
	}

	static IllegalArgumentException bad(int n, String what, String line) {
		String shown = line.length() > 120 ? line.substring(0, 120) + "..." : line;
		return new IllegalArgumentException("line " + n + ": " + what + ": " + shown);
	}
}
