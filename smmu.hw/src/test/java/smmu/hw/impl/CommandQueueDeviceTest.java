package smmu.hw.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static smmu.hw.impl.Rig.cmd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import smmu.hw.InterruptSink.Line;
import smmu.hw.SmmuSpec;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Regs;

class CommandQueueDeviceTest {

	private static long w0(int op, long sid) {
		return op | sid << 32;
	}

	private static long tlbi(int op, int vmid, int asid, int num, int scale) {
		return op | (long) num << 12 | (long) scale << 20 | (long) vmid << 32 | (long) asid << 48;
	}

	private static long tw1(long addr, int tg, int ttl, boolean leaf) {
		return addr | (long) tg << 10 | (long) ttl << 8 | (leaf ? 1 : 0);
	}

	static Stream<Arguments> commands() {
		return Stream.of(
				Arguments.of("CFGI_STE", cmd(w0(Cmd.CFGI_STE, 0x12345) | 1L << 11, 1), "ste 74565"),
				Arguments.of("CFGI_STE", cmd(w0(Cmd.CFGI_STE, 0xffff_ffffL), 0), "ste -1"),
				Arguments.of("CFGI_STE_RANGE", cmd(w0(Cmd.CFGI_STE_RANGE, 0x40), 5 | 0xffff_ffe0L), "steRange 64 5"),
				Arguments.of("CFGI_STE_RANGE", cmd(w0(Cmd.CFGI_ALL, 0), 31), "steRange 0 31"),
				Arguments.of("CFGI_CD", cmd(w0(Cmd.CFGI_CD, 7) | 0xabcdeL << 12, 1), "cd 7 703710"),
				Arguments.of("CFGI_CD", cmd(w0(Cmd.CFGI_CD, 7), 0), "cd 7 0"),
				Arguments.of("CFGI_CD_ALL", cmd(w0(Cmd.CFGI_CD_ALL, 9), 0), "cdAll 9"),
				Arguments.of("TLBI_NH_ALL", cmd(tlbi(Cmd.TLBI_NH_ALL, 0x1234, 0xffff, 0, 0), 0), "stage1 4660"),
				Arguments.of("TLBI_NH_ASID", cmd(tlbi(Cmd.TLBI_NH_ASID, 3, 0xbeef, 0, 0), 0), "asid 3 48879"),
				Arguments.of("TLBI_NH_VA", cmd(tlbi(Cmd.TLBI_NH_VA, 3, 9, 0, 0), tw1(0xffff_8000_1234_5000L, 0, 0, true) | 0xfe),
						"va 3 9 0xffff800012345000 0x1 true"),
				Arguments.of("TLBI_NH_VA", cmd(tlbi(Cmd.TLBI_NH_VA, 3, 9, 3, 2), tw1(0x40_0000, 1, 3, false)),
						"va 3 9 0x400000 0x10000 false"),
				Arguments.of("TLBI_NH_VA", cmd(tlbi(Cmd.TLBI_NH_VA, 3, 9, 0, 1), tw1(0x80_0000, 2, 2, true)),
						"va 3 9 0x800000 0x8000 true"),
				Arguments.of("TLBI_NH_VA", cmd(tlbi(Cmd.TLBI_NH_VA, 3, 9, 31, 20), tw1(0, 3, 0, false)),
						"va 3 9 0x0 0x20000000000 false"),
				Arguments.of("TLBI_NH_VA", cmd(tlbi(Cmd.TLBI_NH_VA, 1, 2, 0, 0), tw1(0x1000, 1, 3, true)),
						"va 1 2 0x1000 0x1000 true"),
				Arguments.of("TLBI_NH_VAA", cmd(tlbi(Cmd.TLBI_NH_VAA, 4, 0x77, 1, 0), tw1(0x20_0000, 3, 0, true)),
						"va 4 -1 0x200000 0x20000 true"),
				Arguments.of("TLBI_NH_VAA", cmd(tlbi(Cmd.TLBI_NH_VAA, 4, 0, 0, 0), tw1(0x5000, 0, 0, false)),
						"va 4 -1 0x5000 0x1 false"),
				Arguments.of("TLBI_S2_IPA", cmd(tlbi(Cmd.TLBI_S2_IPA, 0x55, 0xffff, 1, 0), tw1(0xfff0_0008_1234_5000L, 1, 0, false)),
						"ipa 85 0x812345000 0x2000 false"),
				Arguments.of("TLBI_S2_IPA", cmd(tlbi(Cmd.TLBI_S2_IPA, 0x55, 0, 0, 0), tw1(0x9000, 0, 3, true)),
						"ipa 85 0x9000 0x1 true"),
				Arguments.of("TLBI_S2_IPA", cmd(tlbi(Cmd.TLBI_S2_IPA, 2, 0, 7, 4), tw1(0x1_0000_0000L, 2, 0, true)),
						"ipa 2 0x100000000 0x200000 true"),
				Arguments.of("TLBI_S12_VMALL", cmd(tlbi(Cmd.TLBI_S12_VMALL, 0xfffe, 0, 0, 0), 0), "vmid 65534"),
				Arguments.of("TLBI_NSNH_ALL", cmd(Cmd.TLBI_NSNH_ALL, 0), "all"),
				// the EL2 TLBIs ignore the VMID field
				Arguments.of("TLBI_EL2_ALL", cmd(Cmd.TLBI_EL2_ALL | 9L << 32, 0), "el2all"),
				Arguments.of("TLBI_EL2_ASID", cmd(tlbi(Cmd.TLBI_EL2_ASID, 9, 5, 0, 0), 0), "el2asid 5"),
				Arguments.of("TLBI_EL2_VA", cmd(tlbi(Cmd.TLBI_EL2_VA, 9, 5, 0, 0), 0x1000), "el2va 5 0x1000 0x1 false"),
				Arguments.of("TLBI_EL2_VAA", cmd(Cmd.TLBI_EL2_VAA, 0x1000), "el2va -1 0x1000 0x1 false"),
				Arguments.of("TLBI_EL3_ALL", cmd(Cmd.TLBI_EL3_ALL, 0), null),
				Arguments.of("TLBI_EL3_VA", cmd(Cmd.TLBI_EL3_VA, 0x1000), null),
				Arguments.of("PREFETCH_CFG", cmd(w0(Cmd.PREFETCH_CFG, 1), 0), null),
				Arguments.of("PREFETCH_ADDR", cmd(w0(Cmd.PREFETCH_ADDR, 1), 0x1000), null),
				Arguments.of("ATC_INV", cmd(w0(Cmd.ATC_INV, 1), 52), null),
				Arguments.of("PRI_RESP", cmd(w0(Cmd.PRI_RESP, 1), 2L << 12), null),
				Arguments.of("RESUME", cmd(w0(Cmd.RESUME, 1), 7), null),
				Arguments.of("STALL_TERM", cmd(w0(Cmd.STALL_TERM, 1), 0), null),
				Arguments.of("CMD_SYNC", cmd(Cmd.SYNC, 0), null));
	}

