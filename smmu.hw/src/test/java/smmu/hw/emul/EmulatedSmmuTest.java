package smmu.hw.emul;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

import org.junit.jupiter.api.Test;

import smmu.hw.Event;
import smmu.hw.FrameAllocator;
import smmu.hw.EventType;
import smmu.hw.InterruptSink.Line;
import smmu.hw.Smmu;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Regs;
import smmu.hw.driver.Commands;
import smmu.hw.driver.SmmuDriver;

class EmulatedSmmuTest {
	static final long CMDQ = 0x10_0000L, EVENTQ = 0x20_0000L;

	/** Records what the front end sees; answers commands with {@link #answer}. */
	static final class Recorder implements FrontEndHooks {
		final List<long[]> commands = new ArrayList<>();
		final List<Integer> gbpa = new ArrayList<>();
		final List<Integer> cr0 = new ArrayList<>();
		final List<String> order = new ArrayList<>();
		ToIntFunction<long[]> answer = c -> Regs.CERROR_NONE;
		Smmu smmu;
		/** CR0ACK and CMDQ_CONS as they were when cr0Written ran. */
		int ackSeen = -1, consSeen = -1;

		@Override
		public int command(long[] cmd) {
			commands.add(cmd);
			order.add("cmd " + Cmd.name((int) (cmd[0] & 0xff)));
			return answer.applyAsInt(cmd);
		}

		@Override
		public void gbpaWritten(int value) {
			gbpa.add(value);
			order.add("gbpa");
		}

		@Override
		public void cr0Written(int value) {
			cr0.add(value);
			order.add("cr0");
			if (smmu != null) {
				ackSeen = smmu.read32(Regs.CR0ACK);
				consSeen = smmu.read32(Regs.CMDQ_CONS);
			}
		}
	}

	final SparseMemory memory = new SparseMemory(40);
	final Recorder hooks = new Recorder();
	final EmulatedSmmu smmu = EmulatedSmmus.create(EmulatedSmmus.qemuAccelSpec("vsmmu0", 0x0c00_0000L), memory, hooks);
	final List<Line> irqs = new ArrayList<>();
	final List<Smmu> irqSources = new ArrayList<>();
	int cmdLog2 = 3;

	EmulatedSmmuTest() {
		hooks.smmu = smmu;
		smmu.connect((s, line) -> {
			irqs.add(line);
			irqSources.add(s);
		});
	}

	void enableCmdq() {
		smmu.write64(Regs.CMDQ_BASE, CMDQ | cmdLog2);
		smmu.write32(Regs.IRQ_CTRL, 7);
		smmu.write32(Regs.CR0, smmu.read32(Regs.CR0) | Regs.CR0_CMDQEN);
		hooks.cr0.clear();
		hooks.order.clear();
	}

	void enableEventq(int log2) {
		smmu.write64(Regs.EVENTQ_BASE, EVENTQ | log2);
		smmu.write32(Regs.IRQ_CTRL, 7);
		smmu.write32(Regs.CR0, smmu.read32(Regs.CR0) | Regs.CR0_EVENTQEN);
	}

	int put(long[]... cmds) {
		int prod = smmu.read32(Regs.CMDQ_PROD);
		int m = (2 << cmdLog2) - 1;
		for (long[] c : cmds) {
			long addr = CMDQ + 16L * (prod & ((1 << cmdLog2) - 1));
			memory.write64(addr, c[0]);
			memory.write64(addr + 8, c[1]);
			prod = (prod & ~m) | ((prod + 1) & m);
		}
		return prod;
	}

	void submit(long[]... cmds) {
		smmu.write32(Regs.CMDQ_PROD, put(cmds));
	}

	long[] record(int index) {
		long[] w = new long[4];
		for (int i = 0; i < 4; i++) {
			w[i] = memory.read64(EVENTQ + 32L * index + 8L * i);
		}
		return w;
	}

	static Event fault(int sid, long iova) {
		return new Event(EventType.F_TRANSLATION, sid, Event.NO_SSID, iova, 0, false, Event.CLASS_IN, true);
	}

