package smmu.hw.impl.queue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

import smmu.hw.MemoryAbort;
import smmu.hw.PhysicalMemory;
import smmu.hw.SmmuSpec;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Field;
import smmu.hw.arch.Regs;
import smmu.hw.impl.xlate.TranslationEngine;

/**
 * Decodes command queue entries and carries them out: each CFGI and TLBI command becomes the
 * {@link TranslationEngine} invalidation with exactly the command's reach; CMD_SYNC signals completion;
 * commands with nothing to do in this model (prefetch, ATS, PRI, stall, EL3 TLBIs) complete.
 * Counts completed commands by upstream name. Illegal commands return {@link Regs#CERROR_ILL}.
 */
public final class CommandDecoder implements CommandQueue.Processor {

	/** What a command can signal beyond the engine. */
	public interface Signals {
		/** CMD_SYNC with CS = SIG_IRQ completing without an MSI: pulse the CMD_SYNC line. */
		void syncInterrupt();

		/** A GERROR condition, e.g. {@link Regs#GERROR_MSI_CMDQ_ABT_ERR}. */
		void globalError(int bit);
	}

	// IHI 0070 / arm-smmu-v3.h: SCALE is [24:20] (Cmd.TLBI_SCALE spans one bit more).
	private static final Field SCALE = Field.of("SCALE", 0, 24, 20);
	private static final int OPCODES = 256;

	private final TranslationEngine engine;
	private final PhysicalMemory memory;
	private final Signals signals;
	private final boolean s1p, s2p, hyp, msi;
	private final int vmidMask, asidMask;
	private final AtomicLongArray counts = new AtomicLongArray(OPCODES);

	public CommandDecoder(SmmuSpec spec, TranslationEngine engine, PhysicalMemory memory, Signals signals) {
		this.engine = engine;
		this.memory = memory;
		this.signals = signals;
		int idr0 = spec.idr(0);
		this.s1p = Regs.IDR0_S1P.get(idr0) != 0;
		this.s2p = Regs.IDR0_S2P.get(idr0) != 0;
		this.msi = Regs.IDR0_MSI.get(idr0) != 0;
		this.hyp = Regs.IDR0_HYP.get(idr0) != 0;
		this.vmidMask = Regs.IDR0_VMID16.get(idr0) != 0 ? 0xffff : 0xff;
		this.asidMask = Regs.IDR0_ASID16.get(idr0) != 0 ? 0xffff : 0xff;
	}

	@Override
	public int execute(long w0, long w1) {
		int op = (int) (w0 & 0xff);
		// The model is the Non-secure programming interface: SSEC = 1 is illegal there.
		if ((w0 & Cmd.SSEC.mask()) != 0) {
			return Regs.CERROR_ILL;
		}
		int sid = (int) (w0 >>> 32);
		switch (op) {
			case Cmd.PREFETCH_CFG, Cmd.PREFETCH_ADDR, Cmd.ATC_INV, Cmd.PRI_RESP, Cmd.RESUME, Cmd.STALL_TERM:
			case Cmd.TLBI_EL3_ALL, Cmd.TLBI_EL3_VA:
				break;
			// IHI 0070 4.4.3: the EL2 TLBIs need IDR0.HYP; they ignore VMID; EL2_ASID and the ASID of EL2_VA
			// reach only EL2-E2H entries (EL2 entries have no ASID)
			case Cmd.TLBI_EL2_ALL:
				if (!hyp) {
					return Regs.CERROR_ILL;
				}
				engine.invalidateEl2All();
				break;
			case Cmd.TLBI_EL2_ASID:
				if (!hyp) {
					return Regs.CERROR_ILL;
				}
				engine.invalidateEl2Asid(asid(w0));
				break;
			case Cmd.TLBI_EL2_VA, Cmd.TLBI_EL2_VAA: {
				if (!hyp) {
					return Regs.CERROR_ILL;
				}
				long length = span(w0, w1);
				if (length == 0) {
					return Regs.CERROR_ILL;
				}
				int asid = op == Cmd.TLBI_EL2_VA ? asid(w0) : TranslationEngine.ANY_ASID;
				engine.invalidateEl2Va(asid, w1 & Cmd.TLBI_VA_MASK, length, Cmd.TLBI_LEAF.get(w1) != 0);
				break;
			}
			case Cmd.CFGI_STE:
				engine.invalidateSte(sid);
				break;
			case Cmd.CFGI_STE_RANGE:
				engine.invalidateSteRange(sid, (int) Cmd.CFGI_RANGE.get(w1));
				break;
			case Cmd.CFGI_CD:
				engine.invalidateCd(sid, (int) Cmd.SSID.get(w0));
				break;
			case Cmd.CFGI_CD_ALL:
				engine.invalidateCdAll(sid);
				break;
			case Cmd.TLBI_NH_ALL:
				if (!s1p) {
					return Regs.CERROR_ILL;
				}
				engine.invalidateStage1(vmid(w0));
				break;
			case Cmd.TLBI_NH_ASID:
				if (!s1p) {
					return Regs.CERROR_ILL;
				}
				engine.invalidateAsid(vmid(w0), asid(w0));
				break;
			case Cmd.TLBI_NH_VA, Cmd.TLBI_NH_VAA: {
				if (!s1p) {
					return Regs.CERROR_ILL;
				}
				long length = span(w0, w1);
				if (length == 0) {
					return Regs.CERROR_ILL;
				}
				int asid = op == Cmd.TLBI_NH_VA ? asid(w0) : TranslationEngine.ANY_ASID;
				engine.invalidateVa(vmid(w0), asid, w1 & Cmd.TLBI_VA_MASK, length, Cmd.TLBI_LEAF.get(w1) != 0);
				break;
			}
			case Cmd.TLBI_S2_IPA: {
				if (!s2p) {
					return Regs.CERROR_ILL;
				}
				long length = span(w0, w1);
				if (length == 0) {
					return Regs.CERROR_ILL;
				}
				engine.invalidateIpa(vmid(w0), w1 & Cmd.TLBI_IPA_MASK, length, Cmd.TLBI_LEAF.get(w1) != 0);
				break;
			}
			case Cmd.TLBI_S12_VMALL:
				if (!s2p) {
					return Regs.CERROR_ILL;
				}
				engine.invalidateVmid(vmid(w0));
				break;
			case Cmd.TLBI_NSNH_ALL:
				engine.invalidateAll();
				break;
			case Cmd.SYNC:
				sync(w0, w1);
				break;
			default:
				return Regs.CERROR_ILL;
		}
		counts.incrementAndGet(op);
		return Regs.CERROR_NONE;
	}

