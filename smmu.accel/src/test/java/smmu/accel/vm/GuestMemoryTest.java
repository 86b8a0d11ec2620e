package smmu.accel.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import smmu.hw.FrameAllocator;
import smmu.hw.MemoryAbort;
import smmu.hw.SparseMemory;
import smmu.iommufd.VmmAddressSpace;

class GuestMemoryTest {
	static final long VA = 0x7f00_0000_0000L, SIZE = 64L << 20;
	static final long HOST_BASE = 0x8000_0000L;

	final SparseMemory host = new SparseMemory(44);
	final FrameAllocator hostPages = new FrameAllocator(host, HOST_BASE, HOST_BASE + (1L << 30));
	final long spacer = hostPages.allocate(0x3000, 0x1000);
	final VmmAddressSpace vmm = new VmmAddressSpace(host);
	final GuestRam ram = new GuestRam(vmm, hostPages, VA, SIZE);
	final GuestMemory gm = ram.memory();

	/** The host PA of a GPA by the VMM's page tables, independently of GuestMemory. */
	long hpa(long gpa) {
		long va = VA + (gpa - VirtMemoryMap.RAM_BASE);
		return vmm.lookup(va).hostPa(va);
	}

	@Test
	void guestPhysicalGoesThroughTheVmmMappingToHostPages() {
		long gpa = VirtMemoryMap.RAM_BASE + 0x123_4568L;
		gm.write64(gpa, 0x1122_3344_5566_7788L);
		assertEquals(0x1122_3344_5566_7788L, host.read64(hpa(gpa)));
		assertEquals(hpa(gpa), gm.hostPa(gpa));
		assertEquals(VA + 0x123_4568L, ram.userVa(gpa));
		host.write32(hpa(gpa + 0x100), 0xcafe_f00d);
		assertEquals(0xcafe_f00d, gm.read32(gpa + 0x100));
		assertEquals((short) 0xf00d, gm.read16(gpa + 0x100));
		assertEquals((byte) 0xca, gm.read8(gpa + 0x103));
		assertEquals(VirtMemoryMap.GPA_BITS, gm.addressBits());
		assertEquals(SIZE, gm.backedBytes());
		assertEquals(32, vmm.mappings().size(), "one mapping per 2 MiB chunk");
	}

	@Test
	void chunksAreNotHostContiguous() {
		long first = gm.hostPa(VirtMemoryMap.RAM_BASE), last = gm.hostPa(ram.end() - 1) & ~0xfffL;
		assertTrue(first > last, "allocated from the last chunk to the first");
		assertNotEquals(gm.hostPa(VirtMemoryMap.RAM_BASE + GuestRam.DEFAULT_CHUNK - 8) + 8, gm.hostPa(VirtMemoryMap.RAM_BASE + GuestRam.DEFAULT_CHUNK));
		assertTrue(first >= spacer + 0x3000, "host pages come from the host allocator");
		assertEquals(SIZE + 0x3000, hostPages.allocatedBytes());
	}

	@Test
	void accessesStraddlingChunksSplitAcrossHostPages() {
		long boundary = VirtMemoryMap.RAM_BASE + 3 * GuestRam.DEFAULT_CHUNK;
		gm.write64(boundary - 4, 0x0102_0304_0506_0708L);
		assertEquals(0x0506_0708, host.read32(hpa(boundary - 4)));
		assertEquals(0x0102_0304, host.read32(hpa(boundary)));
		assertEquals(0x0102_0304_0506_0708L, gm.read64(boundary - 4));
		gm.write32(boundary - 2, 0xaabb_ccdd);
		assertEquals(0xaabb_ccdd, gm.read32(boundary - 2));
		gm.write16(boundary - 1, (short) 0x7788);
		assertEquals((short) 0x7788, gm.read16(boundary - 1));
		byte[] src = new byte[10_000];
		for (int i = 0; i < src.length; i++) {
			src[i] = (byte) (i * 7);
		}
		gm.write(boundary - 5000, src, 0, src.length);
		byte[] back = new byte[src.length];
		gm.read(boundary - 5000, back, 0, back.length);
		assertArrayEquals(src, back);
		assertEquals(src[5000], host.read8(hpa(boundary)));
		gm.zero(boundary - 16, 32);
		assertEquals(0, gm.read64(boundary - 8));
		assertEquals(0, gm.read64(boundary));
		assertEquals(src[4984 - 1], gm.read8(boundary - 17));
	}

