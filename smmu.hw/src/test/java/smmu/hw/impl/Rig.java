package smmu.hw.impl;

import java.util.ArrayList;
import java.util.List;

import smmu.hw.InterruptSink;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Regs;

/** A device over a 40-bit memory with a recording engine, interrupts collected, and queue helpers. */
final class Rig {
	static final long CMDQ = 0x10_0000L, EVENTQ = 0x20_0000L;

	final SparseMemory memory = new SparseMemory(40);
	final SmmuDevice smmu;
	final RecordingEngine engine;
	final List<InterruptSink.Line> irqs = new ArrayList<>();
	int cmdLog2;

	Rig() {
		this(SmmuSpec.mmu700("smmu0", 0x0900_0000L));
	}

	Rig(SmmuSpec spec) {
		RecordingEngine[] holder = new RecordingEngine[1];
		smmu = new SmmuDevice(spec, memory, sink -> holder[0] = new RecordingEngine(sink));
		engine = holder[0];
		smmu.connect((s, line) -> {
			synchronized (irqs) {
				irqs.add(line);
			}
		});
	}

	/** Command queue of 2^log2 entries at CMDQ, enabled; all interrupts enabled. */
	Rig commandQueue(int log2) {
		cmdLog2 = log2;
		smmu.write64(Regs.CMDQ_BASE, CMDQ | log2);
		smmu.write32(Regs.IRQ_CTRL, 7);
		smmu.write32(Regs.CR0, smmu.read32(Regs.CR0) | Regs.CR0_CMDQEN);
		engine.take();
		return this;
	}

	Rig eventQueue(int log2) {
		smmu.write64(Regs.EVENTQ_BASE, EVENTQ | log2);
		smmu.write32(Regs.IRQ_CTRL, 7);
		smmu.write32(Regs.CR0, smmu.read32(Regs.CR0) | Regs.CR0_EVENTQEN);
		return this;
	}

	/** Writes commands at PROD without publishing them. */
	int put(long[]... cmds) {
		int prod = smmu.read32(Regs.CMDQ_PROD);
		for (long[] c : cmds) {
			long addr = CMDQ + 16L * (prod & ((1 << cmdLog2) - 1));
			memory.write64(addr, c[0]);
			memory.write64(addr + 8, c[1]);
			int m = (2 << cmdLog2) - 1;
			prod = (prod & ~m) | ((prod + 1) & m);
		}
		return prod;
	}

	/** Writes commands and publishes them with one CMDQ_PROD write. */
	void submit(long[]... cmds) {
		smmu.write32(Regs.CMDQ_PROD, put(cmds));
	}

	List<InterruptSink.Line> irqs() {
		synchronized (irqs) {
			List<InterruptSink.Line> l = new ArrayList<>(irqs);
			irqs.clear();
			return l;
		}
	}

	static long[] cmd(int op) {
		return new long[] { op, 0 };
	}

	static long[] cmd(long w0, long w1) {
		return new long[] { w0, w1 };
	}

	static long[] sync() {
		return new long[] { Cmd.SYNC, 0 };
	}
}