	// ---- commands

	@Test
	void everyConsumedCommandReachesTheHookRawAndInOrderBeforeTheLocalEmulation() {
		enableCmdq();
		long[] ste = Commands.cfgiSte(0x123, true);
		long[] va = Commands.tlbiNhVa(0, 7, 0x4000_1000L, true, 1, 3, 0, 3);
		// reserved bits set: the hook sees the words exactly as the guest wrote them
		long[] cd = { Commands.cfgiCd(0x123, 0, true)[0] | 1L << 9, 0xdead_0000_0000_0001L };
		long[] all = Commands.cfgiAll();
		long[] sync = Commands.cmdSync();
		submit(ste, va, cd);
		submit(all, sync);
		assertEquals(5, hooks.commands.size());
		long[][] expect = { ste, va, cd, all, sync };
		for (int i = 0; i < 5; i++) {
			assertArrayEquals(expect[i], hooks.commands.get(i), "command " + i);
		}
		assertEquals(5, smmu.read32(Regs.CMDQ_CONS));
		assertEquals(0, smmu.read32(Regs.GERROR));
		var counts = smmu.stats().commands();
		assertEquals(1L, counts.get(Cmd.name(Cmd.CFGI_STE)));
		assertEquals(1L, counts.get(Cmd.name(Cmd.TLBI_NH_VA)));
		assertEquals(1L, counts.get(Cmd.name(Cmd.SYNC)));
		assertEquals(List.of(), irqs, "no error; CS=SEV syncs pulse nothing");
	}

	@Test
	void commandsWrittenWhileTheQueueIsDisabledReachTheHookWhenCr0EnablesItAndBeforeCr0Written() {
		smmu.write64(Regs.CMDQ_BASE, CMDQ | cmdLog2);
		smmu.write32(Regs.CMDQ_PROD, put(Commands.cfgiSte(1, true), Commands.cmdSync()));
		assertTrue(hooks.commands.isEmpty(), "CMDQEN = 0: nothing consumed");
		smmu.write32(Regs.CR0, Regs.CR0_CMDQEN | Regs.CR0_EVENTQEN);
		assertEquals(List.of("cmd " + Cmd.name(Cmd.CFGI_STE), "cmd " + Cmd.name(Cmd.SYNC), "cr0"), hooks.order);
		assertEquals(List.of(Regs.CR0_CMDQEN | Regs.CR0_EVENTQEN), hooks.cr0);
		assertEquals(Regs.CR0_CMDQEN | Regs.CR0_EVENTQEN, hooks.ackSeen, "CR0ACK already updated when the hook runs");
		assertEquals(2, hooks.consSeen, "the queue ran before the hook");
	}

	@Test
	void cerrorIllFromTheHookStopsTheQueueLikeAnIllegalCommandAndTheSameCommandIsReReadAfterGerrorn() {
		enableCmdq();
		long[] a = Commands.tlbiNhAsid(0, 1), b = Commands.cfgiSte(0x42, true), c = Commands.cmdSync();
		int[] calls = { 0 };
		hooks.answer = cmd -> Commands.opcode(cmd) == Cmd.CFGI_STE && calls[0]++ == 0 ? Regs.CERROR_ILL : Regs.CERROR_NONE;
		irqs.clear();
		submit(a, b, c);
		int cons = smmu.read32(Regs.CMDQ_CONS);
		assertEquals(1, cons & 0xf, "CONS stays on the failing command");
		assertEquals(Regs.CERROR_ILL, Regs.CMDQ_CONS_ERR.get(cons));
		assertEquals(Regs.GERROR_CMDQ_ERR, smmu.read32(Regs.GERROR) ^ smmu.read32(Regs.GERRORN));
		assertEquals(List.of(Line.GERROR), irqs);
		assertEquals(2, hooks.commands.size(), "the command after it is not consumed");
		assertNull(smmu.stats().commands().get(Cmd.name(Cmd.CFGI_STE)), "the local emulation did not run it");

		// more commands while the error is pending: nothing is consumed
		submit(Commands.cmdSync());
		assertEquals(2, hooks.commands.size());
		assertEquals(1, smmu.read32(Regs.CMDQ_CONS) & 0xf);

		// the guest acknowledges: the same command is read again, then the rest
		smmu.write32(Regs.GERRORN, smmu.read32(Regs.GERROR));
		assertEquals(5, hooks.commands.size());
		assertArrayEquals(b, hooks.commands.get(2), "re-read");
		assertArrayEquals(c, hooks.commands.get(3));
		assertEquals(4, smmu.read32(Regs.CMDQ_CONS) & 0xf);
		assertEquals(0, smmu.read32(Regs.GERROR) ^ smmu.read32(Regs.GERRORN));
		assertEquals(1L, smmu.stats().commands().get(Cmd.name(Cmd.CFGI_STE)));
	}