	@ParameterizedTest(name = "{0} -> {2}")
	@MethodSource("commands")
	void eachOpcodeMakesExactlyItsEngineCall(String name, long[] command, String expected) {
		Rig rig = new Rig().commandQueue(2);
		rig.submit(command);
		assertEquals(expected == null ? List.of() : List.of(expected), rig.engine.take());
		assertEquals(1, rig.smmu.read32(Regs.CMDQ_CONS));
		assertEquals(0, rig.smmu.read32(Regs.GERROR));
		assertEquals(Map.of(name, 1L), rig.smmu.stats().commands());
		assertEquals(List.of(), rig.irqs());
	}

	@Test
	void eightBitVmidAndAsidWithoutVmid16AndAsid16() {
		SmmuSpec s = SmmuSpec.mmu700("s", 0);
		int idr0 = s.idr(0) & ~(int) Regs.IDR0_VMID16.mask() & ~(int) Regs.IDR0_ASID16.mask();
		Rig rig = new Rig(s.withIdr(new int[] { idr0, s.idr(1), 0, s.idr(3), 0, s.idr(5) })).commandQueue(3);
		rig.submit(cmd(tlbi(Cmd.TLBI_NH_ASID, 0x1234, 0xbeef, 0, 0), 0), cmd(tlbi(Cmd.TLBI_S12_VMALL, 0x1ff, 0, 0, 0), 0),
				cmd(tlbi(Cmd.TLBI_NH_VA, 0x1234, 0xbeef, 0, 0), 0x3000));
		assertEquals(List.of("asid 52 239", "vmid 255", "va 52 239 0x3000 0x1 false"), rig.engine.take());
	}

