package smmu.hw.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import smmu.hw.Smmu;
import smmu.hw.SmmuSpec;
import smmu.hw.SmmuStats;
import smmu.hw.StreamPort;
import smmu.hw.TableEntry;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Path;
import smmu.hw.TranslationResult.Translated;
import smmu.hw.Walk;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Regs;
import smmu.hw.impl.xlate.StreamTable;

class SmmuDeviceRegisterTest {

	private static final int[] ALL_32 = { 0x00, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x28, 0x2c, 0x40, 0x44, 0x48, 0x50,
			0x54, 0x60, 0x64, 0x68, 0x6c, 0x70, 0x74, 0x80, 0x84, 0x88, 0x90, 0x94, 0x98, 0x9c, 0xa0, 0xa4, 0xa8, 0xac, 0xb0, 0xb4, 0xb8,
			0xbc };

	private static SmmuSpec spec(int idr0, int idr1) {
		SmmuSpec s = SmmuSpec.mmu700("s", 0);
		int[] idr = { idr0, idr1, s.idr(2), s.idr(3), s.idr(4), s.idr(5) };
		return s.withIdr(idr);
	}

	private static long[] dump(SmmuDevice d) {
		long[] v = new long[ALL_32.length];
		for (int i = 0; i < v.length; i++) {
			v[i] = d.read32(ALL_32[i]);
		}
		return v;
	}

	@Test
	void resetValues() {
		SmmuSpec spec = SmmuSpec.mmu700("smmu0", 0x0900_0000L);
		Rig rig = new Rig(spec);
		SmmuDevice d = rig.smmu;
		for (int i = 0; i < 6; i++) {
			assertEquals(spec.idr(i), d.read32(4 * i), "IDR" + i);
		}
		assertEquals(SmmuSpec.IIDR_MMU700, d.read32(Regs.IIDR));
		assertEquals(0x2, d.read32(Regs.AIDR));
		assertEquals(0x1000, d.read32(Regs.GBPA));
		assertEquals(19, d.read64(Regs.CMDQ_BASE));
		assertEquals(19, d.read64(Regs.EVENTQ_BASE));
		for (int off : new int[] { Regs.CR0, Regs.CR0ACK, Regs.CR1, Regs.CR2, Regs.STATUSR, Regs.IRQ_CTRL, Regs.IRQ_CTRLACK, Regs.GERROR,
				Regs.GERRORN, Regs.STRTAB_BASE, Regs.STRTAB_BASE_CFG, Regs.CMDQ_PROD, Regs.CMDQ_CONS, Regs.EVENTQ_PROD, Regs.EVENTQ_CONS,
				Regs.GERROR_IRQ_CFG1, Regs.EVENTQ_IRQ_CFG2 }) {
			assertEquals(0, d.read32(off), String.format("0x%x", off));
		}
		assertEquals(0, d.read64(Regs.STRTAB_BASE));
		int[] ids = { 0x04, 0, 0, 0, 0x84, 0xb4, 0xf0, 0x10, 0x0d, 0xf0, 0x05, 0xb1 };
		for (int i = 0; i < ids.length; i++) {
			assertEquals(ids[i], d.read32(0xfd0 + 4 * i), "ID reg " + Integer.toHexString(0xfd0 + 4 * i));
			assertEquals(ids[i], d.read32(0x10fd0 + 4 * i));
		}
		assertEquals(0, d.read32(0xfcc));
		assertEquals(0, d.read32(0x1000));
		assertEquals(0x0d | 0xf0L << 32, d.read64(0xff0));
	}

