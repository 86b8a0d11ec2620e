package smmu.hw.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;

import smmu.hw.EventType;
import smmu.hw.FrameAllocator;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Path;
import smmu.hw.TranslationResult.Translated;
import smmu.hw.arch.Pte;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.hw.driver.CdBuilder;
import smmu.hw.driver.CdTable;
import smmu.hw.driver.Commands;
import smmu.hw.driver.IoPageTable;
import smmu.hw.driver.Prot;
import smmu.hw.driver.SmmuDriver;
import smmu.hw.driver.SteBuilder;

/**
 * Translation regimes (STE.STRW with SMMU_CR2.E2H) and global entries (nG = 0) end to end: the driver library
 * programs an SMMU, a device translates, commands invalidate. Each case is what the architecture says a
 * TLBI reaches (IHI 0070 4.4, Arm ARM D8.14).
 */
class RegimeTest {
	static final long IOVA = 0x40_0000L, PA = 0x2_0000_0000L;
	static final int RW = Prot.READ | Prot.WRITE | Prot.CACHE;
	/** The StreamID of stream 1 and 2. */
	static final int[] SIDS = { 0, 1, 17 };

	final SparseMemory mem = new SparseMemory(48);
	final FrameAllocator alloc = new FrameAllocator(mem, 0x8000_0000L, 0x1_0000_0000L);

	/**
	 * An SMMU with stage-1 streams 1 (StreamID 1, ASID 1) and 2 (StreamID 17, ASID 2), same VMID 0, each
	 * mapping IOVA -> PA + stream * 1 MiB. Both StreamIDs are of TBU 1, so they share one TLB.
	 */
	final class Host {
		final SmmuDevice dev;
		final SmmuDriver drv;
		final IoPageTable[] pts = new IoPageTable[3];

		Host(SmmuSpec spec, boolean e2h) {
			dev = SmmuDevice.create(spec, mem);
			drv = SmmuDriver.probe(dev, mem, alloc, SmmuDriver.Options.DEFAULT.withKernelE2h(e2h));
			drv.init();
			for (int stream = 1; stream <= 2; stream++) {
				int sid = SIDS[stream];
				IoPageTable pt = IoPageTable.allocate(IoPageTable.Config.s1(4096, 48, 48), alloc);
				pt.map(IOVA, PA + stream * 0x10_0000L, 0x1000, RW);
				pts[stream] = pt;
				CdTable t = drv.allocCdTable(0);
				drv.writeCd(t, 0, CdBuilder.s1(pt, stream, false), sid);
				drv.ensureL2(sid);
				drv.writeSte(sid, SteBuilder.cdTable(drv.features(), t, Ste.S1DSS_SSID0, false, false));
			}
		}

		/** Makes the leaf of {@code stream} global (nG = 0) behind the TLB's back. */
		void global(int stream) {
			IoPageTable.Leaf l = pts[stream].lookup(IOVA);
			mem.write64(l.address(), l.descriptor() & ~Pte.NG);
		}

		TranslationResult read(int stream) {
			return dev.translate(TranslationRequest.read(SIDS[stream], IOVA + 8));
		}

		long pa(int stream) {
			TranslationResult r = read(stream);
			return assertInstanceOf(Translated.class, r, r::toString).pa() - 8;
		}

		Path path(int stream) {
			return assertInstanceOf(Translated.class, read(stream)).path();
		}

		void submit(long[]... cmds) {
			drv.submitAndSync(cmds);
		}
	}

	@Test
	void strwSelectsTheRegimeAndItsCommands() {
		Host h = new Host(SmmuSpec.mmu700("s", 0), true);
		assertEquals(2, Ste.STRW.get(h.drv.readSte(1)));
		assertEquals(PA + 0x10_0000L, h.pa(1));
		assertEquals(Path.TLB_HIT, h.path(1));
		// NS-EL1 commands do not reach EL2-E2H entries
		h.submit(Commands.tlbiNhAsid(0, 1), Commands.tlbiNhVaa(0, IOVA, false, 0, 0, 0, 0), Commands.tlbiNsnhAll(),
				Commands.tlbiS12Vmall(0));
		assertEquals(Path.TLB_HIT, h.path(1));
		// EL2_ASID of another ASID neither
		h.submit(Commands.tlbiEl2Asid(2));
		assertEquals(Path.TLB_HIT, h.path(1));
		h.submit(Commands.tlbiEl2Asid(1));
		assertEquals(Path.WALK, h.path(1));
		h.submit(Commands.tlbiEl2Va(2, IOVA, true, 0, 0, 0, 0));
		assertEquals(Path.TLB_HIT, h.path(1));
		h.submit(Commands.tlbiEl2Va(1, IOVA, true, 0, 0, 0, 0));
		assertEquals(Path.WALK, h.path(1));
		h.submit(Commands.tlbiEl2Vaa(IOVA, true, 0, 0, 0, 0));
		assertEquals(Path.WALK, h.path(1));
		h.submit(Commands.tlbiEl2All());
		assertEquals(Path.WALK, h.path(1));
		assertEquals(Path.TLB_HIT, h.path(1));
	}

