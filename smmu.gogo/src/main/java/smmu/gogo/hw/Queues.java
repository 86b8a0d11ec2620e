package smmu.gogo.hw;

import java.util.ArrayList;
import java.util.List;

import smmu.gogo.format.Args;
import smmu.gogo.hw.Views.CommandRow;
import smmu.gogo.hw.Views.EventRow;
import smmu.gogo.hw.Views.QueueView;
import smmu.hw.EventType;
import smmu.hw.MemoryAbort;
import smmu.hw.Smmu;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Field;
import smmu.hw.arch.Regs;

/**
 * The command and event queue views: base, size, PROD/CONS (index and wrap bit) read through the
 * SMMU's registers, and the entries decoded from the bytes at the queue's base in its memory, as
 * software sees them (IHI 0070 §3.5; fields as arm-smmu-v3.h and QEMU's smmuv3-internal.h name them).
 */
final class Queues {
	private Queues() {}

	/** Page 1 holds EVENTQ_PROD/CONS (Linux uses it unless ARM_SMMU_OPT_PAGE0_REGS_ONLY). */
	static final int PAGE1 = 0x10000;

	static QueueView cmdq(Smmu s, String last) {
		int max = (int) Regs.IDR1_CMDQS.get(s.read32(Regs.IDR1));
		long base = s.read64(Regs.CMDQ_BASE);
		int prod = s.read32(Regs.CMDQ_PROD);
		int cons = s.read32(Regs.CMDQ_CONS);
		int log2 = log2(base, max);
		long err = Regs.CMDQ_CONS_ERR.get(cons & 0xffff_ffffL);
		String flags = err == 0 ? "-" : "ERR=" + err + " (" + cerror((int) err) + ")";
		boolean on = (s.read32(Regs.CR0ACK) & Regs.CR0_CMDQEN) != 0;
		return view(s, "cmdq", on, base, log2, Cmd.BYTES, prod, cons, flags, last, Queues::command);
	}

	static QueueView evtq(Smmu s, String last) {
		int max = (int) Regs.IDR1_EVENTQS.get(s.read32(Regs.IDR1));
		long base = s.read64(Regs.EVENTQ_BASE);
		int prod = s.read32(Regs.EVENTQ_PROD + PAGE1);
		int cons = s.read32(Regs.EVENTQ_CONS + PAGE1);
		int log2 = log2(base, max);
		String flags = ((prod ^ cons) & Regs.Q_OVF) != 0 ? "OVFLG (PROD.OVFLG != CONS.OVACKFLG: events were lost)" : "-";
		boolean on = (s.read32(Regs.CR0ACK) & Regs.CR0_EVENTQEN) != 0;
		return view(s, "evtq", on, base, log2, smmu.hw.Event.BYTES, prod, cons, flags, last, Queues::event);
	}

	/** LOG2SIZE as the queue uses it: a value above IDR1's maximum behaves as the maximum (QEMU clamps it). */
	private static int log2(long base, int max) {
		return Math.min((int) Regs.Q_BASE_LOG2SIZE.get(base), Math.min(max, 19));
	}

	private interface Decoder {
		Object decode(int index, long address, long[] words);
	}