	@Test
	void everythingOutsideRamAborts() {
		long[] bad = { VirtMemoryMap.RAM_BASE - 8, VirtMemoryMap.GITS_TRANSLATER, VirtMemoryMap.PLATFORM_BUS, ram.end(), 1L << 40, -8, 0,
				Long.MAX_VALUE - 3 };
		for (long gpa : bad) {
			MemoryAbort a = assertThrows(MemoryAbort.class, () -> gm.read64(gpa), Long.toHexString(gpa));
			assertEquals(gpa, a.address());
			assertThrows(MemoryAbort.class, () -> gm.write32(gpa, 1));
			assertThrows(MemoryAbort.class, () -> gm.read8(gpa));
		}
		assertThrows(MemoryAbort.class, () -> gm.read64(ram.end() - 4), "partly beyond RAM");
		assertThrows(MemoryAbort.class, () -> gm.write(ram.end() - 4, new byte[8], 0, 8));
		assertEquals(0, gm.read32(ram.end() - 4), "nothing was written by the faulting access");
		assertThrows(MemoryAbort.class, () -> gm.zero(VirtMemoryMap.RAM_BASE - 4096, 8192));
		assertEquals(-1, gm.hostPa(VirtMemoryMap.RAM_BASE - 1));
		assertEquals(-1, ram.userVa(ram.end()));
	}

	@Test
	void ramTheVmmUnmapsOrMakesReadOnlyAborts() {
		long gpa = VirtMemoryMap.RAM_BASE + 0x40_0000;
		gm.write64(gpa, 5);
		long h = hpa(gpa);
		vmm.map(VA + 0x40_0000, 0x1000, h, false);
		assertEquals(5, gm.read64(gpa));
		assertThrows(MemoryAbort.class, () -> gm.write64(gpa, 6));
		vmm.unmap(VA + 0x40_0000, 0x1000);
		assertThrows(MemoryAbort.class, () -> gm.read64(gpa));
		assertEquals(-1, gm.hostPa(gpa));
		assertEquals(0, gm.read64(gpa + 0x1000), "the next page is still there");
		assertEquals(SIZE - 0x1000, gm.backedBytes());
	}

	@Test
	void pageAllocatorAllocatesZeroedGuestPagesInItsWindow() {
		long off = 16L << 20, len = 8L << 20;
		FrameAllocator pages = ram.pageAllocator(off, len);
		assertEquals(VirtMemoryMap.RAM_BASE + off, pages.base());
		gm.write64(VirtMemoryMap.RAM_BASE + off, -1L);
		long a = pages.allocate(0x2000);
		assertTrue(a >= VirtMemoryMap.RAM_BASE + off && a + 0x2000 <= VirtMemoryMap.RAM_BASE + off + len);
		assertEquals(0, gm.read64(a), "zeroed through the guest memory");
		assertEquals(0, host.read64(hpa(a)));
		assertThrows(IllegalArgumentException.class, () -> ram.pageAllocator(SIZE - 0x1000, 0x2000));
		assertThrows(IllegalArgumentException.class, () -> ram.pageAllocator(-0x1000, 0x2000));
	}

	@Test
	void releaseReturnsTheHostPagesAndOutOfHostMemoryLeavesNothing() {
		ram.release();
		assertEquals(0x3000, hostPages.allocatedBytes());
		assertThrows(MemoryAbort.class, () -> gm.read64(VirtMemoryMap.RAM_BASE));
		FrameAllocator small = new FrameAllocator(host, 1L << 40, (1L << 40) + (8L << 20));
		assertThrows(IllegalStateException.class, () -> new GuestRam(new VmmAddressSpace(host), small, VA, 16L << 20));
		assertEquals(0, small.allocatedBytes());
		assertThrows(IllegalArgumentException.class, () -> new GuestRam(vmm, hostPages, VA + 0x1000, 2L << 20));
		assertThrows(IllegalArgumentException.class, () -> new GuestRam(vmm, hostPages, VA, 3L << 20));
	}

	@Test
	void virtMemoryMap() {
		assertEquals(0x0c00_0000L, VirtMemoryMap.smmuMmio(0));
		assertEquals(0x0c02_0000L, VirtMemoryMap.smmuMmio(1));
		assertEquals(112, VirtMemoryMap.smmuFirstSpi(0));
		assertEquals(116, VirtMemoryMap.smmuFirstSpi(1));
		assertThrows(IllegalArgumentException.class, () -> VirtMemoryMap.smmuFirstSpi(16));
		assertThrows(IllegalArgumentException.class, () -> VirtMemoryMap.smmuMmio(-1));
		assertTrue(VirtMemoryMap.inRmr(VirtMemoryMap.GITS_TRANSLATER, 4), "the ITS doorbell lies in the RMR window");
		assertTrue(!VirtMemoryMap.inRmr(VirtMemoryMap.RAM_BASE, 4));
	}
}
