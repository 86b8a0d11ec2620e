package smmu.hw.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.PhysicalMemory;
import smmu.hw.Smmu;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.TableEntry;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.hw.impl.SmmuDevice;
import smmu.hw.snapshot.QemuTranslations.Translation;

/**
 * Attaches our SMMU model to the QEMU snapshot and checks that it translates every IOVA QEMU's own
 * SMMUv3 translated (and that was still mapped when the VM stopped) to the same address, with the
 * same permission.
 */
class SnapshotTranslationTest {

	/** The QEMU SMMUv3 as the guest saw it: its ID registers, at the virt machine's address. */
	static SmmuSpec qemuSpec() throws Exception {
		Map<Integer, Long> id = RegisterState.read(Fixture.file("idregs.txt"));
		int[] idr = new int[6];
		for (int i = 0; i < 6; i++) {
			idr[i] = id.getOrDefault(Regs.IDR0 + 4 * i, 0L).intValue();
		}
		return new SmmuSpec("qemu", Fixture.SMMU_BASE, idr, id.getOrDefault(Regs.IIDR, 0L).intValue(),
				id.getOrDefault(Regs.AIDR, 0L).intValue(), 256, 64);
	}

	static Smmu attach(SmmuSpec spec, PhysicalMemory memory, Map<Integer, Long> registers) {
		SmmuDevice smmu = SmmuDevice.create(spec, memory);
		smmu.restore(registers);
		return smmu;
	}

	private static Smmu attachFixture(String regsFile) throws Exception {
		SparseMemory memory = RamImage.load(Fixture.file("ram.img.gz"), Fixture.RAM_BASE, Fixture.OAS_BITS);
		return attach(qemuSpec(), memory, RegisterState.read(Fixture.file(regsFile)));
	}

	@Test
	void everyQemuTranslationIsReproduced() throws Exception {
		Smmu smmu = attachFixture("regs.trace");
		List<Translation> qemu = QemuTranslations.read(Fixture.file("translations.trace"));
		assertEquals(271, qemu.size());
		for (Translation t : qemu) {
			String what = String.format("sid 0x%x iova 0x%x", t.sid(), t.iova());
			TranslationResult read = smmu.translate(new TranslationRequest(t.sid(), Event.NO_SSID, t.iova(), false));
			TranslationResult.Translated r = assertInstanceOf(TranslationResult.Translated.class, read, what + ": " + read);
			assertEquals(t.translated(), r.pa(), what);

			TranslationResult write = smmu.translate(new TranslationRequest(t.sid(), Event.NO_SSID, t.iova(), true));
			if (t.writable()) {
				assertEquals(t.translated(), assertInstanceOf(TranslationResult.Translated.class, write, what + ": " + write).pa(), what);
			} else {
				TranslationResult.Aborted a = assertInstanceOf(TranslationResult.Aborted.class, write, what + ": " + write);
				assertEquals(EventType.F_PERMISSION, a.event().type(), what);
				assertEquals(t.sid(), a.event().sid(), what);
				assertEquals(t.iova(), a.event().address(), what);
				assertTrue(!a.event().read(), what);
			}

			TranslationResult walked = smmu.walk(new TranslationRequest(t.sid(), Event.NO_SSID, t.iova(), false)).result();
			assertEquals(t.translated(), assertInstanceOf(TranslationResult.Translated.class, walked, what).pa(), what);
		}
	}

	@Test
	void offsetValueRegistersGiveTheSameTranslations() throws Exception {
		Smmu smmu = attachFixture("regs.txt");
		for (Translation t : QemuTranslations.read(Fixture.file("translations.trace"))) {
			TranslationResult r = smmu.translate(new TranslationRequest(t.sid(), Event.NO_SSID, t.iova(), false));
			assertEquals(t.translated(), assertInstanceOf(TranslationResult.Translated.class, r).pa());
		}
	}

	@Test
	void inspectsSteAndCd() throws Exception {
		Smmu smmu = attachFixture("regs.trace");
		TableEntry ste = smmu.readSte(Fixture.SID);
		assertTrue(ste.found(), String.valueOf(ste.error()));
		assertEquals(Ste.CFG_S1_TRANS, (int) Ste.CONFIG.get(ste.words()));
		TableEntry cd = smmu.readCd(Fixture.SID, Event.NO_SSID);
		assertTrue(cd.found(), String.valueOf(cd.error()));
		assertEquals(Ste.s1ContextPtr(ste.words()), cd.address());
		assertEquals(1L, Cd.ASID.get(cd.words()));
		TableEntry abort = smmu.readSte(Fixture.SID + 1);
		assertTrue(abort.found());
		assertEquals(Ste.CFG_ABORT, (int) Ste.CONFIG.get(abort.words()));
		// An unmapped IOVA of the device faults with a translation fault.
		TranslationResult r = smmu.translate(new TranslationRequest(Fixture.SID, Event.NO_SSID, 0x1000, false));
		assertEquals(EventType.F_TRANSLATION, assertInstanceOf(TranslationResult.Aborted.class, r).event().type());
		// Streams with an abort STE are terminated without a translation.
		assertInstanceOf(TranslationResult.Aborted.class, smmu.translate(TranslationRequest.read(Fixture.SID + 1, 0xffff_f040L)));
	}
}