	@Test
	void cr0AckDropsReservedBitsAndCr0KeepsThem() {
		SmmuDevice d = new Rig().smmu;
		d.write32(Regs.CR0, 0xffff_ffff);
		assertEquals(0xffff_ffff, d.read32(Regs.CR0));
		assertEquals(0x3df, d.read32(Regs.CR0ACK));
		d.write32(Regs.CR0ACK, 0);
		assertEquals(0x3df, d.read32(Regs.CR0ACK), "CR0ACK is read-only");
		d.write32(Regs.CR0, Regs.CR0_SMMUEN | Regs.CR0_EVENTQEN);
		assertEquals(Regs.CR0_SMMUEN | Regs.CR0_EVENTQEN, d.read32(Regs.CR0ACK));
		d.write32(Regs.CR1, 0xdead_beef);
		d.write32(Regs.CR2, 0x1234_5678);
		assertEquals(0xdead_beef, d.read32(Regs.CR1));
		assertEquals(0x1234_5678, d.read32(Regs.CR2));
	}

	@Test
	void gbpaNeedsUpdateAndUpdateReadsBackZero() {
		Rig rig = new Rig();
		SmmuDevice d = rig.smmu;
		TranslationRequest req = TranslationRequest.read(3, 0x1234_5678L);
		assertEquals(new Translated(0x1234_5678L, Path.GLOBAL_BYPASS), d.translate(req));

		d.write32(Regs.GBPA, Regs.GBPA_ABORT);
		assertEquals(0x1000, d.read32(Regs.GBPA), "a write without UPDATE is ignored");
		assertEquals(Path.GLOBAL_BYPASS, ((Translated) d.translate(req)).path());

		d.write32(Regs.GBPA, Regs.GBPA_UPDATE | Regs.GBPA_ABORT | 0x1000);
		assertEquals(Regs.GBPA_ABORT | 0x1000, d.read32(Regs.GBPA));
		TranslationResult r = d.translate(req);
		assertEquals(new Aborted(null, "GBPA abort"), r);
		Walk w = d.walk(req);
		assertEquals(List.of(), w.steps());
		assertEquals(r, w.result());

		d.write32(Regs.GBPA, Regs.GBPA_UPDATE);
		assertEquals(0, d.read32(Regs.GBPA));
		assertEquals(new Translated(0x1234_5678L, Path.GLOBAL_BYPASS), d.translate(req));
		assertEquals(new Walk(List.of(), new Translated(0x1234_5678L, Path.GLOBAL_BYPASS)), d.walk(req));
		assertEquals(null, rig.engine.lastTable, "the engine is not consulted while SMMUEN = 0");
	}

	@Test
	void enabledTranslationGoesToTheEngineWithTheStreamTable() {
		Rig rig = new Rig();
		SmmuDevice d = rig.smmu;
		d.write64(Regs.STRTAB_BASE, 0xf000_0000_0012_347fL | Regs.STRTAB_BASE_RA);
		int cfg = (int) Regs.STRTAB_CFG_LOG2SIZE.with(0, 16);
		cfg = (int) Regs.STRTAB_CFG_SPLIT.with(cfg, 8);
		cfg = (int) Regs.STRTAB_CFG_FMT.with(cfg, 1);
		d.write32(Regs.STRTAB_BASE_CFG, cfg | 0xfff0_0000);
		assertEquals(Regs.STRTAB_BASE_RA | 0x12_3440L, d.read64(Regs.STRTAB_BASE), "RES0 bits dropped");
		assertEquals(cfg, d.read32(Regs.STRTAB_BASE_CFG));
		d.write32(Regs.GBPA, Regs.GBPA_UPDATE | Regs.GBPA_ABORT);
		d.write32(Regs.CR0, Regs.CR0_SMMUEN);
		TranslationRequest req = TranslationRequest.write(5, 0x8000);
		assertEquals(new Translated(0x8000 + RecordingEngine.OFFSET, Path.WALK), d.translate(req));
		StreamTable expected = new StreamTable(0x12_3440L, 16, 1, 8);
		assertEquals(expected, rig.engine.lastTable);
		assertEquals(1, d.walk(req).steps().size());
		TableEntry ste = d.readSte(2);
		assertEquals(0x12_3440L + 128, ste.address());
		assertTrue(!d.readCd(2, 1).found());
	}

