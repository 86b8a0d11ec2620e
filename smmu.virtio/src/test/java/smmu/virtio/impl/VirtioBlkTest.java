package smmu.virtio.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.PciFunction;
import smmu.hw.Smmu;
import smmu.hw.driver.CdBuilder;
import smmu.hw.driver.CdTable;
import smmu.hw.driver.Commands;
import smmu.hw.driver.IoPageTable;
import smmu.hw.driver.Prot;
import smmu.hw.driver.SmmuDriver;
import smmu.hw.driver.SteBuilder;
import smmu.hw.testing.TestHost;
import smmu.virtio.VirtioDeviceInfo;

/**
 * A model of Linux's virtio-pci + virtio-blk driver drives the device through its function's config
 * space and BAR 4, with its rings and buffers mapped in a stage-1 table of the endpoint's physical SMMU:
 * the bytes the device moves are checked in memory and in the image file.
 */
class VirtioBlkTest {
	static final long RING = 0x1000_0000L, BUF = 0x2000_0000L, BUF_PAGES = 64;
	static final int QSIZE = 64;

	@TempDir
	Path dir;
	TestHost hw;
	SmmuDriver drv;
	Smmu smmu;
	VirtioDevicesComponent devices;
	PciFunction fn;
	IoPageTable s1;
	Path image;
	byte[] disk;
	long ringPa, bufPa;
	int avail, used, desc;

	@BeforeEach
	void setUp() throws IOException {
		hw = new TestHost(1, 1, UnaryOperator.identity());
		drv = hw.drivers.get("smmu0");
		smmu = hw.smmus.get(0);
		disk = new byte[1 << 20];
		new Random(8).nextBytes(disk);
		image = Files.write(dir.resolve("disk.img"), disk);
		devices = new VirtioDevicesComponent(hw, config());
		devices.attach(TestHost.bdf(0), "virtio-blk", image);
		fn = hw.function(TestHost.bdf(0)).orElseThrow();
		// the guest's DMA API: a stage-1 table with the ring page and the buffer pages, as dma_map does
		s1 = IoPageTable.allocate(IoPageTable.Config.s1(IoPageTable.SZ_4K, 48, 48), hw.allocator);
		ringPa = hw.userPages.allocate(0x4000, 0x1000);
		bufPa = hw.userPages.allocate(BUF_PAGES * 0x1000, 0x1000);
		s1.map(RING, ringPa, 0x4000, Prot.RW);
		s1.map(BUF, bufPa, BUF_PAGES * 0x1000, Prot.RW);
		CdTable cds = drv.allocCdTable(0);
		drv.writeCd(cds, 0, CdBuilder.s1(s1, 1, false), TestHost.sid(0));
		drv.writeSte(TestHost.sid(0), SteBuilder.cdTable(drv.features(), cds, 0, false, false));
	}

	@AfterEach
	void tearDown() {
		devices.deactivate();
	}

	static VirtioDevicesComponent.Config config() {
		return new VirtioDevicesComponent.Config() {
			@Override
			public Class<? extends java.lang.annotation.Annotation> annotationType() {
				return VirtioDevicesComponent.Config.class;
			}

			@Override
			public String[] devices() {
				return new String[0];
			}
		};
	}

	VirtioPciDevice device() throws Exception {
		var f = VirtioDevicesComponent.class.getDeclaredField("devices");
		f.setAccessible(true);
		return (VirtioPciDevice) ((java.util.Map<?, ?>) f.get(devices)).get(TestHost.bdf(0));
	}

	// ---- the model driver: vp_modern_probe, virtio_dev_probe, vring, virtblk requests

	int cap(int type) {
		for (int p = fn.readConfig(PciFunction.CAPABILITY_LIST, 1); p != 0; p = fn.readConfig(p + 1, 1)) {
			if (fn.readConfig(p, 1) == 0x09 && fn.readConfig(p + 3, 1) == type) {
				return p;
			}
		}
		return 0;
	}

	long common(int off, int size) {
		return fn.barRead(4, off, size);
	}

	void common(int off, int size, long v) {
		fn.barWrite(4, off, size, v);
	}

	void probe(long features) {
		fn.writeConfig(PciFunction.COMMAND, 2, PciFunction.COMMAND_MEMORY | PciFunction.COMMAND_MASTER);
		common(0x14, 1, 0); // reset
		common(0x14, 1, 1 | 2);
		common(0x08, 4, 0);
		common(0x0c, 4, features & 0xffffffffL);
		common(0x08, 4, 1);
		common(0x0c, 4, features >>> 32);
		common(0x14, 1, 1 | 2 | 8);
	}

	void setupQueue() {
		desc = 0;
		avail = 16 * QSIZE;
		used = 0x2000;
		common(0x16, 2, 0);
		common(0x18, 2, QSIZE);
		common(0x20, 4, RING + desc);
		common(0x24, 4, 0);
		common(0x28, 4, RING + avail);
		common(0x2c, 4, 0);
		common(0x30, 4, RING + used);
		common(0x34, 4, 0);
		common(0x1c, 2, 1);
		common(0x14, 1, 1 | 2 | 8 | 4);
	}

