package smmu.hw.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import smmu.hw.snapshot.QemuTranslations.Translation;

class QemuTranslationsTest {

	@Test
	void fixtureTranslations() throws IOException {
		List<Translation> all = QemuTranslations.read(Fixture.file("translations.trace"));
		assertEquals(271, all.size());
		Set<Long> pages = new HashSet<>();
		int readOnly = 0;
		for (Translation t : all) {
			assertEquals(Fixture.SID, t.sid());
			assertTrue(pages.add(t.iova() >>> 12), "one line per IOVA page");
			assertEquals(t.iova() & 0xfff, t.translated() & 0xfff, "4 KiB pages keep the page offset");
			assertTrue(t.readable());
			if (!t.writable()) {
				readOnly++;
			}
		}
		assertTrue(readOnly > 0 && readOnly < all.size(), "both read-only (to-device) and read-write mappings: " + readOnly);
		Translation msi = all.get(all.size() - 1);
		assertEquals(new Translation(8, 0xffff_f040L, 0x0809_0040L, 3), msi, "the ITS doorbell, mapped for MSIs");
	}

	@Test
	void parsesQemuLinesWithAndWithoutPrefix() {
		String text = """
				9077@1795264739.382830:smmuv3_translate_success smmuv3-iommu-memory-region-8-1 sid=0x8 iova=0xffeb6b90 translated=0x43803b90 perm=0x1
				smmuv3_translate_abort smmuv3-iommu-memory-region-8-1 sid=0x8 abort on iova:0x1000 is_write=1
				smmuv3_translate_success smmuv3-iommu-memory-region-16-2 sid=0x10 iova=0xffffffffffff0000 translated=0xfffff0000 perm=0x3
				smmuv3_translate_success mr sid=12 iova=0x0 translated=0x0 perm=0x2 stage=1
				""";
		List<Translation> t = QemuTranslations.parse(text);
		assertEquals(List.of(new Translation(8, 0xffeb_6b90L, 0x4380_3b90L, 1), new Translation(0x10, 0xffff_ffff_ffff_0000L, 0xf_ffff_0000L, 3),
				new Translation(12, 0, 0, 2)), t);
		assertFalse(t.get(0).writable());
		assertTrue(t.get(2).writable());
		assertFalse(t.get(2).readable());
		assertEquals(List.of(), QemuTranslations.parse("smmuv3_write_mmio addr: 0x20 val:0x0 size: 0x4(0)\n"));
	}

	@Test
	void badLinesNameTheLine() {
		String ok = "smmuv3_translate_success mr sid=0x8 iova=0x1000 translated=0x2000 perm=0x3\n";
		for (String line : new String[] {
				"smmuv3_translate_success mr sid=0x8 iova=0x1000 translated=0x2000",
				"smmuv3_translate_success sid=0x8 iova=0x1000 translated=0x2000 perm=0x3",
				"smmuv3_translate_success mr sid=0x8 iova=0xq translated=0x2000 perm=0x3",
				"smmuv3_translate_success mr sid=0x8 iova=0x1000 translated=0x2000 perm=0x4",
				"smmuv3_translate_success mr sid=0x100000000 iova=0x1000 translated=0x2000 perm=0x3",
				"smmuv3_translate_success mr sid 8 iova=0x1000 translated=0x2000 perm=0x3",
				"smmuv3_translate_success " }) {
			IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QemuTranslations.parse(ok + ok + line + "\n"), line);
			assertTrue(e.getMessage().startsWith("line 3: "), e.getMessage());
		}
	}
}
