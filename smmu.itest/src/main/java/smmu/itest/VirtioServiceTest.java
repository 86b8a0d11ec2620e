package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.osgi.test.common.annotation.InjectService;

import smmu.hw.HostPlatform;
import smmu.hw.PciFunction;
import smmu.iommufd.Iommufd;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.UserProcess;
import smmu.iommufd.VmmAddressSpace;
import smmu.vfio.VfioCdev;
import smmu.vfio.VfioCdevs;
import smmu.vfio.VfioIoctls;
import smmu.virtio.VirtioDevices;

/**
 * The VirtioDevices service puts a virtio-blk device into a host function's slot; a process (as real
 * QEMU is one) sees it through the function's vfio-pci device file: the IDs and the virtio capabilities
 * in config space, the common configuration in BAR 4 by pread/pwrite. Detaching gives the plain function back.
 */
class VirtioServiceTest {
	static final String BDF = "0000:02:00.1";
	static final long ARG = 0x7e00_0000_0000L, ARG_PA = 0x3_2000_0000L;

	@InjectService
	HostPlatform host;

	@InjectService
	Iommufd iommufd;

	@InjectService
	VfioCdevs cdevs;

	@InjectService
	VirtioDevices virtio;

	@Test
	void aVirtioBlkFunctionAnswersThroughItsDeviceFile() throws Exception {
		Path image = Files.createTempFile("virtio", ".img");
		Files.write(image, new byte[1 << 20]);
		virtio.attach(BDF, "virtio-blk", image);
		VmmAddressSpace mm = new VmmAddressSpace(host.memory());
		mm.map(ARG, 0x1000, ARG_PA, true);
		IommufdContext ctx = iommufd.open(new VmmAddressSpace(), false);
		Map<Integer, Object> fds = Map.of(3, ctx);
		UserProcess proc = new TestProcess(mm, fds);
		VfioCdev dev = cdevs.open(BDF);
		try {
			mm.write(ARG, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 16).putInt(8, 3).array());
			dev.ioctl(VfioIoctls.VFIO_DEVICE_BIND_IOMMUFD, ARG, proc);
			long config = VfioIoctls.regionOffset(7), bar4 = VfioIoctls.regionOffset(4);
			assertEquals(0x1042_1af4, le(dev, config, 4));
			// the first capability is virtio's common configuration in BAR 4 at 0
			int cap = (int) le(dev, config + PciFunction.CAPABILITY_LIST, 1);
			assertEquals(0x09, le(dev, config + cap, 1));
			assertEquals(1, le(dev, config + cap + 3, 1), "cfg_type common");
			assertEquals(4, le(dev, config + cap + 4, 1), "bar");
			dev.pwrite(config + PciFunction.COMMAND, new byte[] { PciFunction.COMMAND_MEMORY | PciFunction.COMMAND_MASTER, 0 });
			dev.pwrite(bar4, new byte[] { 1, 0, 0, 0 }); // device_feature_select = 1
			assertEquals(3, le(dev, bar4 + 4, 4), "VERSION_1 | ACCESS_PLATFORM");
			assertEquals(1, le(dev, bar4 + 0x12, 2), "num_queues");
			assertEquals(2048, le(dev, bar4 + 0x2000, 8), "capacity in sectors");
		} finally {
			dev.close();
			ctx.close();
			assertTrue(virtio.detach(BDF));
			Files.delete(image);
		}
		assertFalse(virtio.device(BDF).isPresent());
		assertEquals(0x0005, host.function(BDF).orElseThrow().readConfig(2, 2), "the plain function is back");
	}

	private static long le(VfioCdev dev, long offset, int size) {
		byte[] b = new byte[size];
		assertEquals(size, dev.pread(offset, b));
		long v = 0;
		for (int i = 0; i < size; i++) {
			v |= (b[i] & 0xffL) << (8 * i);
		}
		return v;
	}
}