	/** With SMMUEN = 0 nothing is cached: the register file tells the engine, and translateCached and a port answer NOT_CACHED. */
	@Test
	void cachedTranslationsFollowSmmuen() {
		SmmuDevice d = new Rig().smmu;
		StreamPort port = d.port(5, 1);
		assertEquals(Smmu.NOT_CACHED, d.translateCached(5, 1, 0x8000, false));
		assertEquals(Smmu.NOT_CACHED, port.translateCached(0x8000, false));
		d.write32(Regs.CR0, Regs.CR0_SMMUEN);
		assertEquals(0x8000 + RecordingEngine.OFFSET, d.translateCached(5, 1, 0x8000, false));
		assertEquals(0x8000 + RecordingEngine.OFFSET, port.translateCached(0x8000, true));
		d.write32(Regs.CR0, 0);
		assertEquals(Smmu.NOT_CACHED, port.translateCached(0x8000, false));
	}

	@Test
	void streamTableRegistersIgnoredWhileSmmuEnabled() {
		Rig rig = new Rig();
		SmmuDevice d = rig.smmu;
		d.write64(Regs.STRTAB_BASE, 0x1000);
		d.write32(Regs.STRTAB_BASE_CFG, 10);
		d.write32(Regs.CR0, Regs.CR0_SMMUEN);
		d.write64(Regs.STRTAB_BASE, 0x2000);
		d.write32(Regs.STRTAB_BASE, 0x3000);
		d.write32(Regs.STRTAB_BASE + 4, 0x7);
		d.write32(Regs.STRTAB_BASE_CFG, 12);
		assertEquals(0x1000, d.read64(Regs.STRTAB_BASE));
		assertEquals(10, d.read32(Regs.STRTAB_BASE_CFG));
		d.translate(TranslationRequest.read(0, 0));
		assertEquals(new StreamTable(0x1000, 10, 0, 0), rig.engine.lastTable);
		d.write32(Regs.CR0, 0);
		d.write32(Regs.STRTAB_BASE, 0x3000);
		d.write32(Regs.STRTAB_BASE + 4, 0x7);
		d.write32(Regs.STRTAB_BASE_CFG, 12);
		d.write32(Regs.CR0, Regs.CR0_SMMUEN);
		d.translate(TranslationRequest.read(0, 0));
		assertEquals(new StreamTable(0x7_0000_3000L, 12, 0, 0), rig.engine.lastTable);
	}

	@Test
	void irqCtrlIsAcknowledgedAtOnce() {
		SmmuDevice d = new Rig().smmu;
		d.write32(Regs.IRQ_CTRL, 0xffff_ffff);
		assertEquals(7, d.read32(Regs.IRQ_CTRL));
		assertEquals(7, d.read32(Regs.IRQ_CTRLACK));
		d.write32(Regs.IRQ_CTRL, Regs.IRQ_CTRL_EVENTQ_IRQEN);
		assertEquals(4, d.read32(Regs.IRQ_CTRLACK));
	}

	@Test
	void gerrorIsReadOnlyAndGerrornStoresDefinedBits() {
		SmmuDevice d = new Rig().smmu;
		d.write32(Regs.GERROR, 0xffff_ffff);
		assertEquals(0, d.read32(Regs.GERROR));
		d.write32(Regs.GERRORN, 0xffff_ffff);
		assertEquals(0x1fd, d.read32(Regs.GERRORN));
	}