	int nextAvail, nextDesc;

	/** One request: header, data segments of {@code len} bytes each at {@code iovas}, status byte. */
	void submit(int type, long sector, long[] iovas, int len, boolean deviceWrites) {
		long hdr = BUF + (BUF_PAGES - 1) * 0x1000;
		ByteBuffer h = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(type).putInt(0).putLong(sector);
		hw.physical.write(bufPa + (BUF_PAGES - 1) * 0x1000, h.array(), 0, 16);
		int head = nextDesc % QSIZE;
		descriptor(hdr, 16, 0, true);
		for (long a : iovas) {
			descriptor(a, len, deviceWrites ? 2 : 0, true);
		}
		descriptor(hdr + 16, 1, 2, false);
		hw.physical.write16(ringPa + avail + 4 + 2 * (nextAvail % QSIZE), (short) head);
		nextAvail++;
		hw.physical.write16(ringPa + avail + 2, (short) nextAvail);
		fn.barWrite(4, 0x3000, 2, 0); // notify queue 0
	}

	void descriptor(long addr, int len, int flags, boolean next) {
		int i = nextDesc++ % QSIZE;
		ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(addr).putInt(len)
				.putShort((short) (flags | (next ? 1 : 0))).putShort((short) (nextDesc % QSIZE));
		hw.physical.write(ringPa + desc + 16L * i, d.array(), 0, 16);
	}

	int usedIdx() {
		return hw.physical.read16(ringPa + used + 2) & 0xffff;
	}

	int status() {
		return hw.physical.read8(bufPa + (BUF_PAGES - 1) * 0x1000 + 16) & 0xff;
	}

	@Test
	void configSpaceHasTheVirtioCapabilitiesAndNoMsi() {
		assertEquals(0x1af4, fn.readConfig(PciFunction.VENDOR_ID, 2));
		assertEquals(0x1042, fn.readConfig(PciFunction.VENDOR_ID + 2, 2));
		assertEquals(0, fn.capability(PciFunction.CAP_ID_MSIX));
		assertEquals(0, fn.capability(PciFunction.CAP_ID_MSI));
		assertEquals(1, fn.readConfig(PciFunction.INTERRUPT_PIN, 1));
		for (int type = 1; type <= 4; type++) {
			int p = cap(type);
			assertNotEquals(0, p, "virtio capability type " + type);
			assertEquals(4, fn.readConfig(p + 4, 1), "in BAR 4");
		}
		int n = cap(2);
		assertEquals(20, fn.readConfig(n + 2, 1));
		assertEquals(0x3000, fn.readConfig(n + 8, 4));
		assertEquals(4, fn.readConfig(n + 16, 4), "notify_off_multiplier");
		// BAR 4: 64-bit prefetchable, 16 KiB
		fn.writeConfig(PciFunction.BAR0 + 16, 4, -1);
		assertEquals(0xffffc00cL, fn.readConfig(PciFunction.BAR0 + 16, 4) & 0xffffffffL);
	}

	@Test
	void offersVersion1AndAccessPlatformAndRefusesDriversWithoutVersion1() {
		common(0x00, 4, 1);
		assertEquals(3, common(0x04, 4) & 3, "VERSION_1 and ACCESS_PLATFORM");
		probe(0); // a legacy driver: no VERSION_1
		assertEquals(0, common(0x14, 1) & 8, "FEATURES_OK refused");
		probe(VirtioPciDevice.F_VERSION_1 | VirtioPciDevice.F_ACCESS_PLATFORM);
		assertEquals(8, common(0x14, 1) & 8);
		assertEquals(0xffff, common(0x10, 2), "no MSI-X vector");
		assertEquals(1 << 20 >> 9, fn.barRead(4, 0x2000, 8), "capacity in sectors");
	}