	static Stream<Arguments> illegal() {
		SmmuSpec full = SmmuSpec.mmu700("s", 0);
		int[] idr = { full.idr(0), full.idr(1), 0, full.idr(3), 0, full.idr(5) };
		int[] s1only = idr.clone();
		s1only[0] &= ~(int) Regs.IDR0_S2P.mask();
		int[] s2only = idr.clone();
		s2only[0] &= ~(int) Regs.IDR0_S1P.mask();
		return Stream.of(
				Arguments.of("unknown 0x00", idr, cmd(0x00, 0)),
				Arguments.of("CFGI_ALL 0x07 is not an opcode", idr, cmd(0x07, 0)),
				Arguments.of("unknown 0x47", idr, cmd(0x47, 0)),
				Arguments.of("unknown 0xff", idr, cmd(0xff, -1L)),
				Arguments.of("SSEC", idr, cmd(Cmd.CFGI_STE | 1 << 10, 0)),
				Arguments.of("SSEC on SYNC", idr, cmd(Cmd.SYNC | 1 << 10, 0)),
				Arguments.of("reserved range NH_VA", idr, cmd(tlbi(Cmd.TLBI_NH_VA, 1, 1, 0, 0), tw1(0x1000, 1, 0, false))),
				Arguments.of("reserved range NH_VAA", idr, cmd(tlbi(Cmd.TLBI_NH_VAA, 1, 1, 0, 0), tw1(0x1000, 3, 0, true))),
				Arguments.of("reserved range S2_IPA", idr, cmd(tlbi(Cmd.TLBI_S2_IPA, 1, 0, 0, 0), tw1(0x1000, 2, 0, true))),
				Arguments.of("S2_IPA without S2P", s1only, cmd(tlbi(Cmd.TLBI_S2_IPA, 1, 0, 0, 0), 0x1000)),
				Arguments.of("S12_VMALL without S2P", s1only, cmd(tlbi(Cmd.TLBI_S12_VMALL, 1, 0, 0, 0), 0)),
				Arguments.of("NH_ALL without S1P", s2only, cmd(Cmd.TLBI_NH_ALL, 0)),
				Arguments.of("NH_ASID without S1P", s2only, cmd(Cmd.TLBI_NH_ASID, 0)),
				Arguments.of("NH_VA without S1P", s2only, cmd(Cmd.TLBI_NH_VA, 0)),
				Arguments.of("NH_VAA without S1P", s2only, cmd(Cmd.TLBI_NH_VAA, 0)));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("illegal")
	void illegalCommandStopsTheQueueUntilAcknowledged(String name, int[] idr, long[] bad) {
		Rig rig = new Rig(SmmuSpec.mmu700("s", 0).withIdr(idr)).commandQueue(3);
		SmmuDevice d = rig.smmu;
		rig.submit(cmd(w0(Cmd.CFGI_STE, 1), 0), bad, cmd(w0(Cmd.CFGI_STE, 2), 0));
		assertEquals(List.of("ste 1"), rig.engine.take());
		assertEquals(1 | Regs.CERROR_ILL << 24, d.read32(Regs.CMDQ_CONS));
		assertEquals(Regs.GERROR_CMDQ_ERR, d.read32(Regs.GERROR));
		assertEquals(List.of(Line.GERROR), rig.irqs());
		assertEquals(Map.of("CFGI_STE", 1L), d.stats().commands());

		// nothing runs while CMDQ_ERR is active, even new commands
		rig.submit(cmd(w0(Cmd.CFGI_CD_ALL, 5), 0));
		assertEquals(List.of(), rig.engine.take());
		assertEquals(1 | Regs.CERROR_ILL << 24, d.read32(Regs.CMDQ_CONS));
		d.write32(Regs.CR0, d.read32(Regs.CR0));
		assertEquals(List.of(), rig.engine.take());

		// software fixes the slot and acknowledges: the same slot is read again
		rig.memory.write64(Rig.CMDQ + 16, w0(Cmd.CFGI_STE, 3));
		rig.memory.write64(Rig.CMDQ + 24, 0);
		d.write32(Regs.GERRORN, d.read32(Regs.GERROR));
		assertEquals(List.of("ste 3", "ste 2", "cdAll 5"), rig.engine.take());
		assertEquals(4 | Regs.CERROR_ILL << 24, d.read32(Regs.CMDQ_CONS), "ERR keeps the last error code");
		assertEquals(d.read32(Regs.GERROR), d.read32(Regs.GERRORN));
		assertEquals(List.of(), rig.irqs());
	}

	@Test
	void secondErrorTogglesGerrorBack() {
		Rig rig = new Rig().commandQueue(2);
		SmmuDevice d = rig.smmu;
		rig.submit(cmd(0xee, 0));
		assertEquals(1, d.read32(Regs.GERROR));
		rig.memory.write64(Rig.CMDQ, 0xef);
		d.write32(Regs.GERRORN, 1);
		assertEquals(0, d.read32(Regs.GERROR), "the failing fixed slot failed again: CMDQ_ERR toggled back");
		assertEquals(1, d.read32(Regs.GERRORN));
		assertEquals(Regs.CERROR_ILL << 24, d.read32(Regs.CMDQ_CONS));
		assertEquals(List.of(Line.GERROR, Line.GERROR), rig.irqs());
		rig.memory.write64(Rig.CMDQ, Cmd.TLBI_NSNH_ALL);
		d.write32(Regs.GERRORN, 0);
		assertEquals(List.of("all"), rig.engine.take());
	}

	@Test
	void noGerrorPulseWhenDisabledAndTogglingANonPendingBitChangesNothing() {
		Rig rig = new Rig().commandQueue(2);
		SmmuDevice d = rig.smmu;
		d.write32(Regs.IRQ_CTRL, Regs.IRQ_CTRL_EVENTQ_IRQEN);
		rig.submit(cmd(0x99, 0));
		assertEquals(1, d.read32(Regs.GERROR));
		assertEquals(List.of(), rig.irqs());
		d.write32(Regs.GERRORN, Regs.GERROR_EVENTQ_ABT_ERR);
		assertEquals(Regs.GERROR_EVENTQ_ABT_ERR, d.read32(Regs.GERRORN));
		assertEquals(1, d.read32(Regs.GERROR));
		assertEquals(List.of(), rig.engine.take(), "CMDQ_ERR still active");
	}

	@Test
	void queueBeyondMemoryIsAnAbort() {
		Rig rig = new Rig();
		SmmuDevice d = rig.smmu;
		long beyond = 1L << 40; // the rig's memory has 40 address bits
		d.write64(Regs.CMDQ_BASE, beyond | 2);
		d.write32(Regs.IRQ_CTRL, Regs.IRQ_CTRL_GERROR_IRQEN);
		d.write32(Regs.CMDQ_PROD, 1);
		d.write32(Regs.CR0, Regs.CR0_CMDQEN);
		assertEquals(Regs.CERROR_ABT << 24, d.read32(Regs.CMDQ_CONS));
		assertEquals(Regs.GERROR_CMDQ_ERR, d.read32(Regs.GERROR));
		assertEquals(List.of(Line.GERROR), rig.irqs());
		// the slot straddling the limit: last 16 bytes below 2^40 are fine, the next slot aborts
		d.write32(Regs.CR0, 0);
		d.write64(Regs.CMDQ_BASE, (beyond - 32) | 2);
		d.write32(Regs.CMDQ_CONS, 0);
		rig.memory.write64(beyond - 32, Cmd.TLBI_NSNH_ALL);
		rig.memory.write64(beyond - 16, Cmd.TLBI_NSNH_ALL);
		d.write32(Regs.CMDQ_PROD, 3);
		d.write32(Regs.GERRORN, 1);
		d.write32(Regs.CR0, Regs.CR0_CMDQEN);
		assertEquals(List.of("all", "all"), rig.engine.take());
		assertEquals(2 | Regs.CERROR_ABT << 24, d.read32(Regs.CMDQ_CONS));
	}

	@Test
	void syncWritesMsiDataInsteadOfTheWiredLine() {
		Rig rig = new Rig().commandQueue(3);
		long msi = 0x30_0000;
		rig.memory.write32(msi + 4, 0x5a5a5a5a);
		long sync = Cmd.SYNC | (long) Cmd.SYNC_CS_IRQ << 12 | 0xcafe_f00dL << 32;
		rig.submit(cmd(sync, msi | 0xfff0_0000_0000_0003L));
		assertEquals(0xcafe_f00d, rig.memory.read32(msi));
		assertEquals(0x5a5a5a5a, rig.memory.read32(msi + 4), "a 32-bit write");
		assertEquals(List.of(), rig.irqs());
		// MSIADDR = 0: the wired CMD_SYNC line
		rig.submit(cmd(sync, 0));
		assertEquals(List.of(Line.CMD_SYNC), rig.irqs());
		// CS = NONE and CS = SEV: neither
		rig.memory.write32(msi, 0);
		rig.submit(cmd(Cmd.SYNC | 0xcafe_f00dL << 32, msi), cmd(Cmd.SYNC | (long) Cmd.SYNC_CS_SEV << 12, msi));
		assertEquals(0, rig.memory.read32(msi));
		assertEquals(List.of(), rig.irqs());
		assertEquals(Map.of("CMD_SYNC", 4L), rig.smmu.stats().commands());
	}

	@Test
	void syncWithoutMsiSupportPulsesTheLine() {
		SmmuSpec s = SmmuSpec.mmu700("s", 0);
		int idr0 = s.idr(0) & ~(int) Regs.IDR0_MSI.mask();
		Rig rig = new Rig(s.withIdr(new int[] { idr0, s.idr(1), 0, s.idr(3), 0, s.idr(5) })).commandQueue(3);
		rig.submit(cmd(Cmd.SYNC | (long) Cmd.SYNC_CS_IRQ << 12 | 7L << 32, 0x30_0000));
		assertEquals(0, rig.memory.read32(0x30_0000));
		assertEquals(List.of(Line.CMD_SYNC), rig.irqs());
	}

	@Test
	void msiWriteAbortIsAGlobalErrorAndTheQueueGoesOn() {
		Rig rig = new Rig().commandQueue(3);
		rig.submit(cmd(Cmd.SYNC | (long) Cmd.SYNC_CS_IRQ << 12, 1L << 44), cmd(Cmd.TLBI_NSNH_ALL, 0));
		assertEquals(Regs.GERROR_MSI_CMDQ_ABT_ERR, rig.smmu.read32(Regs.GERROR));
		assertEquals(List.of("all"), rig.engine.take());
		assertEquals(2, rig.smmu.read32(Regs.CMDQ_CONS));
		assertEquals(List.of(Line.GERROR), rig.irqs());
	}

	@Test
	void manyCommandsWrapThroughASmallQueue() {
		Rig rig = new Rig().commandQueue(2);
		SmmuDevice d = rig.smmu;
		List<String> expected = new ArrayList<>();
		int n = 0;
		for (int batch = 0; batch < 40; batch++) {
			int size = 1 + batch % 4; // up to a full queue per PROD write
			long[][] cmds = new long[size][];
			for (int i = 0; i < size; i++) {
				cmds[i] = cmd(w0(Cmd.CFGI_STE, n), 0);
				expected.add("ste " + n);
				n++;
			}
			rig.submit(cmds);
			int cons = d.read32(Regs.CMDQ_CONS);
			assertEquals(d.read32(Regs.CMDQ_PROD), cons);
			assertEquals(n & 7, cons, "index and wrap bit after " + n);
		}
		assertEquals(expected, rig.engine.take());
		assertEquals(Map.of("CFGI_STE", (long) n), d.stats().commands());
	}

	@Test
	void nothingRunsWhileCmdqenIsZero() {
		Rig rig = new Rig();
		SmmuDevice d = rig.smmu;
		d.write64(Regs.CMDQ_BASE, Rig.CMDQ | 2);
		rig.cmdLog2 = 2;
		rig.submit(cmd(Cmd.TLBI_NSNH_ALL, 0), cmd(w0(Cmd.CFGI_STE, 4), 0));
		assertEquals(List.of(), rig.engine.take());
		assertEquals(0, d.read32(Regs.CMDQ_CONS));
		d.write32(Regs.CR0, Regs.CR0_CMDQEN);
		assertEquals(List.of("all", "ste 4"), rig.engine.take());
		d.write32(Regs.CR0, 0);
		rig.submit(cmd(Cmd.TLBI_NSNH_ALL, 0));
		assertEquals(List.of(), rig.engine.take());
	}

	@Test
	void garbageProdNeverThrowsAndRunsAtMostAQueueful() {
		Rig rig = new Rig().commandQueue(2);
		SmmuDevice d = rig.smmu;
		for (int i = 0; i < 4; i++) {
			rig.memory.write64(Rig.CMDQ + 16L * i, Cmd.TLBI_NSNH_ALL);
		}
		d.write32(Regs.CMDQ_PROD, 0xffff_fffc); // index 0 with wrap set: a full queue
		assertEquals(4, rig.engine.take().size());
		assertEquals(4, d.read32(Regs.CMDQ_CONS));
		for (int v : new int[] { -1, 0x8000_0000, 0x7fff_ffff, 0x1234_5677, Integer.MIN_VALUE + 5 }) {
			d.write32(Regs.CMDQ_PROD, v);
			assertEquals(v & 7, d.read32(Regs.CMDQ_PROD));
			assertEquals(v & 7, d.read32(Regs.CMDQ_CONS) & 7);
		}
		assertEquals(0, d.read32(Regs.GERROR));
	}

	@Test
	void interruptHandlerCanAcknowledgeAndRefillFromInsideThePulse() {
		Rig rig = new Rig().commandQueue(3);
		SmmuDevice d = rig.smmu;
		List<Line> seen = new ArrayList<>();
		d.connect((s, line) -> {
			seen.add(line);
			if (line == Line.GERROR) {
				// the guest driver's handler: skip the bad command by replacing it, then acknowledge
				rig.memory.write64(Rig.CMDQ + 16L * (s.read32(Regs.CMDQ_CONS) & 7), Cmd.SYNC | (long) Cmd.SYNC_CS_IRQ << 12);
				s.write32(Regs.GERRORN, s.read32(Regs.GERROR));
			} else if (line == Line.CMD_SYNC && seen.size() == 2) {
				rig.submit(cmd(w0(Cmd.CFGI_STE, 42), 0));
			}
		});
		rig.submit(cmd(0x77, 0), cmd(w0(Cmd.CFGI_STE, 1), 0));
		assertEquals(List.of(Line.GERROR, Line.CMD_SYNC), seen);
		assertEquals(List.of("ste 1", "ste 42"), rig.engine.take());
		assertEquals(3 | Regs.CERROR_ILL << 24, d.read32(Regs.CMDQ_CONS));
		assertEquals(0, d.read32(Regs.GERROR) ^ d.read32(Regs.GERRORN));
	}
}