	@Test
	void irqConfigurationRegistersAreStored() {
		SmmuDevice d = new Rig().smmu;
		d.write64(Regs.GERROR_IRQ_CFG0, 0x1234_5678_9abc_def0L);
		d.write32(Regs.GERROR_IRQ_CFG1, 0x11);
		d.write32(Regs.GERROR_IRQ_CFG2, 0x22);
		d.write32(Regs.EVENTQ_IRQ_CFG0, 0xaaaa_0000);
		d.write32(Regs.EVENTQ_IRQ_CFG0 + 4, 0xbbbb);
		d.write32(Regs.EVENTQ_IRQ_CFG1, 0x33);
		d.write32(Regs.EVENTQ_IRQ_CFG2, 0x44);
		assertEquals(0x1234_5678_9abc_def0L, d.read64(Regs.GERROR_IRQ_CFG0));
		assertEquals(0x9abc_def0, d.read32(Regs.GERROR_IRQ_CFG0));
		assertEquals(0x1234_5678, d.read32(Regs.GERROR_IRQ_CFG0 + 4));
		assertEquals(0x11, d.read32(Regs.GERROR_IRQ_CFG1));
		assertEquals(0x22, d.read32(Regs.GERROR_IRQ_CFG2));
		assertEquals(0xbbbb_aaaa_0000L, d.read64(Regs.EVENTQ_IRQ_CFG0));
		assertEquals(0x33, d.read32(Regs.EVENTQ_IRQ_CFG1));
		assertEquals(0x44, d.read32(Regs.EVENTQ_IRQ_CFG2));
	}

	@Test
	void pageOneAliasesPageZero() {
		Rig rig = new Rig();
		SmmuDevice d = rig.smmu;
		d.write64(0x10000 + Regs.EVENTQ_BASE, 0x5000 | 4);
		d.write32(0x10000 + Regs.EVENTQ_CONS, 0x8000_0013);
		assertEquals(0x5004, d.read64(Regs.EVENTQ_BASE));
		assertEquals(0x8000_0013, d.read32(Regs.EVENTQ_CONS));
		assertEquals(0x8000_0013, d.read32(0x10000 + Regs.EVENTQ_CONS));
		d.write32(Regs.EVENTQ_PROD, 0x11);
		assertEquals(0x11, d.read32(0x10000 + Regs.EVENTQ_PROD));
		// QEMU masks the page bit for every register, so the command queue pointers alias too.
		d.write32(0x10000 + Regs.CMDQ_PROD, 5);
		assertEquals(5, d.read32(Regs.CMDQ_PROD));
		assertEquals(d.read32(Regs.IDR0), d.read32(0x10000 + Regs.IDR0));
	}

	@Test
	void unknownAndOutOfRangeOffsetsReadZeroAndIgnoreWrites() {
		Rig rig = new Rig();
		SmmuDevice d = rig.smmu;
		d.write32(Regs.CR1, 0x55);
		long[] before = dump(d);
		int[] bad = { 0x30, 0x34, 0x48, 0x4c, 0x58, 0x78, 0xc0, 0xc8, 0xd0, 0x100, 0xe00, 0xfcc, 0x1000, 0xfffc, 0x1fffc, 0x20000, 0x7fff_fffc,
				-4, Integer.MIN_VALUE, 0x21, 0x22, 0x23, 0x45 };
		for (int off : bad) {
			assertEquals(0, d.read32(off), String.format("read32 0x%x", off));
			assertEquals(0, d.read64(off), String.format("read64 0x%x", off));
			d.write32(off, 0xffff_ffff);
			d.write64(off, -1L);
		}
		assertEquals(0, d.read64(Regs.CR0ACK), "a 64-bit access must be 8-byte aligned");
		d.write64(Regs.CMDQ_BASE + 4, -1L);
		d.write64(0x2c, -1L);
		assertEquals(before.length, dump(d).length);
		assertEquals(java.util.Arrays.toString(before), java.util.Arrays.toString(dump(d)));
		assertEquals(List.of(), rig.engine.take());
	}

