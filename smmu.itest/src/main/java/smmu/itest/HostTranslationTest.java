package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.osgi.test.common.annotation.InjectService;

import smmu.hw.EventType;
import smmu.hw.FrameAllocator;
import smmu.hw.HostPlatform;
import smmu.hw.Smmu;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Translated;
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
 * The default two-SMMU host inside Felix, programmed through the driver library in stage-1-only,
 * stage-2-only and nested modes; every translation is checked against the tables built.
 */
class HostTranslationTest {
	private static final int RW = Prot.READ | Prot.WRITE | Prot.CACHE;
	private static final long MB2 = 2L << 20;

	@InjectService
	HostPlatform host;

	@Test
	void theDefaultHostHasTwoProbedAndEnabledSmmusWithEndpoints() {
		List<Smmu> smmus = host.smmus();
		assertEquals(2, smmus.size());
		assertTrue(smmus.get(0).spec().mmioBase() != smmus.get(1).spec().mmioBase());
		for (Smmu s : smmus) {
			int ack = s.read32(Regs.CR0ACK);
			assertEquals(Regs.CR0_SMMUEN | Regs.CR0_EVENTQEN | Regs.CR0_CMDQEN, ack & (Regs.CR0_SMMUEN | Regs.CR0_EVENTQEN | Regs.CR0_CMDQEN));
			assertEquals(2, host.endpoints().stream().filter(e -> e.smmu().equals(s.id())).count());
			// an unattached endpoint's STE is abort, as Linux leaves it: terminated without an event
			int sid = host.endpoints().stream().filter(e -> e.smmu().equals(s.id())).findFirst().orElseThrow().sid();
			TranslationResult r = s.translate(TranslationRequest.read(sid + 0x40, 0x1000));
			Aborted a = assertInstanceOf(Aborted.class, r);
			assertEquals(null, a.event());
		}
	}

	@Test
	void stage1OnlyTranslatesThroughTheGuestOfTheDriversTables() {
		Smmu smmu = host.smmu("smmu0").orElseThrow();
		SmmuDriver drv = host.driver("smmu0").orElseThrow();
		IoPageTable pt = IoPageTable.allocate(IoPageTable.Config.s1(4096, 48, 48), host.allocator());
		long page = host.allocator().allocate(4096, 4096), block = host.allocator().allocate(MB2, MB2);
		pt.map(0x1000_0000L, page, 4096, RW);
		pt.map(0x2000_0000L, block, MB2, Prot.READ | Prot.CACHE);
		CdTable cds = drv.allocCdTable(0);
		drv.writeCd(cds, 0, CdBuilder.s1(pt, 7, false), 0x100);
		drv.writeSte(0x100, SteBuilder.cdTable(drv.features(), cds, Ste.S1DSS_SSID0, false, false));

		assertEquals(page + 0x123, pa(smmu.translate(TranslationRequest.write(0x100, 0x1000_0123L))));
		assertEquals(block + 0x1f_f008, pa(smmu.translate(TranslationRequest.read(0x100, 0x201f_f008L))));
		assertEquals(pt.iovaToPhys(0x2000_4000L), pa(smmu.translate(TranslationRequest.read(0x100, 0x2000_4000L))));
		// read-only block: a write faults at stage 1 (CD.R is set by the driver, so the event is recorded;
		// the host kernel's event thread owns the queue and drains it on the EVENTQ interrupt)
		long recorded = smmu.stats().eventsRecorded();
		Aborted denied = assertInstanceOf(Aborted.class, smmu.translate(TranslationRequest.write(0x100, 0x2000_0000L)));
		assertEquals(EventType.F_PERMISSION, denied.event().type());
		assertEquals(0x100, denied.event().sid());
		assertFalse(denied.event().s2());
		assertEquals(recorded + 1, smmu.stats().eventsRecorded());
	}

	@Test
	void stage2OnlyTranslatesIpaThroughTheDriversStage2() {
		Smmu smmu = host.smmu("smmu0").orElseThrow();
		SmmuDriver drv = host.driver("smmu0").orElseThrow();
		IoPageTable s2 = IoPageTable.allocate(IoPageTable.Config.s2(4096, 44, 48), host.allocator());
		long ram = host.allocator().allocate(4 * MB2, MB2);
		s2.map(0x4000_0000L, ram, 4 * MB2, RW);
		drv.writeSte(0x101, SteBuilder.s2(drv.features(), s2, 5, false, false));

		for (long off : new long[] { 0, 0x1234, MB2 + 0x10, 4 * MB2 - 8 }) {
			assertEquals(ram + off, pa(smmu.translate(TranslationRequest.write(0x101, 0x4000_0000L + off))));
		}
		Aborted miss = assertInstanceOf(Aborted.class, smmu.translate(TranslationRequest.read(0x101, 0x3fff_f000L)));
		assertEquals(EventType.F_TRANSLATION, miss.event().type());
		assertTrue(miss.event().s2());
		assertEquals(0x3fff_f000L, miss.event().address2());
	}

