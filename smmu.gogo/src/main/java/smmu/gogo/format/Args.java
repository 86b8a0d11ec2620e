package smmu.gogo.format;

import java.math.BigInteger;

/**
 * The one parser of the shell's numeric arguments: decimal or 0x-hex (underscores allowed), unsigned,
 * at most 64 bits. Every failure is a {@link ShellError} naming the argument and its range.
 */
public final class Args {
	private static final BigInteger U64 = BigInteger.ONE.shiftLeft(64);

	private Args() {}

	/** An unsigned 64-bit number (addresses, words): 0..0xffffffffffffffff, returned as its bit pattern. */
	public static long number(String what, String s) {
		return range(what, s, 0, -1L);
	}

	/** A size or count that must be positive: 1..2^64-1. */
	public static long size(String what, String s) {
		return range(what, s, 1, -1L);
	}

	/** An unsigned number within {@code min..max} (unsigned comparison; max -1 = 2^64-1). */
	public static long range(String what, String s, long min, long max) {
		if (s == null) {
			throw new ShellError(what + ": missing (" + bounds(min, max) + ")");
		}
		String t = s.trim().replace("_", "");
		BigInteger v;
		try {
			boolean negative = t.startsWith("-");
			String digits = negative ? t.substring(1) : t;
			v = digits.startsWith("0x") || digits.startsWith("0X") ? new BigInteger(digits.substring(2), 16) : new BigInteger(digits);
			if (negative) {
				v = v.negate();
			}
		} catch (NumberFormatException e) {
			throw new ShellError(what + ": '" + s + "' is not a number (decimal or 0x-hex, " + bounds(min, max) + ")");
		}
		if (v.signum() < 0 || v.compareTo(U64) >= 0 || Long.compareUnsigned(v.longValue(), min) < 0
				|| Long.compareUnsigned(v.longValue(), max) > 0) {
			String why = v.signum() < 0 ? "is negative" : v.compareTo(U64) >= 0 ? "does not fit in 64 bits" : "is out of range";
			throw new ShellError(what + ": " + s + " " + why + " (" + bounds(min, max) + ")");
		}
		return v.longValue();
	}

	public static int u32(String what, String s) {
		return (int) range(what, s, 0, 0xffff_ffffL);
	}

	/** An SSID option: -1 (absent) or 0..2^20-1. */
	public static int ssid(String s) {
		if (s == null || s.equals("-1") || s.isEmpty()) {
			return -1;
		}
		return (int) range("ssid", s, 0, (1 << 20) - 1);
	}

	private static String bounds(long min, long max) {
		return Formatter.hex(min) + ".." + Formatter.hex(max);
	}
}