	@Test
	void sixtyFourBitRegistersByHalvesAndPairsBySixtyFourBitAccess() {
		SmmuDevice d = new Rig().smmu;
		d.write32(Regs.CMDQ_BASE, 0x0000_8000 | 6);
		d.write32(Regs.CMDQ_BASE + 4, 0x4000_0001);
		assertEquals(Regs.Q_BASE_RA | 0x1_0000_8000L | 6, d.read64(Regs.CMDQ_BASE));
		assertEquals(0x4000_0001, d.read32(Regs.CMDQ_BASE + 4));
		d.write64(Regs.EVENTQ_BASE, 0xffff_ffff_ffff_ffffL);
		assertEquals(Regs.Q_BASE_RA | Regs.Q_BASE_ADDR_MASK | 19, d.read64(Regs.EVENTQ_BASE), "RES0 dropped, LOG2SIZE clamped");
		SmmuSpec spec = SmmuSpec.mmu700("x", 0);
		assertEquals((spec.idr(0) & 0xffff_ffffL) | (long) spec.idr(1) << 32, d.read64(Regs.IDR0));
		d.write64(Regs.CR1, 0x2222_2222_1111_1111L);
		assertEquals(0x1111_1111, d.read32(Regs.CR1));
		assertEquals(0x2222_2222, d.read32(Regs.CR2));
		d.write64(Regs.CMDQ_PROD, 0x0000_0003_0000_0005L);
		assertEquals(5, d.read32(Regs.CMDQ_PROD));
		assertEquals(3, d.read32(Regs.CMDQ_CONS));
		assertEquals(0x3_0000_0005L, d.read64(Regs.CMDQ_PROD));
	}

	@Test
	void queueLog2SizeClampedToIdr1() {
		int idr1 = (int) Regs.IDR1_CMDQS.with(0, 7);
		idr1 = (int) Regs.IDR1_EVENTQS.with(idr1, 5);
		idr1 = (int) Regs.IDR1_SIDSIZE.with(idr1, 16);
		SmmuDevice d = new Rig(spec(SmmuSpec.mmu700("s", 0).idr(0), idr1)).smmu;
		assertEquals(7, d.read64(Regs.CMDQ_BASE));
		assertEquals(5, d.read64(Regs.EVENTQ_BASE));
		d.write64(Regs.CMDQ_BASE, 0x1000 | 31);
		d.write64(Regs.EVENTQ_BASE, 0x2000 | 6);
		assertEquals(0x1007, d.read64(Regs.CMDQ_BASE));
		assertEquals(0x2005, d.read64(Regs.EVENTQ_BASE));
		d.write64(Regs.CMDQ_BASE, 0x1000 | 3);
		assertEquals(0x1003, d.read64(Regs.CMDQ_BASE));
		// a 25-bit IDR1.CMDQS is clamped to the architecture's 19
		int big = (int) Regs.IDR1_CMDQS.with(0, 25);
		SmmuDevice e = new Rig(spec(0x3, big)).smmu;
		assertEquals(19, e.read64(Regs.CMDQ_BASE));
	}

	@Test
	void queuePointersKeepOnlyIndexWrapAndFlags() {
		SmmuDevice d = new Rig().smmu;
		d.write64(Regs.CMDQ_BASE, 0x1000 | 3);
		d.write64(Regs.EVENTQ_BASE, 0x2000 | 2);
		d.write32(Regs.CMDQ_PROD, 0xffff_ffff);
		assertEquals(0xf, d.read32(Regs.CMDQ_PROD));
		d.write32(Regs.CMDQ_CONS, 0xffff_ffff);
		assertEquals(0x7f00_000f, d.read32(Regs.CMDQ_CONS), "index, wrap and ERR");
		d.write32(Regs.EVENTQ_PROD, 0xffff_ffff);
		assertEquals(0x8000_0007, d.read32(Regs.EVENTQ_PROD), "index, wrap and OVFLG");
		d.write32(Regs.EVENTQ_CONS, 0x7fff_fff0);
		assertEquals(0, d.read32(Regs.EVENTQ_CONS));
	}

