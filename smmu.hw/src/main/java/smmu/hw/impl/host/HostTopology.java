package smmu.hw.impl.host;

import smmu.hw.PciEndpoint;
import smmu.hw.SmmuSpec;

/** Parses the host configuration's strings, with messages that name the bad entry. */
final class HostTopology {
	private HostTopology() {}

	/** "id@0xbase" -> an MMU-700-like spec. */
	static SmmuSpec smmu(String s) {
		int at = s.indexOf('@');
		if (at <= 0) {
			throw new IllegalArgumentException("SMMU '" + s + "': expected id@mmio-base");
		}
		return SmmuSpec.mmu700(s.substring(0, at).trim(), number(s, s.substring(at + 1)));
	}

	/** "bdf@smmu:sid" -> endpoint. */
	static PciEndpoint endpoint(String s) {
		int at = s.indexOf('@'), colon = s.lastIndexOf(':');
		if (at <= 0 || colon < at) {
			throw new IllegalArgumentException("endpoint '" + s + "': expected bdf@smmu-id:streamid");
		}
		long sid = number(s, s.substring(colon + 1));
		if (sid < 0 || sid > 0xffff_ffffL) {
			throw new IllegalArgumentException("endpoint '" + s + "': StreamID out of range");
		}
		return new PciEndpoint(s.substring(0, at).trim(), s.substring(at + 1, colon).trim(), (int) sid);
	}

	/** "0xstart-0xend" -> {start, end}. */
	static long[] range(String s) {
		int dash = s.indexOf('-');
		if (dash <= 0) {
			throw new IllegalArgumentException("range '" + s + "': expected start-end");
		}
		return new long[] { number(s, s.substring(0, dash)), number(s, s.substring(dash + 1)) };
	}

	private static long number(String entry, String n) {
		String t = n.trim();
		try {
			return t.startsWith("0x") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
		} catch (NumberFormatException e) {
			throw new IllegalArgumentException("'" + entry + "': '" + n + "' is not a number");
		}
	}
}