	@Test
	void guestReadsTheWholeDiskAndWritesAPatternThroughTheSmmu() throws Exception {
		probe(VirtioPciDevice.F_VERSION_1 | VirtioPciDevice.F_ACCESS_PLATFORM);
		setupQueue();
		long walksBefore = smmu.stats().translations();
		int chunk = 16 * 4096;
		long[] pages = new long[16];
		for (int i = 0; i < 16; i++) {
			pages[i] = BUF + i * 4096L;
		}
		byte[] got = new byte[disk.length];
		for (int off = 0; off < disk.length; off += chunk) {
			submit(VirtioPciDevice.T_IN, off / 512, pages, 4096, true);
			device().drain();
			assertEquals(0, status());
			hw.physical.read(bufPa, got, off, chunk);
			// the interrupt: ISR bit 0, the line up until the ISR is read
			assertTrue(fn.intxAsserted());
			assertEquals(1, fn.barRead(4, 0x1000, 1));
			assertFalse(fn.intxAsserted());
		}
		assertArrayEquals(disk, got);
		assertEquals(disk.length / chunk, usedIdx());
		// a pattern written from the guest's buffers lands in the file
		byte[] pattern = new byte[chunk];
		for (int i = 0; i < chunk; i++) {
			pattern[i] = (byte) (i * 7 + 3);
		}
		hw.physical.write(bufPa, pattern, 0, chunk);
		submit(VirtioPciDevice.T_OUT, 100, pages, 4096, false);
		device().drain();
		assertEquals(0, status());
		byte[] file = Files.readAllBytes(image);
		assertArrayEquals(pattern, java.util.Arrays.copyOfRange(file, 100 * 512, 100 * 512 + chunk));
		VirtioDeviceInfo info = devices.device(TestHost.bdf(0)).orElseThrow();
		assertEquals(disk.length, info.bytesRead());
		assertEquals(chunk, info.bytesWritten());
		assertEquals(disk.length / chunk + 1, info.requests());
		// every page of data is one translation, plus the descriptors, the header, the status and the rings
		long perRequest = 16 + 18 + 1 + 1 + 4; // data pages, descriptors, header, status, avail idx/ring, used elem/idx, flags
		assertTrue(info.dmas() >= (disk.length / 4096) + info.requests() * 18, "dmas " + info.dmas());
		assertTrue(info.dmas() <= info.requests() * (perRequest + 4), "dmas " + info.dmas());
		assertEquals(info.dmas(), smmu.stats().translations() - walksBefore, "each DMA is one SMMU translation");
	}

	@Test
	void aDmaToAnUnmappedIovaIsAnSmmuEventAndStopsTheDevice() throws Exception {
		probe(VirtioPciDevice.F_VERSION_1 | VirtioPciDevice.F_ACCESS_PLATFORM);
		setupQueue();
		drv.drainEvents();
		long unmapped = 0x3000_0000L;
		submit(VirtioPciDevice.T_IN, 0, new long[] { unmapped }, 512, true);
		device().drain();
		List<Event> events = drv.drainEvents();
		assertEquals(1, events.size(), events.toString());
		Event e = events.get(0);
		assertEquals(EventType.F_TRANSLATION, e.type());
		assertEquals(TestHost.sid(0), e.sid());
		assertEquals(unmapped, e.address());
		assertFalse(e.read(), "the device writes the data it read from the disk");
		VirtioDeviceInfo info = devices.device(TestHost.bdf(0)).orElseThrow();
		assertEquals(0x40, info.status() & 0x40, "DEVICE_NEEDS_RESET");
		assertEquals(1, info.dmaFaults());
		assertEquals(0, usedIdx(), "nothing completed");
		assertEquals(2, fn.barRead(4, 0x1000, 1), "a configuration-change interrupt");
		// the driver resets the device; it works again
		common(0x14, 1, 0);
		assertEquals(0, common(0x14, 1));
	}

	@Test
	void getIdWritesTheSerialIntoTheDataBufferAndUnknownTypesAreUnsupported() throws Exception {
		probe(VirtioPciDevice.F_VERSION_1 | VirtioPciDevice.F_ACCESS_PLATFORM);
		setupQueue();
		submit(VirtioPciDevice.T_GET_ID, 0, new long[] { BUF }, 20, true);
		device().drain();
		assertEquals(0, status());
		byte[] id = new byte[17];
		hw.physical.read(bufPa, id, 0, id.length);
		assertEquals("smmu-0000-01-00.0", new String(id, java.nio.charset.StandardCharsets.US_ASCII));
		submit(11, 0, new long[] { BUF }, 512, true); // VIRTIO_BLK_T_DISCARD: not offered
		device().drain();
		assertEquals(VirtioPciDevice.S_UNSUPP, status());
		assertEquals(2, usedIdx());
	}

	@Test
	void withoutBusMasterTheDeviceDoesNoDma() throws Exception {
		probe(VirtioPciDevice.F_VERSION_1 | VirtioPciDevice.F_ACCESS_PLATFORM);
		setupQueue();
		fn.writeConfig(PciFunction.COMMAND, 2, PciFunction.COMMAND_MEMORY);
		long before = smmu.stats().translations();
		submit(VirtioPciDevice.T_IN, 0, new long[] { BUF }, 512, true);
		device().drain();
		assertEquals(before, smmu.stats().translations());
		assertEquals(0, usedIdx());
	}

	@Test
	void badAttachesAreRefusedWithAReason() {
		assertThrows(IllegalArgumentException.class, () -> devices.attach("0000:09:00.0", "virtio-blk", image));
		assertThrows(IllegalArgumentException.class, () -> devices.attach(TestHost.bdf(0), "virtio-blk", image));
		assertThrows(IllegalArgumentException.class, () -> devices.attach(TestHost.bdf(0), "virtio-gpu", image));
		assertTrue(devices.detach(TestHost.bdf(0)));
		assertThrows(IllegalArgumentException.class, () -> devices.attach(TestHost.bdf(0), "virtio-blk", dir.resolve("none")));
		assertEquals(0x0005, hw.function(TestHost.bdf(0)).orElseThrow().readConfig(2, 2), "the plain function is back");
	}
}