	@Test
	void queueRegistersReadOnlyWhileTheQueueIsEnabled() {
		SmmuDevice d = new Rig().smmu;
		d.write64(Regs.CMDQ_BASE, 0x1000 | 3);
		d.write64(Regs.EVENTQ_BASE, 0x2000 | 2);
		d.write32(Regs.EVENTQ_PROD, 2);
		d.write32(Regs.CMDQ_CONS, 1);
		d.write32(Regs.CMDQ_PROD, 1);
		d.write32(Regs.CR0, Regs.CR0_CMDQEN | Regs.CR0_EVENTQEN);
		d.write64(Regs.CMDQ_BASE, 0x5000 | 2);
		d.write64(Regs.EVENTQ_BASE, 0x6000 | 1);
		d.write32(Regs.EVENTQ_PROD, 3);
		d.write32(Regs.CMDQ_CONS, 0);
		assertEquals(0x1003, d.read64(Regs.CMDQ_BASE));
		assertEquals(0x2002, d.read64(Regs.EVENTQ_BASE));
		assertEquals(2, d.read32(Regs.EVENTQ_PROD));
		assertEquals(1, d.read32(Regs.CMDQ_CONS));
		d.write32(Regs.EVENTQ_CONS, 1);
		assertEquals(1, d.read32(Regs.EVENTQ_CONS), "software owns EVENTQ_CONS");
	}

	@Test
	void resetAsQemu() {
		Rig rig = new Rig();
		SmmuDevice d = rig.smmu;
		d.write64(Regs.STRTAB_BASE, 0x4000);
		d.write32(Regs.STRTAB_BASE_CFG, 8);
		d.write32(Regs.CR1, 0x15);
		d.write32(Regs.GBPA, Regs.GBPA_UPDATE | Regs.GBPA_ABORT);
		d.write64(Regs.CMDQ_BASE, 0x8000 | 4);
		d.write64(Regs.EVENTQ_BASE, 0x9000 | 3);
		d.write32(Regs.CMDQ_CONS, 0x2);
		d.write32(Regs.EVENTQ_PROD, 0x3);
		d.write32(Regs.IRQ_CTRL, 7);
		d.write32(Regs.GERRORN, 1);
		d.write32(Regs.CR0, Regs.CR0_SMMUEN | Regs.CR0_EVENTQEN);
		rig.engine.take();
		d.reset();
		assertEquals(0, d.read32(Regs.CR0));
		assertEquals(0, d.read32(Regs.CR0ACK));
		assertEquals(0, d.read32(Regs.IRQ_CTRL));
		assertEquals(0, d.read32(Regs.GERROR));
		assertEquals(0, d.read32(Regs.GERRORN));
		assertEquals(0x1000, d.read32(Regs.GBPA));
		assertEquals(0x8000 | 19, d.read64(Regs.CMDQ_BASE));
		assertEquals(0x9000 | 19, d.read64(Regs.EVENTQ_BASE));
		assertEquals(0, d.read32(Regs.CMDQ_CONS));
		assertEquals(0, d.read32(Regs.EVENTQ_PROD));
		assertEquals(0x4000, d.read64(Regs.STRTAB_BASE));
		assertEquals(8, d.read32(Regs.STRTAB_BASE_CFG));
		assertEquals(0x15, d.read32(Regs.CR1));
		assertEquals(SmmuSpec.mmu700("x", 0).idr(0), d.read32(Regs.IDR0));
		assertEquals(List.of("steRange 0 31", "all"), rig.engine.take(), "caches emptied");
		assertEquals(Path.GLOBAL_BYPASS, ((Translated) d.translate(TranslationRequest.read(0, 1))).path());
	}