	private static QueueView view(Smmu s, String name, boolean on, long baseReg, int log2, int bytes, int prod, int cons, String flags,
			String last, Decoder decoder) {
		int size = 1 << log2;
		int mask = size - 1;
		int wrapMask = (2 << log2) - 1;
		long base = baseReg & Regs.Q_BASE_ADDR_MASK;
		int pending = ((prod & wrapMask) - (cons & wrapMask)) & wrapMask;
		int first;
		int count;
		String shown;
		if (last == null || last.isEmpty()) {
			first = cons & mask;
			count = Math.min(pending, size);
			shown = count == 0 ? "none pending (CONS = PROD); --last N shows the last N written" : "pending (CONS..PROD-1)";
		} else {
			count = (int) Args.range("last", last, 1, size);
			first = (prod - count) & mask;
			shown = "last " + count + " before PROD";
		}
		List<Object> entries = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			int index = (first + i) & mask;
			long address = base + (long) index * bytes;
			long[] w = new long[bytes / 8];
			try {
				for (int k = 0; k < w.length; k++) {
					w[k] = s.memory().read64(address + 8L * k);
				}
			} catch (MemoryAbort e) {
				entries.add(decoder.decode(index, address, null));
				continue;
			}
			entries.add(decoder.decode(index, address, w));
		}
		return new QueueView(s.id(), name, on ? "yes" : "no", base, log2, bytes, prod & 0xffff_ffffL, prod & mask, (prod >>> log2) & 1,
				cons & 0xffff_ffffL, cons & mask, (cons >>> log2) & 1, flags, pending, shown, entries);
	}

	private static String raw(long[] w) {
		StringBuilder sb = new StringBuilder();
		for (long x : w) {
			sb.append(sb.isEmpty() ? "" : " ").append(String.format("%016x", x));
		}
		return sb.toString();
	}

	static CommandRow command(int index, long address, long[] w) {
		if (w == null) {
			return new CommandRow(index, address, "-", "external abort reading the entry", "");
		}
		int op = (int) Cmd.OP.get(w);
		StringBuilder f = new StringBuilder();
		switch (op) {
			case Cmd.CFGI_STE -> put(f, w, Cmd.SID, Cmd.CFGI_LEAF);
			case Cmd.CFGI_STE_RANGE -> {
				put(f, w, Cmd.SID, Cmd.CFGI_RANGE);
				if (Cmd.CFGI_RANGE.get(w) == 31) {
					f.append(" (CFGI_ALL)");
				}
			}
			case Cmd.CFGI_CD -> put(f, w, Cmd.SID, Cmd.SSID, Cmd.CFGI_LEAF);
			case Cmd.CFGI_CD_ALL, Cmd.STALL_TERM -> put(f, w, Cmd.SID);
			case Cmd.PREFETCH_CFG -> {
				put(f, w, Cmd.SID);
				ssid(f, w);
			}
			case Cmd.PREFETCH_ADDR -> {
				put(f, w, Cmd.SID);
				ssid(f, w);
				addr(f, "Addr", w[1] & Cmd.TLBI_VA_MASK);
				put(f, w, Cmd.PREFETCH_SIZE);
			}
			case Cmd.TLBI_NH_ALL, Cmd.TLBI_S12_VMALL -> put(f, w, Cmd.TLBI_VMID);
			case Cmd.TLBI_NH_ASID, Cmd.TLBI_EL2_ASID -> put(f, w, Cmd.TLBI_VMID, Cmd.TLBI_ASID);
			case Cmd.TLBI_NH_VA, Cmd.TLBI_EL2_VA, Cmd.TLBI_EL3_VA -> tlbiVa(f, w, true, Cmd.TLBI_VA_MASK);
			case Cmd.TLBI_NH_VAA, Cmd.TLBI_EL2_VAA -> tlbiVa(f, w, false, Cmd.TLBI_VA_MASK);
			case Cmd.TLBI_S2_IPA -> tlbiVa(f, w, false, Cmd.TLBI_IPA_MASK);
			case Cmd.ATC_INV -> {
				put(f, w, Cmd.SID);
				ssid(f, w);
				put(f, w, Cmd.ATC_GLOBAL);
				addr(f, "Addr", w[1] & Cmd.TLBI_VA_MASK);
				put(f, w, Cmd.ATC_SIZE);
			}
			case Cmd.RESUME -> put(f, w, Cmd.SID, Cmd.RESUME_STAG, Cmd.RESUME_RESP);
			case Cmd.SYNC -> {
				int cs = (int) Cmd.SYNC_CS.get(w);
				f.append("CS=").append(switch (cs) {
					case Cmd.SYNC_CS_NONE -> "NONE";
					case Cmd.SYNC_CS_IRQ -> "IRQ";
					case Cmd.SYNC_CS_SEV -> "SEV";
					default -> "reserved";
				});
				if (cs == Cmd.SYNC_CS_IRQ) {
					put(f, w, Cmd.SYNC_MSH, Cmd.SYNC_MSIATTR, Cmd.SYNC_MSIDATA);
					addr(f, "MSIAddr", w[1] & Cmd.SYNC_MSIADDR_MASK);
				}
			}
			default -> {
			}
		}
		return new CommandRow(index, address, Cmd.name(op), f.toString().trim(), raw(w));
	}

	private static void tlbiVa(StringBuilder f, long[] w, boolean asid, long mask) {
		put(f, w, Cmd.TLBI_VMID);
		if (asid) {
			put(f, w, Cmd.TLBI_ASID);
		}
		addr(f, mask == Cmd.TLBI_IPA_MASK ? "IPA" : "VA", w[1] & mask);
		put(f, w, Cmd.TLBI_LEAF);
		if (Cmd.TLBI_TG.get(w) != 0) {
			f.append(" TG=").append(1 << Cmd.tgGranuleShift((int) Cmd.TLBI_TG.get(w)) >> 10).append('K');
			put(f, w, Cmd.TLBI_NUM, Cmd.TLBI_SCALE, Cmd.TLBI_TTL);
		}
	}

	private static void ssid(StringBuilder f, long[] w) {
		if (Cmd.SSV.isSet(w)) {
			put(f, w, Cmd.SSID);
		}
	}

	private static void put(StringBuilder f, long[] w, Field... fields) {
		for (Field x : fields) {
			long v = x.get(w);
			f.append(' ').append(x.name()).append('=').append(x.width() == 1 ? Long.toString(v) : String.format("0x%x", v));
		}
	}

	private static void addr(StringBuilder f, String name, long v) {
		f.append(' ').append(name).append(String.format("=0x%x", v));
	}

	// Event record fields (arm-smmu-v3.h EVTQ_0_*, EVTQ_1_*): the ones smmu.hw.Event does not export.
	private static final Field EV_ID = Field.of("ID", 0, 7, 0);
	private static final Field EV_SSV = Field.of("SSV", 0, 11, 11);
	private static final Field EV_SSID = Field.of("SSID", 0, 31, 12);
	private static final Field EV_SID = Field.of("SID", 0, 63, 32);
	private static final Field EV_STAG = Field.of("STAG", 1, 15, 0);
	private static final Field EV_STALL = Field.of("STALL", 1, 31, 31);
	private static final Field EV_PNU = Field.of("PnU", 1, 33, 33);
	private static final Field EV_IND = Field.of("InD", 1, 34, 34);
	private static final Field EV_RNW = Field.of("RnW", 1, 35, 35);
	private static final Field EV_S2 = Field.of("S2", 1, 39, 39);
	private static final Field EV_CLASS = Field.of("CLASS", 1, 41, 40);

	static EventRow event(int index, long address, long[] w) {
		if (w == null) {
			return new EventRow(index, address, "-", 0, "-", "external abort reading the entry", "");
		}
		int id = (int) EV_ID.get(w);
		EventType t = EventType.of(id);
		String ssid = EV_SSV.isSet(w) ? String.format("0x%x", EV_SSID.get(w)) : "-";
		StringBuilder f = new StringBuilder();
		if (t != null) {
			switch (t) {
				case F_UUT, F_BAD_ATS_TREQ, F_TRANSL_FORBIDDEN, F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION, F_TLB_CONFLICT,
						F_WALK_EABT -> {
					addr(f, "input", w[2]);
					if (t == EventType.F_WALK_EABT) {
						addr(f, "fetch", w[3]);
					} else if (EV_S2.isSet(w)) {
						addr(f, "IPA", w[3]);
					}
					f.append(EV_RNW.isSet(w) ? " read" : " write");
					f.append(EV_S2.isSet(w) ? " S2" : " S1");
					f.append(" CLASS=").append(switch ((int) EV_CLASS.get(w)) {
						case 0 -> "CD";
						case 1 -> "TT";
						case 2 -> "IN";
						default -> "reserved";
					});
					if (EV_PNU.isSet(w)) {
						f.append(" PnU");
					}
					if (EV_IND.isSet(w)) {
						f.append(" InD");
					}
					if (EV_STALL.isSet(w)) {
						f.append(String.format(" STALL STAG=0x%x", EV_STAG.get(w)));
					}
				}
				case F_STE_FETCH -> addr(f, "fetch", w[3]);
				case F_CD_FETCH -> addr(f, "fetch", w[2]); // QEMU's EVT_SET_ADDR, as smmu.hw.Event encodes it
				case F_CFG_CONFLICT, F_VMS_FETCH -> addr(f, "input", w[2]);
				default -> {
				}
			}
		}
		return new EventRow(index, address, t == null ? String.format("0x%02x (not an event)", id) : t.name(), EV_SID.get(w), ssid,
				f.toString().trim(), raw(w));
	}

	private static String cerror(int err) {
		return switch (err) {
			case Regs.CERROR_ILL -> "CERROR_ILL";
			case Regs.CERROR_ABT -> "CERROR_ABT";
			case Regs.CERROR_ATC_INV_SYNC -> "CERROR_ATC_INV_SYNC";
			default -> "reserved";
		};
	}
}
