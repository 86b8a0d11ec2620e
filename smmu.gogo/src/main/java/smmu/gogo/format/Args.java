package smmu.gogo.format;

/** Parses shell arguments with messages that say what was wrong. */
public final class Args {
	private Args() {}

	/** 0x-prefixed hex or decimal; underscores allowed. */
	public static long number(String what, String s) {
		String t = s.trim().replace("_", "");
		try {
			if (t.startsWith("0x") || t.startsWith("0X")) {
				return Long.parseUnsignedLong(t.substring(2), 16);
			}
			return Long.parseLong(t);
		} catch (NumberFormatException e) {
			throw new ShellError(what + ": '" + s + "' is not a number (use decimal or 0x-hex)");
		}
	}

	public static int u32(String what, String s) {
		long v = number(what, s);
		if (v < 0 || v > 0xffff_ffffL) {
			throw new ShellError(what + ": " + s + " is out of range (0..0xffffffff)");
		}
		return (int) v;
	}

	/** An SSID option: -1 (absent) or 0..2^20-1. */
	public static int ssid(String s) {
		if (s == null || s.equals("-1") || s.isEmpty()) {
			return -1;
		}
		long v = number("ssid", s);
		if (v < 0 || v >= 1 << 20) {
			throw new ShellError("ssid: " + s + " is out of range (0..0xfffff)");
		}
		return (int) v;
	}
}
