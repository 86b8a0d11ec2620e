package smmu.iommufd.impl;

import smmu.iommufd.testing.FakeProcess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

import smmu.hw.FileRegion;
import smmu.hw.FrameAllocator;
import smmu.hw.SparseMemory;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.arch.Ste;
import smmu.hw.driver.CdBuilder;
import smmu.hw.driver.IoPageTable;
import smmu.hw.driver.Prot;
import smmu.hw.driver.SteBuilder;
import smmu.iommufd.Errno;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IoasUnmap;
import smmu.iommufd.Ioctls;
import smmu.iommufd.VdeviceAlloc;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.arm.KernelMode;

/** IOMMU_IOAS_MAP_FILE and IOMMU_IOAS_CHANGE_PROCESS through the raw ioctl of a process with files. */
class MapFileTest extends DeviceFixture {
	static final long IPA_BASE = 0x4000_0000L, FILE_SIZE = 8L << 20;
	static final long DATA_IPA = 0x4060_0000L, GIOVA = 0x1234_5000L;
	static final int FIXED_RW = IoasMap.FIXED_IOVA | RW, VSID = 0x42;

	@TempDir
	Path dir;
	Path file;
	FakeProcess proc;
	int fd;
	int d0, ioas;

	@BeforeEach
	void setUp() throws IOException {
		boot(KernelMode.PER_SMMU);
		file = dir.resolve("guest-ram");
		try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
			f.setLength(FILE_SIZE);
		}
		proc = new FakeProcess(mm);
		fd = proc.open(file);
		d0 = ctx.bindDevice(BDF0);
		ioas = ioas();
	}

	/** Writes struct iommu_ioas_map_file at SCRATCH; returns it. */
	ByteBuffer mapFileStruct(int flags, int ioasId, int fileFd, long start, long length, long iova) {
		ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
		b.putInt(0, 40).putInt(4, flags).putInt(8, ioasId).putInt(12, fileFd).putLong(16, start).putLong(24, length).putLong(32, iova);
		mm.write(SCRATCH, b.array());
		return b;
	}

	long mapFile(int flags, long start, long length, long iova) {
		mapFileStruct(flags, ioas, fd, start, length, iova);
		ctx.ioctl(Ioctls.IOMMU_IOAS_MAP_FILE, SCRATCH, proc);
		return ByteBuffer.wrap(get(SCRATCH + 32, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
	}

	long fileLong(long offset) throws IOException {
		try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
			ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
			ch.read(b, offset);
			return b.getLong(0);
		}
	}

	void putFileLong(long offset, long v) throws IOException {
		try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
			ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v), offset);
		}
	}

	@Test
	void deviceDmaLandsInTheFileAndTheFileIsWhatTheDeviceReads() throws IOException {
		ctx.attachDevice(d0, ioas);
		assertEquals(IPA_BASE, mapFile(FIXED_RW, 0x20_0000, 0x40_0000, IPA_BASE));
		long pa = translate(smmu(0), SID0, IPA_BASE + 0x1_2340);
		assertTrue(pa >= hw.physical.fileBase(), "file pages are host physical memory in the file window");
		FileRegion region = hw.physical.regions().get(0);
		assertEquals(region.pa(0x20_0000 + 0x1_2340), pa);
		assertEquals(1, region.holders());
		// the device writes guest RAM: the bytes are in the file (MAP_SHARED)
		hw.physical.write64(pa, 0x1122_3344_5566_7788L);
		assertEquals(0x1122_3344_5566_7788L, fileLong(0x20_0000 + 0x1_2340));
		// another process writes the file: the device reads it
		putFileLong(0x20_0000 + 0x3_0000, 0xcafe_f00dL);
		assertEquals(0xcafe_f00dL, hw.physical.read64(translate(smmu(0), SID0, IPA_BASE + 0x3_0000)));
		assertEquals(1024, ctx.pinnedPages());
		assertTrue(ctx.objects().toString().contains("IOAS"));
		// unmapping unpins: the region leaves host memory and the IOVA faults
		ctx.ioasUnmap(new IoasUnmap(ioas, 0, IoasUnmap.ALL));
		assertTrue(hw.physical.regions().isEmpty());
		assertEquals(0, region.holders());
		aborts(smmu(0), SID0, IPA_BASE);
		assertEquals(FILE_SIZE, Files.size(file), "the file never grows");
	}

	@Test
	void withoutFixedIovaTheKernelPicksOneAlignedAsTheFileOffset() {
		ctx.attachDevice(d0, ioas);
		long iova = mapFile(RW, 0x20_0000, 0x40_0000, 0);
		assertTrue(iova != 0 && iova % 0x20_0000 == 0, Long.toHexString(iova));
		assertEquals(iova, ByteBuffer.wrap(get(SCRATCH + 32, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong());
		long pa = translate(smmu(0), SID0, iova);
		assertEquals(hw.physical.regions().get(0).pa(0x20_0000), pa);
		assertEquals(0, (pa - hw.physical.fileBase()) % 0x20_0000, "a 2 MiB block of the file stays a block of host memory");
	}

	@Test
	void twoMapsOfTheSameFilePagesShareTheHostPages() {
		ctx.attachDevice(d0, ioas);
		mapFile(FIXED_RW, 0, FILE_SIZE, IPA_BASE);
		int other = ioas();
		mapFileStruct(FIXED_RW, other, fd, 0x10_0000, 0x1000, 0x1000_0000L);
		ctx.ioctl(Ioctls.IOMMU_IOAS_MAP_FILE, SCRATCH, proc);
		assertEquals(1, hw.physical.regions().size(), "the page cache holds a file page once");
		assertEquals(2, hw.physical.regions().get(0).holders());
	}

	@Test
	void mapFileErrnosInLinuxOrderChangeNothing() {
		ctx.attachDevice(d0, ioas);
		mapFile(FIXED_RW, 0, 0x10_0000, IPA_BASE);
		// size rules
		mm.write(SCRATCH, mapFileStruct(FIXED_RW, ioas, fd, 0, 0x1000, 0).putInt(0, 36).array());
		fails(Errno.EINVAL, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_MAP_FILE, SCRATCH, proc));
		mm.write(SCRATCH, mapFileStruct(FIXED_RW, ioas, fd, 0, 0x1000, 0).putInt(0, 48).array());
		mm.write(SCRATCH + 40, new byte[] { 0, 0, 1, 0, 0, 0, 0, 0 });
		fails(Errno.E2BIG, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_MAP_FILE, SCRATCH, proc));
		mm.write(SCRATCH + 40, new byte[8]);
		// iommufd_ioas_map_file's own checks, then iopt_alloc_file_pages and iopt_map_pages
		expect(Errno.EOPNOTSUPP, FIXED_RW | 1 << 3, ioas, fd, 0, 0x1000, 0x5000_0000L);
		expect(Errno.EOVERFLOW, FIXED_RW, ioas, fd, 0, 0x1000, -1L);
		expect(Errno.EOVERFLOW, FIXED_RW, ioas, fd, 0, -1L, 0x5000_0000L);
		expect(Errno.EINVAL, IoasMap.FIXED_IOVA, ioas, fd, 0, 0x1000, 0x5000_0000L);
		expect(Errno.ENOENT, FIXED_RW, 99, fd, 0, 0x1000, 0x5000_0000L);
		expect(Errno.EBADF, FIXED_RW, ioas, 99, 0, 0x1000, 0x5000_0000L);
		int efd = proc.eventfd();
		expect(Errno.EINVAL, FIXED_RW, ioas, efd, 0, 0x1000, 0x5000_0000L);
		expect(Errno.EOVERFLOW, FIXED_RW, ioas, efd, -0x1000L, 0x2000, 0x5000_0000L);
		expect(Errno.EEXIST, FIXED_RW, ioas, efd, 0, 0x1000, IPA_BASE);
		expect(Errno.EOVERFLOW, FIXED_RW, ioas, fd, -0x1000L, 0x2000, 0x5000_0000L);
		expect(Errno.EINVAL, FIXED_RW, ioas, fd, 0, 0, 0x5000_0000L);
		expect(Errno.EINVAL, FIXED_RW, ioas, fd, FILE_SIZE - 0x1000, 0x2000, 0x5000_0000L);
		expect(Errno.EINVAL, FIXED_RW, ioas, fd, 0, 0x1000, 0x5000_0800L);
		expect(Errno.EINVAL, FIXED_RW, ioas, fd, 0x800, 0x1000, 0x5000_0000L);
		expect(Errno.EEXIST, FIXED_RW, ioas, fd, 0, 0x1000, IPA_BASE + 0xf_f000);
		assertEquals(1, hw.physical.regions().size());
		assertEquals(1, hw.physical.regions().get(0).holders(), "a failed map holds nothing");
		// a process without files (the model's own VMMs)
		mapFileStruct(FIXED_RW, ioas, fd, 0, 0x1000, 0x5000_0000L);
		fails(Errno.EBADF, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_MAP_FILE, SCRATCH));
	}

	void expect(Errno errno, int flags, int ioasId, int fileFd, long start, long length, long iova) {
		mapFileStruct(flags, ioasId, fileFd, start, length, iova);
		fails(errno, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_MAP_FILE, SCRATCH, proc));
	}

	@Test
	void changeProcessMovesOnlyFilePages() {
		ByteBuffer cp = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 8);
		mm.write(SCRATCH, cp.array());
		ctx.ioctl(Ioctls.IOMMU_IOAS_CHANGE_PROCESS, SCRATCH, proc);
		mapFile(FIXED_RW, 0, 0x10_0000, IPA_BASE);
		mm.write(SCRATCH, cp.array());
		ctx.ioctl(Ioctls.IOMMU_IOAS_CHANGE_PROCESS, SCRATCH, proc);
		mm.write(SCRATCH, cp.putInt(4, 1).array());
		fails(Errno.EOPNOTSUPP, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_CHANGE_PROCESS, SCRATCH, proc));
		mm.write(SCRATCH, cp.putInt(4, 0).putInt(0, 4).array());
		fails(Errno.EINVAL, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_CHANGE_PROCESS, SCRATCH, proc));
		mm.write(SCRATCH, cp.putInt(0, 16).putInt(12, 1).array());
		fails(Errno.E2BIG, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_CHANGE_PROCESS, SCRATCH, proc));
		// user-VA pages belong to the address space that pinned them
		map(ioas(), VA, 0x1000, 0x1000);
		mm.write(SCRATCH, cp.putInt(0, 8).putInt(12, 0).array());
		fails(Errno.EINVAL, () -> ctx.ioctl(Ioctls.IOMMU_IOAS_CHANGE_PROCESS, SCRATCH, proc));
	}

	/**
	 * Real QEMU's order: the guest's RAM is the file, its stage-1 tables and CD are written there by
	 * the guest (here with plain file IO), the nest parent maps the file at the guest's IPA; the
	 * physical SMMU's nested walk reads the guest's tables from the file and the device's DMA lands
	 * in the guest page.
	 */
	@Test
	void nestedWalkReadsTheGuestsTablesFromTheFile() throws IOException {
		// the guest builds its tables in its RAM image
		SparseMemory image = new SparseMemory(48);
		FrameAllocator galloc = new FrameAllocator(image, IPA_BASE, IPA_BASE + (4 << 20));
		int rwc = Prot.READ | Prot.WRITE | Prot.CACHE;
		IoPageTable gpt = IoPageTable.allocate(IoPageTable.Config.s1(IoPageTable.SZ_4K, 48, 48), galloc);
		gpt.map(GIOVA, DATA_IPA, 0x2000, rwc);
		long cdIpa = galloc.allocate(64, 64);
		long[] cd = CdBuilder.s1(gpt, 5, false);
		for (int i = 0; i < cd.length; i++) {
			image.write64(cdIpa + 8L * i, cd[i]);
		}
		writeImage(image);
		// QEMU: nest parent on the IOAS, guest RAM by MAP_FILE, vIOMMU, vDEVICE, nested HWPT from the guest STE
		int np = paging(HwptAlloc.NEST_PARENT, d0, ioas);
		ctx.attachDevice(d0, np);
		mapFile(FIXED_RW, 0, FILE_SIZE, IPA_BASE);
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d0, np)).outViommuId();
		ctx.vdeviceAlloc(VdeviceAlloc.request(v, d0, VSID));
		long[] ste = SteBuilder.cdTable(cdIpa, Ste.S1FMT_LINEAR, 0, Ste.S1DSS_SSID0, false, false, false, false);
		put(SCRATCH + 0x100, ste[0], ste[1]);
		int nested = ctx.hwptAlloc(HwptAlloc.nestedArm(d0, v, SCRATCH + 0x100)).outHwptId();
		ctx.attachDevice(d0, nested);

		FileRegion ram = hw.physical.regions().get(0);
		long pa = translate(smmu(0), SID0, GIOVA + 0x18);
		assertEquals(ram.pa(DATA_IPA - IPA_BASE + 0x18), pa);
		hw.physical.write64(pa, 0xabcdL);
		assertEquals(0xabcdL, fileLong(DATA_IPA - IPA_BASE + 0x18));
		// the guest maps another page (writes its live table in the file): the walk sees it at once
		gpt.map(GIOVA + 0x4000, DATA_IPA + 0x8000, 0x1000, rwc);
		writeImage(image);
		TranslationResult r = smmu(0).walk(TranslationRequest.read(SID0, GIOVA + 0x4000)).result();
		assertEquals(ram.pa(DATA_IPA - IPA_BASE + 0x8000), ((TranslationResult.Translated) r).pa());
	}

	/** The guest's RAM image [IPA_BASE, + 4 MiB) into the file, with plain file IO. */
	void writeImage(SparseMemory image) throws IOException {
		byte[] bytes = new byte[4 << 20];
		image.read(IPA_BASE, bytes, 0, bytes.length);
		try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
			ch.write(ByteBuffer.wrap(bytes), 0);
		}
	}

	@Test
	void closingTheContextUnpinsTheFile() {
		ctx.attachDevice(d0, ioas);
		mapFile(FIXED_RW, 0, FILE_SIZE, IPA_BASE);
		assertFalse(hw.physical.regions().isEmpty());
		ctx.close();
		assertTrue(hw.physical.regions().isEmpty());
	}
}
