package smmu.hw.driver;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import smmu.hw.Event;
import smmu.hw.PhysicalMemory;
import smmu.hw.SmmuRegisters;
import smmu.hw.arch.Regs;

/**
 * A test double of an SMMUv3 register file: acknowledges CR0/IRQ_CTRL/GBPA, consumes commands from
 * the queue in memory (recording them) when PROD or GERRORN is written, rejects chosen opcodes with
 * CERROR_ILL, and lets tests push event records. Not the device model: no translation.
 */
final class FakeSmmu implements SmmuRegisters {
	final PhysicalMemory mem;
	final int[] idr;
	final Map<Integer, Long> regs = new HashMap<>();
	final List<String> writes = new ArrayList<>();
	final List<long[]> commands = new ArrayList<>();
	final Set<Integer> illegal = new HashSet<>();
	/** Do not answer CR0 writes in CR0ACK. */
	boolean ignoreCr0;
	/** Never consume commands. */
	boolean hang;
	/** Consume one command per CMDQ_CONS read instead of on PROD writes (an asynchronous SMMU). */
	boolean lazy;
	/** GBPA.UPDATE stays set for this many reads after a write. */
	int gbpaBusyReads;
	int cmdqProd, cmdqCons, gerror, gerrorn, evtqProd, evtqCons;

	FakeSmmu(PhysicalMemory mem, int[] idr) {
		this.mem = mem;
		this.idr = idr.clone();
		regs.put(Regs.GBPA, (long) Regs.GBPA_RESET);
	}

	private int log2(int baseReg) {
		return (int) (regs.getOrDefault(baseReg, 0L) & 0x1f);
	}

	private long base(int baseReg) {
		return regs.getOrDefault(baseReg, 0L) & Regs.Q_BASE_ADDR_MASK;
	}

	@Override
	public int read32(int offset) {
		offset &= ~0x10000;
		if (offset >= Regs.IDR0 && offset <= Regs.IDR5) {
			return idr[(offset - Regs.IDR0) / 4];
		}
		switch (offset) {
			case Regs.CMDQ_CONS:
				if (lazy) {
					consume(1);
				}
				return cmdqCons;
			case Regs.CMDQ_PROD:
				return cmdqProd;
			case Regs.GERROR:
				return gerror;
			case Regs.GERRORN:
				return gerrorn;
			case Regs.EVENTQ_PROD:
				return evtqProd;
			case Regs.EVENTQ_CONS:
				return evtqCons;
			case Regs.GBPA: {
				long v = regs.get(Regs.GBPA);
				if (gbpaBusyReads > 0) {
					gbpaBusyReads--;
					return (int) v | Regs.GBPA_UPDATE;
				}
				return (int) v;
			}
			default:
				return (int) (long) regs.getOrDefault(offset, 0L);
		}
	}

	@Override
	public long read64(int offset) {
		return regs.getOrDefault(offset & ~0x10000, 0L);
	}

	@Override
	public void write32(int offset, int value) {
		offset &= ~0x10000;
		writes.add(String.format("w32 0x%02x=0x%x", offset, value));
		switch (offset) {
			case Regs.CR0 -> {
				regs.put(Regs.CR0, (long) value);
				if (!ignoreCr0) {
					regs.put(Regs.CR0ACK, (long) value);
				}
				consume(Integer.MAX_VALUE);
			}
			case Regs.IRQ_CTRL -> {
				regs.put(Regs.IRQ_CTRL, (long) value);
				regs.put(Regs.IRQ_CTRLACK, (long) value);
			}
			case Regs.GBPA -> regs.put(Regs.GBPA, (long) (value & ~Regs.GBPA_UPDATE));
			case Regs.CMDQ_PROD -> {
				cmdqProd = value;
				if (!lazy) {
					consume(Integer.MAX_VALUE);
				}
			}
			case Regs.CMDQ_CONS -> cmdqCons = value;
			case Regs.GERRORN -> {
				gerrorn = value;
				if (!lazy) {
					consume(Integer.MAX_VALUE);
				}
			}
			case Regs.EVENTQ_PROD -> evtqProd = value;
			case Regs.EVENTQ_CONS -> evtqCons = value;
			default -> regs.put(offset, (long) value);
		}
	}

	@Override
	public void write64(int offset, long value) {
		offset &= ~0x10000;
		writes.add(String.format("w64 0x%02x=0x%x", offset, value));
		regs.put(offset, value);
	}

	private void consume(int max) {
		long cr0 = regs.getOrDefault(Regs.CR0, 0L);
		if (hang || (cr0 & Regs.CR0_CMDQEN) == 0 || ((gerror ^ gerrorn) & Regs.GERROR_CMDQ_ERR) != 0) {
			return;
		}
		int log2 = log2(Regs.CMDQ_BASE);
		int mask = (1 << (log2 + 1)) - 1;
		for (int n = 0; n < max && ((cmdqProd ^ cmdqCons) & mask) != 0; n++) {
			long a = base(Regs.CMDQ_BASE) + 16L * (cmdqCons & ((1 << log2) - 1));
			long[] c = { mem.read64(a), mem.read64(a + 8) };
			if (illegal.contains((int) (c[0] & 0xff))) {
				cmdqCons = (cmdqCons & mask) | Regs.CERROR_ILL << 24;
				gerror ^= Regs.GERROR_CMDQ_ERR;
				return;
			}
			commands.add(c);
			cmdqCons = (cmdqCons + 1) & mask;
		}
	}

	/** Writes an event record at EVENTQ_PROD and advances it (setting OVFLG toggles the overflow flag). */
	void pushEvent(long[] words, boolean toggleOverflow) {
		int log2 = log2(Regs.EVENTQ_BASE);
		int mask = (1 << (log2 + 1)) - 1;
		long a = base(Regs.EVENTQ_BASE) + (long) Event.BYTES * (evtqProd & ((1 << log2) - 1));
		for (int i = 0; i < 4; i++) {
			mem.write64(a + 8L * i, words[i]);
		}
		int ovf = (evtqProd & Regs.Q_OVF) ^ (toggleOverflow ? Regs.Q_OVF : 0);
		evtqProd = ovf | ((evtqProd + 1) & mask);
	}

	List<String> commandNames() {
		List<String> out = new ArrayList<>();
		for (long[] c : commands) {
			out.add(Commands.describe(c));
		}
		return out;
	}
}