	@Test
	void restoreLoadsRegistersWithoutSideEffects() {
		Rig rig = new Rig();
		SmmuDevice d = rig.smmu;
		// two queued commands the snapshot's hardware had not consumed yet
		rig.memory.write64(Rig.CMDQ + 16, Cmd.CFGI_STE | 9L << 32);
		rig.memory.write64(Rig.CMDQ + 32, Cmd.TLBI_NSNH_ALL);
		int cr0 = Regs.CR0_SMMUEN | Regs.CR0_CMDQEN | Regs.CR0_EVENTQEN;
		d.restore(Map.ofEntries(Map.entry(Regs.CR0, (long) cr0), Map.entry(Regs.GBPA, (long) (Regs.GBPA_UPDATE | Regs.GBPA_ABORT)),
				Map.entry(Regs.IRQ_CTRL, 5L), Map.entry(Regs.STRTAB_BASE, 0x7_0000L), Map.entry(Regs.STRTAB_BASE_CFG, 0x1_0208L),
				Map.entry(Regs.CMDQ_BASE, Rig.CMDQ | 3), Map.entry(Regs.CMDQ_PROD, 3L), Map.entry(Regs.CMDQ_CONS, 1L),
				Map.entry(0x10000 + Regs.EVENTQ_BASE, Rig.EVENTQ | 2), Map.entry(0x10000 + Regs.EVENTQ_PROD, 0x8000_0002L),
				Map.entry(0x10000 + Regs.EVENTQ_CONS, 1L), Map.entry(Regs.GERROR, 4L), Map.entry(Regs.GERRORN, 0L),
				Map.entry(Regs.IDR0, 0L), Map.entry(Regs.CR0ACK, 0L), Map.entry(0x1234, 99L)));
		assertEquals(List.of(), rig.engine.take().stream().filter(c -> !c.equals("all") && !c.equals("steRange 0 31")).toList(),
				"queued commands are not replayed");
		assertEquals(cr0, d.read32(Regs.CR0));
		assertEquals(cr0, d.read32(Regs.CR0ACK));
		assertEquals(Regs.GBPA_ABORT, d.read32(Regs.GBPA));
		assertEquals(5, d.read32(Regs.IRQ_CTRLACK));
		assertEquals(3, d.read32(Regs.CMDQ_PROD));
		assertEquals(1, d.read32(Regs.CMDQ_CONS));
		assertEquals(0x8000_0002, d.read32(Regs.EVENTQ_PROD));
		assertEquals(1, d.read32(Regs.EVENTQ_CONS));
		assertEquals(4, d.read32(Regs.GERROR));
		assertEquals(SmmuSpec.mmu700("x", 0).idr(0), d.read32(Regs.IDR0));
		assertEquals(List.of(), rig.irqs());
		d.translate(TranslationRequest.read(1, 0));
		assertEquals(new StreamTable(0x7_0000L, 8, 1, 8), rig.engine.lastTable);
		// the restored queue is live: the next PROD write runs what was pending
		d.write32(Regs.CMDQ_PROD, 3);
		assertEquals(List.of("ste 9", "all"), rig.engine.take());
		assertEquals(3, d.read32(Regs.CMDQ_CONS));
	}

	@Test
	void statsMergeEngineCountersWithCommandsAndEvents() {
		Rig rig = new Rig().commandQueue(3);
		SmmuDevice d = rig.smmu;
		rig.submit(Rig.cmd(Cmd.CFGI_STE), Rig.cmd(Cmd.CFGI_STE), Rig.sync());
		rig.engine.sink.record(smmu.hw.Event.config(smmu.hw.EventType.C_BAD_STE, 1, -1, 0, 0));
		SmmuStats s = d.stats();
		assertEquals(Map.of("CFGI_STE", 2L, "CMD_SYNC", 1L), s.commands());
		assertEquals(List.of("CFGI_STE", "CMD_SYNC"), List.copyOf(s.commands().keySet()), "opcode order");
		assertEquals(0, s.eventsRecorded());
		assertEquals(1, s.eventsLost(), "EVENTQEN = 0");
		assertEquals(7, s.translations());
		assertEquals(3, s.cdFetches());
		assertEquals(Map.of("F_TRANSLATION", 1L), s.faults());
		assertSame(s.caches().get(0).getClass(), smmu.hw.CacheStats.class);
		d.resetStats();
		assertEquals(Map.of(), d.stats().commands());
		assertEquals(0, d.stats().eventsLost());
		assertEquals(1, rig.engine.resets);
	}
}
