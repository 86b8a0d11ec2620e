package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.osgi.test.common.annotation.InjectService;

import smmu.hw.HostPlatform;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult.Translated;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IoasMap;
import smmu.iommufd.Ioctls;
import smmu.iommufd.Iommufd;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.UserProcess;
import smmu.iommufd.VmmAddressSpace;
import smmu.vfio.VfioCdev;
import smmu.vfio.VfioCdevs;
import smmu.vfio.VfioIoctls;

/**
 * A process as real QEMU is one: its iommufd and the vfio-pci device file of a host function, guest
 * RAM from a file mapped with IOAS_MAP_FILE; the device's DMA lands in the file.
 */
class VfioCdevServiceTest {
	static final long ARG = 0x7e00_0000_0000L, ARG_PA = 0x3_1000_0000L, GPA = 0x4000_0000L;

	@InjectService
	HostPlatform host;

	@InjectService
	Iommufd iommufd;

	@InjectService
	VfioCdevs cdevs;

	@Test
	void deviceDmaThroughTheDeviceFileLandsInTheGuestRamFile() throws Exception {
		Path ram = Files.createTempFile("guest-ram", ".img");
		try (RandomAccessFile f = new RandomAccessFile(ram.toFile(), "rw")) {
			f.setLength(2 << 20);
		}
		VmmAddressSpace mm = new VmmAddressSpace(host.memory());
		mm.map(ARG, 0x1000, ARG_PA, true);
		IommufdContext ctx = iommufd.open(new VmmAddressSpace(), false);
		Map<Integer, Object> fds = Map.of(3, ctx, 4, ram);
		UserProcess proc = new TestProcess(mm, fds);
		VfioCdev dev = cdevs.open("0000:02:00.0");
		try {
			ByteBuffer bind = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 16).putInt(8, 3);
			mm.write(ARG, bind.array());
			dev.ioctl(VfioIoctls.VFIO_DEVICE_BIND_IOMMUFD, ARG, proc);
			assertTrue(iommufd.isBound("0000:02:00.0"));
			int ioas = ctx.ioasAlloc(IoasAlloc.request()).outIoasId();
			mm.write(ARG, ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 12).putInt(8, ioas).array());
			dev.ioctl(VfioIoctls.VFIO_DEVICE_ATTACH_IOMMUFD_PT, ARG, proc);
			ByteBuffer map = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 40)
					.putInt(4, IoasMap.FIXED_IOVA | IoasMap.READABLE | IoasMap.WRITEABLE).putInt(8, ioas).putInt(12, 4).putLong(16, 0)
					.putLong(24, 2 << 20).putLong(32, GPA);
			mm.write(ARG, map.array());
			ctx.ioctl(Ioctls.IOMMU_IOAS_MAP_FILE, ARG, proc);
			Translated t = assertInstanceOf(Translated.class,
					host.smmu("smmu1").orElseThrow().translate(TranslationRequest.write(0x200, GPA + 0x1_2340)));
			host.memory().write64(t.pa(), 0x5eed_5eedL);
			try (FileChannel ch = FileChannel.open(ram)) {
				ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
				ch.read(b, 0x1_2340);
				assertEquals(0x5eed_5eedL, b.getLong(0));
			}
		} finally {
			dev.close();
			ctx.close();
			Files.delete(ram);
		}
		assertFalse(iommufd.isBound("0000:02:00.0"));
	}
}
