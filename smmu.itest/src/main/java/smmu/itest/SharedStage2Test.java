package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import smmu.hw.EventType;
import smmu.hw.FrameAllocator;
import smmu.hw.HostPlatform;
import smmu.hw.Smmu;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Translated;
import smmu.hw.arch.Ste;
import smmu.hw.driver.CdBuilder;
import smmu.hw.driver.Commands;
import smmu.hw.driver.IoPageTable;
import smmu.hw.driver.Prot;
import smmu.hw.driver.SteBuilder;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.HwptInvalidate;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IoasUnmap;
import smmu.iommufd.Iommufd;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.Vevent;
import smmu.iommufd.VdeviceAlloc;
import smmu.iommufd.VeventqAlloc;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.VmmAddressSpace;

/**
 * hw and iommufd wired in Felix on a host reconfigured (Config Admin) to four physical SMMUs: one
 * nest-parent HWPT shared by devices behind all four (the share-domain kernel), a vIOMMU and a nested
 * HWPT per guest STE on each, guest DMA translated through both stages, and a guest fault reaching the
 * vEVENTQ with the vSID.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SharedStage2Test {
	static final long VA = 0x7f00_0000_0000L, GPA = 0x4000_0000L, RAM = 64L << 20;
	static final int RW = Prot.READ | Prot.WRITE | Prot.CACHE;

	@InjectBundleContext
	BundleContext context;

	@InjectService
	ConfigurationAdmin cm;

	HostPlatform host;
	Iommufd iommufd;

	@BeforeAll
	void fourSmmus() throws Exception {
		long before = Platform.newestId(context, Iommufd.class);
		Platform.configure(cm, "smmu.host", "smmus", new String[] { "smmu0@0x2b400000", "smmu1@0x2b500000", "smmu2@0x2b600000", "smmu3@0x2b700000" },
				"endpoints", new String[] { "0000:01:00.0@smmu0:0x100", "0000:02:00.0@smmu1:0x200", "0000:03:00.0@smmu2:0x300",
						"0000:04:00.0@smmu3:0x400" });
		host = Platform.await(context, HostPlatform.class, h -> h.smmus().size() == 4);
		iommufd = Platform.awaitNewer(context, Iommufd.class, before);
	}

	@AfterAll
	void defaultHost() throws Exception {
		Platform.reset(cm, "smmu.host");
		Platform.await(context, HostPlatform.class, h -> h.smmus().size() == 2);
	}

	@Test
	void aNestParentSharedByFourSmmusNestedGuestStage1AndEventsToTheVeventq() throws Exception {
		VmmAddressSpace mm = new VmmAddressSpace(host.memory());
		long ramPa = host.allocator().allocate(RAM, 2 << 20);
		mm.map(VA, RAM, ramPa, true);
		try (IommufdContext ctx = iommufd.open(mm, false)) {
			int ioas = ctx.ioasAlloc(IoasAlloc.request()).outIoasId();
			ctx.ioasMap(new IoasMap(IoasMap.FIXED_IOVA | IoasMap.READABLE | IoasMap.WRITEABLE, ioas, VA, RAM, GPA));
			List<Integer> devs = new ArrayList<>();
			for (int i = 1; i <= 4; i++) {
				devs.add(ctx.bindDevice(String.format("0000:%02x:00.0", i)));
			}
			int s2 = ctx.hwptAlloc(HwptAlloc.paging(HwptAlloc.NEST_PARENT, devs.get(0), ioas)).outHwptId();
			for (int d : devs) {
				assertEquals(s2, ctx.attachDevice(d, s2));
			}
			// one stage-2 table, four VMIDs: each SMMU's STE carries its own tag
			Set<Long> vmids = new HashSet<>();
			for (int i = 0; i < 4; i++) {
				Smmu smmu = host.smmus().get(i);
				long[] ste = smmu.readSte(0x100 * (i + 1)).words();
				assertEquals(Ste.CFG_S2_TRANS, Ste.CONFIG.get(ste));
				assertNotEquals(0L, Ste.S2VMID.get(ste), "a VMID from " + smmu.id() + "'s own allocator");
				vmids.add(Ste.S2VMID.get(ste));
				assertEquals(ramPa + 0x1234, pa(smmu, 0x100 * (i + 1), GPA + 0x1234));
			}
			assertEquals(1, vmids.size(), "each SMMU's first VMID: the tags are per SMMU, not shared values");

			// the guest: on each vSMMU a device with its own stage 1 in guest RAM, at GPAs
			GuestRam guest = new GuestRam(host.memory(), GPA, ramPa, RAM);
			FrameAllocator guestPages = new FrameAllocator(guest, GPA + (32L << 20), GPA + RAM);
			long buffer = guestPages.allocate(4096, 4096);
			int[] viommus = new int[4];
			for (int i = 0; i < 4; i++) {
				int dev = devs.get(i);
				viommus[i] = ctx.viommuAlloc(ViommuAlloc.arm(dev, s2)).outViommuId();
				ctx.vdeviceAlloc(VdeviceAlloc.request(viommus[i], dev, 0x8 + i));
				IoPageTable s1 = IoPageTable.allocate(IoPageTable.Config.s1(4096, 48, 44), guestPages);
				s1.map(0x1_0000_0000L, buffer, 4096, RW);
				long cd = guestPages.allocate(64, 64);
				long[] words = CdBuilder.s1(s1, 1, false);
				for (int w = 0; w < words.length; w++) {
					guest.write64(cd + 8L * w, words[w]);
				}
				long[] vste = SteBuilder.cdTable(cd, Ste.S1FMT_LINEAR, 0, Ste.S1DSS_SSID0, false, false, false, false);
				long uptr = VA + RAM - 4096;
				mm.write(uptr, le(vste[0], vste[1]));
				int nested = ctx.hwptAlloc(HwptAlloc.nestedArm(dev, viommus[i], uptr)).outHwptId();
				ctx.attachDevice(dev, nested);
				assertEquals(ramPa + (buffer - GPA) + 0x40, pa(host.smmus().get(i), 0x100 * (i + 1), 0x1_0000_0040L));
			}

			// guest fault on smmu2's device: its vEVENTQ gets the record with the vSID
			int q = ctx.veventqAlloc(VeventqAlloc.arm(viommus[2], 16)).outVeventqId();
			Aborted a = assertInstanceOf(Aborted.class, host.smmus().get(2).translate(TranslationRequest.read(0x300, 0x2_0000_0000L)));
			assertEquals(EventType.F_TRANSLATION, a.event().type());
			List<Vevent> got = new ArrayList<>();
			long deadline = System.nanoTime() + 5_000_000_000L;
			while (got.isEmpty() && System.nanoTime() < deadline) {
				got.addAll(ctx.veventqRead(q, 4096));
				Thread.sleep(10);
			}
			assertEquals(1, got.size(), got::toString);
			assertEquals(0xa, got.get(0).evt()[0] >>> 32, "the vSID replaces the physical SID");
			assertEquals(EventType.F_TRANSLATION.code(), (int) (got.get(0).evt()[0] & 0xff));

			// guest invalidation through the vIOMMU, with the vSMMU's VMID rewritten by the kernel
			long before = host.smmus().get(2).stats().commands().getOrDefault("TLBI_NH_VA", 0L);
			long[] inv = Commands.tlbiNhVa(0, 1, 0x1_0000_0000L, true);
			mm.write(VA + RAM - 4096, le(inv[0], inv[1]));
			assertEquals(1, ctx.hwptInvalidate(new HwptInvalidate(viommus[2], VA + RAM - 4096, HwptInvalidate.DATA_ARM_SMMUV3, 16, 1)).entryNum());
			assertEquals(before + 1, host.smmus().get(2).stats().commands().getOrDefault("TLBI_NH_VA", 0L));

			// host unmap of guest RAM: every SMMU is invalidated and faults at stage 2
			ctx.ioasUnmap(new IoasUnmap(ioas, GPA, RAM));
			for (int i = 0; i < 4; i++) {
				Aborted s2fault = assertInstanceOf(Aborted.class, host.smmus().get(i).translate(TranslationRequest.read(0x100 * (i + 1), 0x1_0000_0040L)));
				assertTrue(s2fault.event() == null || s2fault.event().s2() || s2fault.event().type() == EventType.F_TRANSLATION, s2fault.toString());
				assertNotEquals(0L, host.smmus().get(i).stats().commands().getOrDefault("TLBI_S2_IPA", 0L));
			}
		} finally {
			mm.unmap(VA, RAM);
		}
	}

	private static long pa(Smmu smmu, int sid, long iova) {
		return assertInstanceOf(Translated.class, smmu.translate(TranslationRequest.write(sid, iova))).pa();
	}

	private static byte[] le(long... words) {
		ByteBuffer b = ByteBuffer.allocate(8 * words.length).order(ByteOrder.LITTLE_ENDIAN);
		for (long w : words) {
			b.putLong(w);
		}
		return b.array();
	}
}
