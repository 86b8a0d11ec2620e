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

	/**
	 * Applies the "[smmu-id:]NAME=value" register entries that concern {@code spec} (entries without an
	 * id concern every SMMU; a later entry wins).
	 */
	static SmmuSpec registers(SmmuSpec spec, String[] entries) {
		int[] idr = new int[6];
		for (int i = 0; i < 6; i++) {
			idr[i] = spec.idr(i);
		}
		int iidr = spec.iidr(), aidr = spec.aidr();
		for (String e : entries) {
			int eq = e.indexOf('=');
			if (eq <= 0) {
				throw new IllegalArgumentException("register '" + e + "': expected [smmu-id:]NAME=value");
			}
			String name = e.substring(0, eq).trim();
			int colon = name.indexOf(':');
			if (colon >= 0) {
				if (!name.substring(0, colon).trim().equals(spec.id())) {
					continue;
				}
				name = name.substring(colon + 1).trim();
			}
			long v = number(e, e.substring(eq + 1));
			if (v < 0 || v > 0xffff_ffffL) {
				throw new IllegalArgumentException("register '" + e + "': not a 32-bit value");
			}
			String n = name.toUpperCase(java.util.Locale.ROOT);
			if (n.matches("IDR[0-5]")) {
				idr[n.charAt(3) - '0'] = (int) v;
			} else if (n.equals("IIDR")) {
				iidr = (int) v;
			} else if (n.equals("AIDR")) {
				aidr = (int) v;
			} else {
				throw new IllegalArgumentException("register '" + e + "': " + name + " is not one of IDR0..IDR5, IIDR, AIDR");
			}
		}
		return spec.withIdr(idr).withIds(iidr, aidr);
	}

	/** "kind@0xbase" -> the MSI controller. */
	static smmu.hw.irq.MsiController msi(String s) {
		int at = s.indexOf('@');
		if (at <= 0) {
			throw new IllegalArgumentException("MSI controller '" + s + "': expected kind@base");
		}
		return new smmu.hw.irq.MsiController(smmu.hw.irq.MsiController.Kind.of(s.substring(0, at).trim()), number(s, s.substring(at + 1)));
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
