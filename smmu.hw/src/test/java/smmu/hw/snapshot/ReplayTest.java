package smmu.hw.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.hw.Smmu;
import smmu.hw.SparseMemory;
import smmu.hw.snapshot.QemuTranslations.Translation;
import smmu.hw.snapshot.Replay.Disagreement;

class ReplayTest {
	private static Smmu fixture() throws Exception {
		SparseMemory memory = RamImage.load(Fixture.file("ram.img.gz"), Fixture.RAM_BASE, Fixture.OAS_BITS);
		return SnapshotTranslationTest.attach(SnapshotTranslationTest.qemuSpec(), memory, RegisterState.read(Fixture.file("regs.trace")));
	}

	@Test
	void theModelAgreesWithEveryQemuTranslation() throws Exception {
		Smmu smmu = fixture();
		List<Translation> qemu = QemuTranslations.read(Fixture.file("translations.trace"));
		long translations = smmu.stats().translations();
		Replay.Result r = Replay.run(smmu, qemu);
		assertEquals(271, r.translations());
		assertEquals(542, r.accesses(), "a read and a write per line: read-only lines must fault on the write");
		assertEquals(542, r.agreed());
		assertEquals(List.of(), r.disagreements());
		assertEquals(translations, smmu.stats().translations(), "debug walks: no counter changed");
	}

	@Test
	void everyDisagreementIsReported() throws Exception {
		Smmu smmu = fixture();
		List<Translation> qemu = QemuTranslations.read(Fixture.file("translations.trace"));
		Translation readOnly = qemu.stream().filter(t -> !t.writable()).findFirst().orElseThrow();
		Translation rw = qemu.stream().filter(Translation::writable).findFirst().orElseThrow();
		List<Translation> edited = new ArrayList<>();
		// QEMU said another output address
		edited.add(new Translation(rw.sid(), rw.iova(), rw.translated() + 0x1000, 3));
		// QEMU allowed a write the model refuses
		edited.add(new Translation(readOnly.sid(), readOnly.iova(), readOnly.translated(), 3));
		// QEMU refused a write the model allows
		edited.add(new Translation(rw.sid(), rw.iova(), rw.translated(), 1));
		// nothing mapped there in the model
		edited.add(new Translation(Fixture.SID, 0x1000, 0x4000_1000L, 1));
		// write-only: the read is not compared
		edited.add(new Translation(rw.sid(), rw.iova(), rw.translated(), 2));
		Replay.Result r = Replay.run(smmu, edited);
		assertEquals(5, r.translations());
		assertEquals(9, r.accesses());
		assertEquals(List.of(new Disagreement(rw.sid(), rw.iova(), false, rw.translated() + 0x1000, rw.translated(), null),
				new Disagreement(rw.sid(), rw.iova(), true, rw.translated() + 0x1000, rw.translated(), null),
				new Disagreement(readOnly.sid(), readOnly.iova(), true, readOnly.translated(), -1, "F_PERMISSION"),
				new Disagreement(rw.sid(), rw.iova(), true, -1, rw.translated(), null),
				new Disagreement(Fixture.SID, 0x1000, false, 0x4000_1000L, -1, "F_TRANSLATION")), r.disagreements());
		assertEquals(4, r.agreed());
	}
}
