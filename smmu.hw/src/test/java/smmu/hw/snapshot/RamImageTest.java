package smmu.hw.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import smmu.hw.SparseMemory;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Pte;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;

class RamImageTest {

	/** 64 KiB + 100 bytes: data in pages 1, 7 and the partial last page; everything else zero. */
	private static byte[] image() {
		byte[] img = new byte[16 * 4096 + 100];
		for (int i = 0; i < 4096; i++) {
			img[4096 + i] = (byte) (i * 7 + 1);
		}
		img[7 * 4096 + 4095] = 0x5a;
		img[16 * 4096 + 99] = (byte) 0xa5;
		return img;
	}

	private static Path write(Path dir, String name, byte[] bytes, boolean gzip) throws IOException {
		Path p = dir.resolve(name);
		try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p)) {
			out.write(bytes);
		}
		return p;
	}

	private static void checkLoaded(SparseMemory mem, long base, byte[] img) {
		byte[] back = new byte[img.length];
		mem.read(base, back, 0, back.length);
		assertArrayEquals(img, back);
		assertEquals(0, mem.read8(base - 1));
		assertEquals(0, mem.read8(base + img.length));
		assertEquals(3L * 4096, mem.backedBytes(), "only the three non-zero pages are materialised");
	}

	@Test
	void pagesLandAtBasePlusOffset(@TempDir Path dir) throws IOException {
		byte[] img = image();
		long base = 0x4000_0000L;
		SparseMemory mem = RamImage.load(write(dir, "ram.img", img, false), base, 40);
		checkLoaded(mem, base, img);
		assertEquals((byte) 8, mem.read8(base + 4096 + 1));
		assertEquals(0x5a, mem.read8(base + 7 * 4096 + 4095));
		assertEquals((byte) 0xa5, mem.read8(base + 16 * 4096 + 99));
	}

	@Test
	void gzipImageLoadsTheSame(@TempDir Path dir) throws IOException {
		byte[] img = image();
		long base = 0x8000_0000L;
		SparseMemory mem = new SparseMemory(36);
		assertEquals(img.length, RamImage.load(write(dir, "ram.img.gz", img, true), base, mem));
		checkLoaded(mem, base, img);
	}

	@Test
	void unalignedBaseAndStreams() throws IOException {
		byte[] img = image();
		SparseMemory mem = new SparseMemory(32);
		assertEquals(img.length, RamImage.load(new ByteArrayInputStream(img), 0x1800, mem));
		byte[] back = new byte[img.length];
		mem.read(0x1800, back, 0, back.length);
		assertArrayEquals(img, back);
		assertEquals(0, RamImage.load(new ByteArrayInputStream(new byte[0]), 0, mem));
	}

	@Test
	void zeroPagesClearStaleData() throws IOException {
		SparseMemory mem = new SparseMemory(32);
		mem.write64(0x2008, -1L);
		RamImage.load(new ByteArrayInputStream(new byte[3 * 4096]), 0x1000, mem);
		assertEquals(0, mem.read64(0x2008));
	}

	@Test
	void imagesBeyondTheAddressSpaceAreRefused(@TempDir Path dir) throws IOException {
		byte[] img = image();
		SparseMemory mem = new SparseMemory(32);
		Path plain = write(dir, "ram.img", img, false);
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RamImage.load(plain, 0xffff_0000L, mem));
		assertTrue(e.getMessage().contains("ends at 0x100000064, beyond the 32-bit physical address space"), e.getMessage());
		assertEquals(0, mem.backedBytes(), "nothing loaded from a plain image that does not fit");

		Path gz = write(dir, "ram.img.gz", img, true);
		e = assertThrows(IllegalArgumentException.class, () -> RamImage.load(gz, 0xffff_0000L, new SparseMemory(32)));
		assertTrue(e.getMessage().contains("an image of at least 65636 bytes at 0xffff0000"), e.getMessage());
		assertTrue(e.getMessage().startsWith(gz.toString()));

		e = assertThrows(IllegalArgumentException.class, () -> RamImage.load(plain, 1L << 32, 32));
		assertTrue(e.getMessage().contains("base 0x100000000 is outside the 32-bit"), e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> RamImage.load(new ByteArrayInputStream(img), -4096, mem));
		// exactly at the top fits
		SparseMemory top = new SparseMemory(32);
		RamImage.load(new ByteArrayInputStream(new byte[] { 1, 2 }), 0xffff_fffeL, top);
		assertEquals(0x0201, top.read16(0xffff_fffeL));
	}

	@Test
	void fixtureImageHoldsTheSmmuStructures() throws IOException {
		SparseMemory mem = new SparseMemory(Fixture.OAS_BITS);
		assertEquals(Fixture.RAM_SIZE, RamImage.load(Fixture.file("ram.img.gz"), Fixture.RAM_BASE, mem));
		long backed = mem.backedBytes();
		assertTrue(backed > 0 && backed <= 522L * 4096, "trimmed image backs at most the 522 kept pages: " + backed);

		Map<Integer, Long> regs = RegisterState.read(Fixture.file("regs.txt"));
		long strtab = regs.get(Regs.STRTAB_BASE) & Regs.STRTAB_BASE_ADDR_MASK;
		int split = (int) Regs.STRTAB_CFG_SPLIT.get(regs.get(Regs.STRTAB_BASE_CFG));
		long l1 = mem.read64(strtab + 8L * (Fixture.SID >>> split));
		assertEquals(9L, Ste.L1_SPAN.get(l1), "L2 table of 256 STEs");
		long steAddr = (l1 & Ste.L1_L2PTR_MASK) + 64L * (Fixture.SID & ((1 << split) - 1));
		long[] ste = words(mem, steAddr);
		assertEquals(1L, Ste.V.get(ste));
		assertEquals(Ste.CFG_S1_TRANS, (int) Ste.CONFIG.get(ste));
		assertEquals(0L, Ste.S1CDMAX.get(ste), "a single CD");
		long[] cd = words(mem, Ste.s1ContextPtr(ste));
		assertEquals(1L, Cd.V.get(cd));
		assertEquals(1L, Cd.AA64.get(cd));
		assertEquals(Cd.TG0_4K, (int) Cd.TG0.get(cd));
		assertEquals(16L, Cd.T0SZ.get(cd));
		assertEquals(1L, Cd.EPD1.get(cd));
		assertEquals(1L, Cd.ASID.get(cd));
		assertTrue(mem.read64(Cd.ttb0(cd)) != 0, "level-0 table present");
		long[] other = words(mem, (l1 & Ste.L1_L2PTR_MASK) + 64L * 9);
		assertEquals(Ste.CFG_ABORT, (int) Ste.CONFIG.get(other));
		assertEquals(1L, Ste.V.get(other));
	}

	/**
	 * The fixture is self-consistent without any SMMU model: a plain 4-level, 4 KiB-granule stage-1
	 * walk (the only configuration it uses) from the loaded image reproduces every QEMU translation.
	 */
	@Test
	void fixtureTranslationsAreMappedInTheImage() throws IOException {
		SparseMemory mem = RamImage.load(Fixture.file("ram.img.gz"), Fixture.RAM_BASE, Fixture.OAS_BITS);
		Map<Integer, Long> regs = RegisterState.read(Fixture.file("regs.trace"));
		long strtab = regs.get(Regs.STRTAB_BASE) & Regs.STRTAB_BASE_ADDR_MASK;
		long l1 = mem.read64(strtab);
		long[] ste = words(mem, (l1 & Ste.L1_L2PTR_MASK) + 64L * Fixture.SID);
		long[] cd = words(mem, Ste.s1ContextPtr(ste));
		var translations = QemuTranslations.read(Fixture.file("translations.trace"));
		for (var t : translations) {
			long table = Cd.ttb0(cd);
			long desc = 0;
			for (int level = 0; level <= 3; level++) {
				desc = mem.read64(table + 8 * ((t.iova() >>> (39 - 9 * level)) & 511));
				assertEquals(Pte.TYPE_TABLE, desc & Pte.TYPE_MASK, "table or page descriptor at level " + level);
				table = Pte.outputAddress(desc, 12);
			}
			assertEquals(t.translated(), table | (t.iova() & 0xfff));
			assertEquals(t.writable(), (desc & Pte.S1_AP_RDONLY) == 0);
		}
	}

	private static long[] words(SparseMemory mem, long pa) {
		long[] w = new long[8];
		for (int i = 0; i < 8; i++) {
			w[i] = mem.read64(pa + 8L * i);
		}
		return w;
	}
}