	@Test
	void aHookFailureLeavesTheSameStateAsAnArchitecturallyIllegalCommand() {
		// reference: an unknown opcode rejected by the local emulation
		EmulatedSmmuTest ref = new EmulatedSmmuTest();
		ref.enableCmdq();
		ref.submit(Commands.cmdSync(), new long[] { 0x7f, 0 }, Commands.cmdSync());
		enableCmdq();
		hooks.answer = cmd -> Commands.opcode(cmd) == Cmd.TLBI_NSNH_ALL ? Regs.CERROR_ILL : Regs.CERROR_NONE;
		submit(Commands.cmdSync(), Commands.tlbiNsnhAll(), Commands.cmdSync());
		for (int reg : new int[] { Regs.CMDQ_CONS, Regs.CMDQ_PROD, Regs.GERROR, Regs.GERRORN }) {
			assertEquals(ref.smmu.read32(reg), smmu.read32(reg), String.format("register 0x%x", reg));
		}
		assertEquals(ref.irqs, irqs);
		assertEquals(2, ref.hooks.commands.size(), "the hook saw the illegal opcode too, before the local decoding");
		assertEquals(0x7f, Commands.opcode(ref.hooks.commands.get(1)));
	}

	@Test
	void aForwardedRangeTlbiWithZeroNumScaleAndTtlIsNoCerrorIll() {
		enableCmdq();
		// TG = 4K, NUM = SCALE = TTL = 0: the physical decoder calls it illegal; QEMU invalidates one page
		long[] va = { Cmd.TLBI_NH_VA | 5L << 48, Cmd.TLBI_TG.with(0x4000_0000L, 1) };
		long[] vaa = { Cmd.TLBI_NH_VAA, Cmd.TLBI_TG.with(0x4000_0000L, 1) };
		submit(va, vaa, Commands.cmdSync());
		assertEquals(3, smmu.read32(Regs.CMDQ_CONS) & 0xf);
		assertEquals(0, smmu.read32(Regs.GERROR) ^ smmu.read32(Regs.GERRORN), "no CMDQ_ERR");
		assertEquals(3, hooks.commands.size(), "both forwarded");
		assertEquals(1L, smmu.stats().commands().get(Cmd.name(Cmd.TLBI_NH_VA)));
	}