	@Test
	void nestedGuestStage1OverHostStage2() {
		Smmu smmu = host.smmu("smmu1").orElseThrow();
		SmmuDriver drv = host.driver("smmu1").orElseThrow();
		// host: 64 MiB of guest RAM at IPA 0x40000000, backed by host pages, mapped by a stage-2 table
		long ramIpa = 0x4000_0000L, ramSize = 64L << 20;
		long ramPa = host.allocator().allocate(ramSize, 1L << 30 >> 4);
		IoPageTable s2 = IoPageTable.allocate(IoPageTable.Config.s2(4096, 44, 48), host.allocator());
		s2.map(ramIpa, ramPa, ramSize, RW);
		// guest: its stage-1 tables, CD table and DMA buffers live in its RAM, at IPAs
		GuestRam guest = new GuestRam(host.memory(), ramIpa, ramPa, ramSize);
		FrameAllocator guestPages = new FrameAllocator(guest, ramIpa, ramIpa + ramSize);
		IoPageTable s1 = IoPageTable.allocate(IoPageTable.Config.s1(4096, 48, 44), guestPages);
		long buf = guestPages.allocate(8192, 4096);
		s1.map(0xffff_0000L, buf, 8192, RW);
		long cdIpa = guestPages.allocate(64, 64);
		long[] cd = CdBuilder.s1(s1, 3, false);
		for (int i = 0; i < cd.length; i++) {
			guest.write64(cdIpa + 8L * i, cd[i]);
		}
		long[] guestSte = SteBuilder.cdTable(cdIpa, Ste.S1FMT_LINEAR, 0, Ste.S1DSS_SSID0, false, false, false, false);
		// VMID 9 is (re)used for this new domain: it must be clean in the TLB first, as Linux keeps it
		drv.submitAndSync(Commands.tlbiS12Vmall(9));
		drv.writeSte(0x200, SteBuilder.nested(drv.features(), guestSte, s2, 9, false, false));

		assertEquals(guest.toPa(buf) + 0x40, pa(smmu.translate(TranslationRequest.write(0x200, 0xffff_0040L))));
		assertEquals(guest.toPa(buf + 4096) + 0xff8, pa(smmu.translate(TranslationRequest.read(0x200, 0xffff_1ff8L))));

		// the guest unmaps and invalidates: the next DMA faults at stage 1 and records an event (which the
		// host kernel's event thread drains)
		s1.unmap(0xffff_1000L, 4096);
		drv.submitAndSync(Commands.tlbiNhVa(9, 3, 0xffff_1000L, true));
		long recorded = smmu.stats().eventsRecorded();
		Aborted a = assertInstanceOf(Aborted.class, smmu.translate(TranslationRequest.read(0x200, 0xffff_1000L)));
		assertEquals(EventType.F_TRANSLATION, a.event().type());
		assertEquals(0x200, a.event().sid());
		assertEquals(0xffff_1000L, a.event().address());
		assertFalse(a.event().s2());
		assertEquals(recorded + 1, smmu.stats().eventsRecorded());
		// the page still mapped keeps translating
		assertEquals(guest.toPa(buf) + 0x40, pa(smmu.translate(TranslationRequest.read(0x200, 0xffff_0040L))));
	}

	@Test
	void walkShowsEveryDescriptorOfANestedTranslation() {
		nestedGuestStage1OverHostStage2();
		var walk = host.smmu("smmu1").orElseThrow().walk(TranslationRequest.read(0x200, 0xffff_0040L));
		assertTrue(walk.result().ok());
		long s1 = walk.steps().stream().filter(s -> s.what().equals("S1")).count();
		long s2 = walk.steps().stream().filter(s -> s.what().equals("S2")).count();
		assertEquals(4, s1, walk.steps()::toString);
		assertNotNull(walk.steps().stream().filter(s -> s.what().equals("STE")).findFirst().orElse(null));
		// a 4-level S1 over a 3-level S2 (44-bit IPA, 4K granule): CD fetch 3 + 4 table reads x 3 + final 3
		assertEquals(3 + 4 * 3 + 3, s2, walk.steps()::toString);
	}

	private static long pa(TranslationResult r) {
		if (r instanceof Translated t) {
			return t.pa();
		}
		throw new AssertionError("expected a translation, got " + r);
	}
}