	@Test
	void el2WithoutE2hHasNoAsids() {
		// the kernel writes STRW = EL2; with CR2.E2H = 0 that is the EL2 regime: entries untagged, TTB1 unused
		Host h = new Host(SmmuSpec.mmu700("s", 0), true);
		h.dev.write32(Regs.CR2, h.dev.read32(Regs.CR2) & ~1);
		assertEquals(PA + 0x10_0000L, h.pa(1));
		assertEquals(Path.TLB_HIT, h.path(1));
		h.submit(Commands.tlbiEl2Asid(1));
		assertEquals(Path.TLB_HIT, h.path(1), "EL2 entries have no ASID");
		h.submit(Commands.tlbiEl2Va(77, IOVA, true, 0, 0, 0, 0));
		assertEquals(Path.WALK, h.path(1), "EL2_VA reaches EL2 entries whatever the ASID");
		// two streams of the EL2 regime (and one TBU) share entries: the one world has one address space
		assertEquals(PA + 0x10_0000L, h.pa(2));
		TranslationResult high = h.dev.translate(TranslationRequest.read(1, 0xffff_ffff_ffff_f000L));
		assertEquals(EventType.F_TRANSLATION, assertInstanceOf(Aborted.class, high).event().type());
	}

	@Test
	void nsEl1AsidsStayApart() {
		Host h = new Host(SmmuSpec.mmu700("s", 0), false);
		assertEquals(0, Ste.STRW.get(h.drv.readSte(1)));
		assertEquals(PA + 0x10_0000L, h.pa(1));
		assertEquals(PA + 0x20_0000L, h.pa(2));
		h.submit(Commands.tlbiEl2All());
		assertEquals(Path.TLB_HIT, h.path(1), "TLBI_EL2_ALL leaves NS-EL1 entries");
		h.submit(Commands.tlbiNhAsid(0, 1));
		assertEquals(Path.WALK, h.path(1));
		assertEquals(Path.TLB_HIT, h.path(2));
	}

	@Test
	void el2StreamWorldIsIllegalWithoutHypOrWithStage2() {
		SmmuSpec spec = SmmuSpec.mmu700("s", 0);
		int idr0 = (int) Regs.IDR0_HYP.with(spec.idr(0), 0);
		Host h = new Host(spec.withIdr(new int[] { idr0, spec.idr(1), spec.idr(2), spec.idr(3), spec.idr(4), spec.idr(5) }), false);
		long[] ste = h.drv.readSte(1);
		Ste.STRW.set(ste, 2);
		h.drv.writeSte(1, ste);
		assertEquals(EventType.C_BAD_STE, assertInstanceOf(Aborted.class, h.read(1)).event().type());
		Ste.STRW.set(ste, 1);
		h.drv.writeSte(1, ste);
		assertEquals(EventType.C_BAD_STE, assertInstanceOf(Aborted.class, h.read(1)).event().type(), "reserved STRW");
		// and the EL2 TLBIs are illegal without IDR0.HYP
		h.drv.submit(Commands.tlbiEl2All());
		assertEquals(Regs.CERROR_ILL, (int) Regs.CMDQ_CONS_ERR.get(h.dev.read32(Regs.CMDQ_CONS)));
	}

	// ---- nG

	@Test
	void globalEntriesMatchEveryAsidAndLeaveOnlyByVa() {
		Host h = new Host(SmmuSpec.mmu700("s", 0), false);
		h.global(1);
		assertEquals(PA + 0x10_0000L, h.pa(1));
		// stream 2 (ASID 2, same VMID, same TBU) hits the global entry stream 1 filled: the architecture's rule
		assertEquals(PA + 0x10_0000L, h.pa(2));
		assertEquals(Path.TLB_HIT, h.path(2));
		// TLBI by ASID keeps global entries
		h.submit(Commands.tlbiNhAsid(0, 1));
		assertEquals(Path.TLB_HIT, h.path(1));
		// TLBI by VA with another ASID removes it
		h.submit(Commands.tlbiNhVa(0, 7, IOVA, true, 0, 0, 0, 0));
		assertEquals(PA + 0x20_0000L, h.pa(2), "stream 2 walks its own (non-global) table now");
		assertEquals(Path.TLB_HIT, h.path(2));
		assertEquals(Path.WALK, h.path(1));
	}
}
