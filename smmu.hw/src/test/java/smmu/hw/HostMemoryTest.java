package smmu.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host memory with file regions: MAP_SHARED both ways, placement, sharing, release, aborts. */
class HostMemoryTest {
	static final long BASE = 0x40_0000_0000L, GIB = 1L << 30;

	@TempDir
	Path dir;
	SparseMemory ram;
	HostMemory mem;
	Path file;

	@BeforeEach
	void setUp() throws IOException {
		ram = new SparseMemory(48);
		mem = new HostMemory(ram, BASE, BASE + 64 * GIB);
		file = dir.resolve("ram");
		try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
			f.setLength(4 << 20);
		}
	}

	long fileLong(long off) throws IOException {
		try (FileChannel ch = FileChannel.open(file)) {
			ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
			ch.read(b, off);
			return b.getLong(0);
		}
	}

	@Test
	void ramBelowTheWindowIsTheRamItself() {
		mem.write64(0x1000, 42);
		assertEquals(42, ram.read64(0x1000));
		assertThrows(MemoryAbort.class, () -> mem.read64(BASE), "nothing mapped there");
		assertThrows(MemoryAbort.class, () -> mem.read64(1L << 48));
	}

	@Test
	void writesLandInTheFileAndFileWritesAreRead() throws IOException {
		FileRegion r = mem.mapFile(file, 0x10_0000, 0x20_0000, true);
		assertEquals(BASE + 0x10_0000, r.base(), "the file offset's phase in 1 GiB is kept");
		long pa = r.pa(0x10_0000 + 0x123);
		mem.write64(pa, 0x0102_0304_0506_0708L);
		mem.write32(pa + 8, 0xaabbccdd);
		mem.write16(pa + 12, (short) 0x1122);
		mem.write8(pa + 14, (byte) 0x33);
		assertEquals(0x0102_0304_0506_0708L, fileLong(0x10_0123));
		assertEquals(0x0033_1122_aabb_ccddL, fileLong(0x10_012b));
		try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
			ch.write(ByteBuffer.wrap(new byte[] { 9, 8, 7 }), 0x2f_fffd);
		}
		byte[] got = new byte[3];
		mem.read(r.pa(0x2f_fffd), got, 0, 3);
		assertArrayEquals(new byte[] { 9, 8, 7 }, got);
		assertThrows(MemoryAbort.class, () -> mem.read64(r.base() + r.length() - 4), "an access past the region aborts");
		mem.zero(pa, 16);
		assertEquals(0, fileLong(0x10_0123));
		assertEquals(4 << 20, Files.size(file));
	}

	@Test
	void regionsAreSharedForTheSameFilePagesAndLeaveWhenReleased() throws IOException {
		FileRegion a = mem.mapFile(file, 0, 4 << 20, true);
		FileRegion b = mem.mapFile(file, 0x1000, 0x1000, false);
		assertSame(a, b);
		assertEquals(2, a.holders());
		FileRegion c = mem.mapFile(dir.resolve("ram"), 0, 0x1000, true);
		assertSame(a, c, "same file, another Path object");
		a.release();
		c.release();
		assertEquals(1, mem.regions().size());
		b.release();
		assertEquals(0, mem.regions().size());
		assertThrows(MemoryAbort.class, () -> mem.read8(a.base()));
		b.release();
		assertEquals(0, a.holders());
	}

	@Test
	void newRegionsDoNotOverlap() throws IOException {
		Path other = dir.resolve("other");
		try (RandomAccessFile f = new RandomAccessFile(other.toFile(), "rw")) {
			f.setLength(2 * GIB + 0x2000);
		}
		FileRegion big = mem.mapFile(other, 0, 2 * GIB + 0x2000, true);
		FileRegion small = mem.mapFile(file, 0x1000, 0x1000, true);
		assertNotSame(big, small);
		assertTrue(small.base() > big.base() + big.length() - 1);
		assertEquals(0x1000, small.base() % GIB);
		// an 8-byte access across the 1 GiB window boundary of the big region
		long edge = big.pa(GIB - 4);
		mem.write64(edge, 0x1122_3344_5566_7788L);
		assertEquals(0x1122_3344_5566_7788L, mem.read64(edge));
		byte[] span = new byte[16];
		mem.read(edge - 4, span, 0, 16);
		assertEquals(0x77, span[5] & 0xff);
		big.release();
	}

	@Test
	void badRangesAreRefused() throws IOException {
		assertThrows(IllegalArgumentException.class, () -> mem.mapFile(file, 0x800, 0x1000, true));
		assertThrows(IllegalArgumentException.class, () -> mem.mapFile(file, 0x3f_f000, 0x2000, true), "past the end of the file");
		assertThrows(IllegalArgumentException.class, () -> mem.mapFile(dir, 0, 0x1000, true));
		FileRegion ro = mem.mapFile(file, 0, 0x1000, false);
		assertThrows(MemoryAbort.class, () -> mem.write8(ro.base(), (byte) 1));
		assertEquals(4 << 20, Files.size(file));
	}
}