	@Test
	void otherErrorCodesFromTheHook() {
		enableCmdq();
		hooks.answer = cmd -> Regs.CERROR_ABT;
		submit(Commands.cmdSync());
		assertEquals(Regs.CERROR_ABT, Regs.CMDQ_CONS_ERR.get(smmu.read32(Regs.CMDQ_CONS)));
		hooks.answer = cmd -> 42;
		smmu.write32(Regs.GERRORN, smmu.read32(Regs.GERROR));
		assertEquals(Regs.CERROR_ILL, Regs.CMDQ_CONS_ERR.get(smmu.read32(Regs.CMDQ_CONS)), "an unknown code counts as ILL");
		assertEquals(0, smmu.read32(Regs.CMDQ_CONS) & 0xf);
		hooks.answer = cmd -> Regs.CERROR_ATC_INV_SYNC;
		smmu.write32(Regs.GERRORN, smmu.read32(Regs.GERROR));
		assertEquals(Regs.CERROR_ATC_INV_SYNC, Regs.CMDQ_CONS_ERR.get(smmu.read32(Regs.CMDQ_CONS)));
		hooks.answer = cmd -> {
			throw new IllegalStateException("IOMMU_HWPT_INVALIDATE failed");
		};
		smmu.write32(Regs.GERRORN, smmu.read32(Regs.GERROR));
		assertEquals(Regs.CERROR_ILL, Regs.CMDQ_CONS_ERR.get(smmu.read32(Regs.CMDQ_CONS)), "a throwing hook counts as ILL");
		assertEquals(Regs.GERROR_CMDQ_ERR, smmu.read32(Regs.GERROR) ^ smmu.read32(Regs.GERRORN));
		hooks.answer = cmd -> Regs.CERROR_NONE;
		smmu.write32(Regs.GERRORN, smmu.read32(Regs.GERROR));
		assertEquals(1, smmu.read32(Regs.CMDQ_CONS) & 0xf, "the same command finally completes");
		assertEquals(5, hooks.commands.size());
	}

	// ---- GBPA and CR0

	@Test
	void gbpaHookFollowsUpdateWritesOnly() {
		smmu.write32(Regs.GBPA, Regs.GBPA_ABORT);
		assertEquals(Regs.GBPA_RESET, smmu.read32(Regs.GBPA), "no UPDATE: ignored");
		assertTrue(hooks.gbpa.isEmpty());
		assertTrue(smmu.translate(TranslationRequest.read(5, 0x1234)).ok(), "SMMUEN = 0, GBPA bypass");

		smmu.write32(Regs.GBPA, Regs.GBPA_UPDATE | Regs.GBPA_ABORT | Regs.GBPA_RESET);
		assertEquals(List.of(Regs.GBPA_ABORT | Regs.GBPA_RESET), hooks.gbpa, "UPDATE cleared in what the hook gets");
		assertEquals(Regs.GBPA_ABORT | Regs.GBPA_RESET, smmu.read32(Regs.GBPA));
		assertFalse(smmu.translate(TranslationRequest.read(5, 0x1234)).ok(), "the write took effect before the hook");

		// with SMMUEN = 1 too (QEMU attaches the GBPA HWPT regardless)
		smmu.write32(Regs.CR0, Regs.CR0_SMMUEN);
		smmu.write32(Regs.GBPA, Regs.GBPA_UPDATE);
		assertEquals(List.of(Regs.GBPA_ABORT | Regs.GBPA_RESET, 0), hooks.gbpa);
	}

	@Test
	void cr0HookGetsEveryWrittenValue() {
		smmu.write32(Regs.CR0, Regs.CR0_EVENTQEN);
		smmu.write32(Regs.CR0, 0xffff_ffff);
		smmu.write32(Regs.CR0, 0);
		assertEquals(List.of(Regs.CR0_EVENTQEN, 0xffff_ffff, 0), hooks.cr0);
		assertEquals(0, smmu.read32(Regs.CR0ACK));
		smmu.write32(Regs.CR1, 5);
		assertEquals(3, hooks.cr0.size(), "other registers are not reported");
	}

	// ---- inject

	@Test
	void injectWritesTheRecordAtEventqProdAndPulsesEventq() {
		enableEventq(3);
		irqs.clear();
		Event e = new Event(EventType.F_PERMISSION, 0x10, 3, 0x8000_1000L, 0x4123_4000L, true, Event.CLASS_TT, false);
		smmu.inject(e);
		long[] w = record(0);
		assertEquals(0x13 | 1L << 11 | 3L << 12 | 0x10L << 32, w[0]);
		assertEquals(1L << 39 | 1L << 40, w[1]);
		assertEquals(0x8000_1000L, w[2]);
		assertEquals(0x4123_4000L, w[3]);
		assertEquals(1, smmu.read32(Regs.EVENTQ_PROD));
		assertEquals(1, smmu.read32(Regs.EVENTQ_PROD + 0x10000), "page-1 alias");
		assertEquals(List.of(Line.EVENTQ), irqs);
		assertSame(smmu, irqSources.get(0), "the interrupt names the emulated SMMU");
		assertEquals(1, smmu.stats().eventsRecorded());
	}

