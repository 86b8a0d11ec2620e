package smmu.gogo.hw;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import smmu.gogo.format.Args;
import smmu.gogo.format.ShellError;
import smmu.gogo.hw.Views.DecodedRow;
import smmu.gogo.hw.Views.EntryView;
import smmu.gogo.hw.Views.FieldRow;
import smmu.gogo.hw.Views.MemRow;
import smmu.gogo.hw.Views.MemView;
import smmu.hw.MemoryAbort;
import smmu.hw.PhysicalMemory;
import smmu.hw.Smmu;
import smmu.hw.TableEntry;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Pte;
import smmu.hw.arch.Ste;

/** smmu:mem: bytes of an SMMU's memory as hex, optionally decoded as STEs, CDs or descriptors. */
final class Mem {
	private Mem() {}

	/** The most bytes one smmu:mem shows. */
	static final int MAX = 4096;

	static MemView read(Smmu s, String paArg, String lenArg, String as) {
		String kind = as == null ? "" : as.trim().toLowerCase(Locale.ROOT);
		int unit = switch (kind) {
			case "" -> 1;
			case "ste" -> Ste.BYTES;
			case "cd" -> Cd.BYTES;
			case "pte" -> 8;
			default -> throw new ShellError("--as: '" + as + "' is not one of ste, cd, pte");
		};
		long pa = Args.number("pa", paArg);
		int len = (int) Args.range("len", lenArg, 1, MAX);
		PhysicalMemory m = s.memory();
		int bits = m.addressBits();
		long limit = bits >= 64 ? -1L : 1L << bits;
		if (bits < 64 && (Long.compareUnsigned(pa, limit) >= 0 || Long.compareUnsigned(pa + len, limit) > 0 || pa + len < pa)) {
			throw new ShellError(String.format("pa: 0x%x..0x%x is beyond %s's %d-bit physical address space", pa, pa + len - 1, s.id(), bits));
		}
		if (len < unit) {
			throw new ShellError("len: --as " + kind + " needs at least " + unit + " bytes");
		}
		byte[] b = new byte[len];
		try {
			m.read(pa, b, 0, len);
		} catch (MemoryAbort e) {
			throw new ShellError(String.format("external abort reading 0x%x", e.address()));
		}
		List<MemRow> rows = new ArrayList<>();
		for (int off = 0; off < len; off += 16) {
			StringBuilder hex = new StringBuilder();
			StringBuilder text = new StringBuilder();
			for (int i = off; i < Math.min(off + 16, len); i++) {
				hex.append(i == off ? "" : i - off == 8 ? "  " : " ").append(String.format("%02x", b[i] & 0xff));
				text.append(b[i] >= 0x20 && b[i] < 0x7f ? (char) b[i] : '.');
			}
			rows.add(new MemRow(pa + off, hex.toString(), text.toString()));
		}
		List<DecodedRow> decoded = new ArrayList<>();
		if (unit > 1) {
			for (int off = 0; off + unit <= len; off += unit) {
				long[] w = new long[unit / 8];
				for (int k = 0; k < w.length; k++) {
					w[k] = word(b, off + 8 * k);
				}
				long at = pa + off;
				if (kind.equals("pte")) {
					decoded.add(new DecodedRow(at, "PTE", "descriptor", w[0], pte(w[0])));
					continue;
				}
				EntryView e = SmmuCommands.entry(kind.toUpperCase(Locale.ROOT), new TableEntry(at, w, null), kind.equals("ste") ? Ste.class : Cd.class);
				for (FieldRow f : e.fields()) {
					decoded.add(new DecodedRow(at, e.what(), f.field(), f.value(), f.meaning()));
				}
			}
		}
		return new MemView(s.id(), pa, len, kind.isEmpty() ? "bytes" : kind, rows, decoded);
	}

	private static long word(byte[] b, int off) {
		long v = 0;
		for (int i = 7; i >= 0; i--) {
			v = (v << 8) | (b[off + i] & 0xff);
		}
		return v;
	}

	/**
	 * A VMSAv8-64 descriptor with a 4K granule, at any level: bits[1:0] 3 is a table (levels 0-2) or a
	 * page (level 3), 1 a block; the attribute bits are named for both stages (AP[2:1] is S2AP at stage 2).
	 */
	static String pte(long d) {
		if ((d & Pte.VALID) == 0) {
			return "invalid";
		}
		StringBuilder sb = new StringBuilder();
		long out = Pte.outputAddress(d, 12);
		if ((d & Pte.TYPE_MASK) == Pte.TYPE_BLOCK) {
			sb.append(String.format("block out=0x%x", out));
		} else {
			sb.append(String.format("table next=0x%x or page out=0x%x", out, out));
		}
		sb.append(" AttrIndx/MemAttr=").append(Pte.S1_ATTRINDX.get(d));
		sb.append(" AP/S2AP=").append((d >>> 6) & 3);
		sb.append(" SH=").append(Pte.SH.get(d));
		flag(sb, d, Pte.AF, "AF");
		flag(sb, d, Pte.NG, "nG");
		flag(sb, d, Pte.DBM, "DBM");
		flag(sb, d, Pte.CONT, "Contiguous");
		if ((d & Pte.XN) != 0) {
			sb.append(" XN=").append((d & Pte.XN) >>> 53);
		}
		if (Pte.APTABLE.get(d) != 0) {
			sb.append(" APTable=").append(Pte.APTABLE.get(d));
		}
		flag(sb, d, Pte.NSTABLE, "NSTable");
		return sb.toString();
	}

	private static void flag(StringBuilder sb, long d, long bit, String name) {
		if ((d & bit) != 0) {
			sb.append(' ').append(name);
		}
	}
}