	private void sync(long w0, long w1) {
		if (Cmd.SYNC_CS.get(w0) != Cmd.SYNC_CS_IRQ) {
			return;
		}
		long msiAddr = w1 & Cmd.SYNC_MSIADDR_MASK;
		// IHI 0070 CMD_SYNC: with MSIs supported and a non-zero MSIAddress, completion is an MSI write of
		// MSIData (Linux's MSIPOLL polls it); otherwise the wired CMD_SYNC interrupt.
		if (msi && msiAddr != 0) {
			try {
				memory.write32(msiAddr, (int) Cmd.SYNC_MSIDATA.get(w0));
			} catch (MemoryAbort abort) {
				signals.globalError(Regs.GERROR_MSI_CMDQ_ABT_ERR);
			}
		} else {
			signals.syncInterrupt();
		}
	}

	private int vmid(long w0) {
		// IHI 0070: the VMID field is ignored (RES0) without stage 2.
		return s2p ? (int) Cmd.TLBI_VMID.get(w0) & vmidMask : 0;
	}

	private int asid(long w0) {
		return (int) Cmd.TLBI_ASID.get(w0) & asidMask;
	}

	/**
	 * Bytes covered by a TLBI by address: one address when TG = 0, else (NUM + 1) << SCALE granules of
	 * the TG granule (saturating); 0 for the reserved encoding TG != 0 with NUM = SCALE = TTL = 0.
	 */
	public static long span(long w0, long w1) {
		int tg = (int) Cmd.TLBI_TG.get(w1);
		if (tg == 0) {
			return 1;
		}
		int num = (int) Cmd.TLBI_NUM.get(w0);
		int scale = (int) SCALE.get(w0);
		if (num == 0 && scale == 0 && Cmd.TLBI_TTL.get(w1) == 0) {
			return 0;
		}
		int shift = scale + Cmd.tgGranuleShift(tg);
		if (shift >= 58) {
			return Long.MAX_VALUE;
		}
		return (long) (num + 1) << shift;
	}

	/** Completed commands by upstream name, in opcode order, non-zero only. */
	public Map<String, Long> counts() {
		Map<String, Long> m = new LinkedHashMap<>();
		for (int op = 0; op < OPCODES; op++) {
			long n = counts.get(op);
			if (n != 0) {
				m.put(Cmd.name(op), n);
			}
		}
		return m;
	}

	public void resetCounts() {
		for (int op = 0; op < OPCODES; op++) {
			counts.set(op, 0);
		}
	}
}