	@Test
	void injectWrapsAroundAndAFullQueueRaisesEventqAbtErrAsQemuDoes() {
		enableEventq(1);
		for (int i = 0; i < 6; i++) {
			smmu.inject(fault(i, 0x1000L * i));
			int prod = smmu.read32(Regs.EVENTQ_PROD);
			assertEquals((i + 1) & 3, prod);
			assertEquals(i, Event.decode(record(i & 1)).sid());
			smmu.write32(Regs.EVENTQ_CONS, prod);
		}
		// fill the two entries, then one more: QEMU's smmuv3_write_eventq fails and GERROR.EVENTQ_ABT_ERR is
		// raised; no overflow flag (the physical model keeps the architecture's OVFLG)
		smmu.inject(fault(10, 0));
		smmu.inject(fault(11, 0));
		int full = smmu.read32(Regs.EVENTQ_PROD);
		assertEquals((smmu.read32(Regs.EVENTQ_CONS) ^ 2) & 3, full, "full: same index, other wrap");
		irqs.clear();
		smmu.inject(fault(12, 0));
		assertEquals(full, smmu.read32(Regs.EVENTQ_PROD), "no OVFLG");
		assertEquals(Regs.GERROR_EVENTQ_ABT_ERR, smmu.read32(Regs.GERROR));
		assertEquals(List.of(Line.GERROR), irqs);
		assertEquals(10, Event.decode(record(0)).sid(), "nothing overwritten");
		assertEquals(11, Event.decode(record(1)).sid());
		assertEquals(1, smmu.stats().eventsLost());
		// the guest drains; the next event is written
		smmu.write32(Regs.EVENTQ_CONS, smmu.read32(Regs.EVENTQ_PROD));
		smmu.inject(fault(14, 0));
		assertEquals(14, Event.decode(record(0)).sid());
	}

	@Test
	void injectWhileEventqenIsClearRaisesEventqAbtErrAsQemuDoes() {
		smmu.write64(Regs.EVENTQ_BASE, EVENTQ | 3);
		smmu.write32(Regs.IRQ_CTRL, 7);
		smmu.inject(fault(1, 0x1000));
		assertEquals(0, smmu.read32(Regs.EVENTQ_PROD));
		assertArrayEquals(new long[4], record(0));
		assertEquals(Regs.GERROR_EVENTQ_ABT_ERR, smmu.read32(Regs.GERROR));
		assertEquals(List.of(Line.GERROR), irqs);
		assertEquals(1, smmu.stats().eventsLost());
	}

	@Test
	void propagateCopiesTheRecordVerbatim() {
		enableEventq(3);
		// F_TRANSLATION with STAG 0x1234, PnU, InD, RnW and IMPLEMENTATION DEFINED / reserved bits set
		long[] raw = { 0x10 | 0x77L << 32 | 1L << 8, 0x1234L | 1L << 33 | 1L << 34 | 1L << 35 | 1L << 50, 0xdead_b000L, 0x1_2345_6000L | 0x7 };
		smmu.propagate(raw);
		assertArrayEquals(raw, record(0));
		assertEquals(1, smmu.read32(Regs.EVENTQ_PROD));
		assertThrows(IllegalArgumentException.class, () -> smmu.propagate(new long[3]));
	}

	@Test
	void injectIntoAQueueBeyondMemoryRaisesEventqAbtErr() {
		smmu.write64(Regs.EVENTQ_BASE, (1L << 40) | 2);
		smmu.write32(Regs.IRQ_CTRL, 7);
		smmu.write32(Regs.CR0, Regs.CR0_EVENTQEN);
		smmu.inject(fault(1, 0));
		assertEquals(Regs.GERROR_EVENTQ_ABT_ERR, smmu.read32(Regs.GERROR));
		assertEquals(List.of(Line.GERROR), irqs);
	}

	// ---- reset

	@Test
	void resetClearsRegistersKeepsIdrsAndReportsGbpa() {
		SmmuSpec spec = smmu.spec();
		enableCmdq();
		enableEventq(2);
		smmu.write32(Regs.CR0, Regs.CR0_CMDQEN | Regs.CR0_EVENTQEN | Regs.CR0_SMMUEN);
		smmu.write32(Regs.GBPA, Regs.GBPA_UPDATE | Regs.GBPA_ABORT);
		smmu.inject(fault(1, 0));
		hooks.answer = c -> Regs.CERROR_ILL;
		submit(Commands.cmdSync());
		assertEquals(Regs.GERROR_CMDQ_ERR, smmu.read32(Regs.GERROR));
		hooks.gbpa.clear();

		smmu.reset();
		for (int reg : new int[] { Regs.CR0, Regs.CR0ACK, Regs.IRQ_CTRL, Regs.IRQ_CTRLACK, Regs.GERROR, Regs.GERRORN, Regs.CMDQ_PROD,
				Regs.CMDQ_CONS, Regs.EVENTQ_PROD, Regs.EVENTQ_CONS }) {
			assertEquals(0, smmu.read32(reg), String.format("register 0x%x", reg));
		}
		assertEquals(0x1000, smmu.read32(Regs.GBPA));
		assertEquals(19, smmu.read64(Regs.CMDQ_BASE) & 0x1f, "LOG2SIZE back at the maximum (IDR1.CMDQS)");
		assertEquals(19, smmu.read64(Regs.EVENTQ_BASE) & 0x1f);
		for (int i = 0; i < 6; i++) {
			assertEquals(spec.idr(i), smmu.read32(Regs.IDR0 + 4 * i), "IDR" + i);
		}
		assertEquals(1, smmu.read32(Regs.AIDR));
		assertEquals(List.of(0x1000), hooks.gbpa, "the front end is told GBPA = 0x1000 (smmuv3_accel_reset)");
		TranslationResult r = smmu.translate(TranslationRequest.read(1, 0x5000));
		assertInstanceOf(TranslationResult.Translated.class, r);
		assertEquals(TranslationResult.Path.GLOBAL_BYPASS, ((TranslationResult.Translated) r).path());
	}

	// ---- spec

	@Test
	void qemuIdRegisters() {
		assertEquals(0x0D44101A, smmu.read32(Regs.IDR0));
		assertEquals(0x02730010, smmu.read32(Regs.IDR1));
		assertEquals(0, smmu.read32(Regs.IDR2));
		assertEquals(0x1404, smmu.read32(Regs.IDR3));
		assertEquals(0x74, smmu.read32(Regs.IDR5));
		SmmuSpec s = EmulatedSmmus.qemuAccelSpec("v", 0, 48, true);
		assertEquals(0x0D44141A, s.idr(0), "accel+ats");
		assertEquals(0x75, s.idr(5), "oas=48");
		assertEquals(48, s.oasBits());
	}

	@Test
	void aLinuxDriverProbesAndEnablesItAndTheHookSeesTheResetSequence() {
		var alloc = new FrameAllocator(memory, 0x100_0000L, 0x400_0000L);
		var drv = SmmuDriver.probe(smmu, memory, alloc);
		drv.init();
		assertTrue(drv.isEnabled());
		List<Integer> ops = new ArrayList<>();
		for (long[] c : hooks.commands) {
			ops.add(Commands.opcode(c));
		}
		// CFGI_ALL + sync, TLBI_NSNH_ALL + sync (no HYP: no TLBI_EL2_ALL)
		assertEquals(List.of(Cmd.CFGI_STE_RANGE, Cmd.SYNC, Cmd.TLBI_NSNH_ALL, Cmd.SYNC), ops);
		assertEquals(Commands.CFGI_RANGE_ALL, Cmd.CFGI_RANGE.get(hooks.commands.get(0)));
		assertEquals(Regs.CR0_SMMUEN | Regs.CR0_EVENTQEN | Regs.CR0_CMDQEN, hooks.cr0.get(hooks.cr0.size() - 1));
	}
}
