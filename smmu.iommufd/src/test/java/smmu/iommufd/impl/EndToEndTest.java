package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.FrameAllocator;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Ste;
import smmu.hw.driver.CdBuilder;
import smmu.hw.driver.Commands;
import smmu.hw.driver.IoPageTable;
import smmu.hw.driver.Prot;
import smmu.hw.driver.SteBuilder;
import smmu.iommufd.Errno;
import smmu.iommufd.HwInfo;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.HwptInvalidate;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.ObjectType;
import smmu.iommufd.VdeviceAlloc;
import smmu.iommufd.Vevent;
import smmu.iommufd.VeventqAlloc;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.arm.GuestMemory;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.arm.Master;

/**
 * A VMM as QEMU's accelerated vSMMU drives the uAPI, through the hardware: two devices behind two
 * SMMUs, guest RAM (VMM memory) mapped in one IOAS at IOVA = guest PA, a NEST_PARENT stage 2 shared
 * (SHARED) or one per SMMU (PER_SMMU), a vIOMMU per SMMU with the device's vSID, guest stage-1 tables
 * and CDs in guest RAM, nested HWPTs from the guest STEs, translations by the SMMUs, guest TLB
 * invalidation through HWPT_INVALIDATE and a guest fault read back from the vEVENTQ.
 */
class EndToEndTest extends DeviceFixture {
	static final long GPA = 0x4000_0000L, DATA_GPA = 0x40a0_0000L, GIOVA = 0x1234_5000L;
	static final int GASID = 7, VSID0 = 0x10, VSID1 = 0x11, RWC = Prot.READ | Prot.WRITE | Prot.CACHE;
	static final long HOST_DATA = PA + (DATA_GPA - GPA);

	/** The guest's own page tables and CDs in its RAM (guest PA = IOVA of the IOAS). */
	IoPageTable gpt;
	long cdGpa;

	void buildGuestTables() {
		GuestMemory ram = new GuestMemory(hw.memory, PA - GPA);
		FrameAllocator galloc = new FrameAllocator(ram, GPA, GPA + (4 << 20));
		gpt = IoPageTable.allocate(IoPageTable.Config.s1(IoPageTable.SZ_4K, 48, 48), galloc);
		gpt.map(GIOVA, DATA_GPA, 0x2000, RWC);
		cdGpa = galloc.allocate(64, 64);
		long[] cd = CdBuilder.s1(gpt, GASID, false);
		for (int i = 0; i < cd.length; i++) {
			ram.write64(cdGpa + 8L * i, cd[i]);
		}
	}

	@ParameterizedTest
	@EnumSource(KernelMode.class)
	void nestedTranslationInvalidationAndEventsThroughTheUapi(KernelMode mode) {
		boot(mode);
		int d0 = ctx.bindDevice(BDF0), d1 = ctx.bindDevice(BDF1);
		assertEquals(HwInfo.TYPE_ARM_SMMUV3, ctx.getHwInfo(HwInfo.request(d0, 40, SCRATCH)).dataType());

		// the VFIO container: one IOAS holding guest RAM at IOVA = guest PA
		int ioas = ioas();
		map(ioas, VA, RAM, GPA);

		// autodomains: a NEST_PARENT S2 for the first device, tried on the second
		int s2 = paging(HwptAlloc.NEST_PARENT, d0, ioas);
		assertEquals(s2, ctx.attachDevice(d0, s2));
		int s2b;
		if (mode == KernelMode.SHARED) {
			s2b = s2;
			assertEquals(s2, ctx.attachDevice(d1, s2));
		} else {
			fails(Errno.EINVAL, () -> ctx.attachDevice(d1, s2));
			s2b = paging(HwptAlloc.NEST_PARENT, d1, ioas);
			assertNotEquals(s2, s2b);
			assertEquals(s2b, ctx.attachDevice(d1, s2b));
		}
		// attached to the S2 alone the devices see guest PAs
		assertEquals(HOST_DATA + 0x40, translate(smmu(0), SID0, DATA_GPA + 0x40));
		assertEquals(HOST_DATA + 0x80, translate(smmu(1), SID1, DATA_GPA + 0x80));

		// a vIOMMU per physical SMMU, the device's vSID, a vEVENTQ
		int v0 = ctx.viommuAlloc(ViommuAlloc.arm(d0, s2)).outViommuId();
		int v1 = ctx.viommuAlloc(ViommuAlloc.arm(d1, s2b)).outViommuId();
		int vd0 = ctx.vdeviceAlloc(VdeviceAlloc.request(v0, d0, VSID0)).outVdeviceId();
		ctx.vdeviceAlloc(VdeviceAlloc.request(v1, d1, VSID1));
		int q0 = ctx.veventqAlloc(VeventqAlloc.arm(v0, 16)).outVeventqId();
		fails(Errno.EINVAL, () -> ctx.vdeviceAlloc(VdeviceAlloc.request(v0, d1, 0x99)));

		// the guest programs its STEs: CD tables in guest RAM; the VMM passes them on
		buildGuestTables();
		long[] ste = SteBuilder.cdTable(cdGpa, Ste.S1FMT_LINEAR, 0, Ste.S1DSS_SSID0, false, false, false, false);
		long vste = put(SCRATCH, ste[0], ste[1]);
		int n0 = ctx.hwptAlloc(HwptAlloc.nestedArm(d0, v0, vste)).outHwptId();
		int n1 = ctx.hwptAlloc(HwptAlloc.nestedArm(d1, v1, vste)).outHwptId();
		fails(Errno.EINVAL, () -> ctx.hwptAlloc(HwptAlloc.nestedArm(d1, v0, vste)));
		assertEquals(n0, ctx.attachDevice(d0, n0));
		assertEquals(n1, ctx.attachDevice(d1, n1));
		assertEquals(Master.State.NESTED, master(BDF0).state());
		long[] pste = master(BDF0).smmu().driver().readSte(SID0);
		assertEquals(Ste.CFG_NESTED, Ste.CONFIG.get(pste));
		assertEquals(cdGpa, Ste.s1ContextPtr(pste));
		assertEquals(obj(v0, Viommu.class).vsmmu.vmid(), Ste.S2VMID.get(pste));

		// guest IOVA -> guest PA (guest tables) -> host PA (the IOAS's S2), by the SMMUs
		assertEquals(HOST_DATA + 0x10, translate(smmu(0), SID0, GIOVA + 0x10));
		assertEquals(HOST_DATA + 0x1020, translate(smmu(1), SID1, GIOVA + 0x1020));
		assertEquals(HOST_DATA + 0x30, translate(smmu(1), SID1, GIOVA + 0x30));
		assertEquals(HOST_DATA + 0x10, translate(smmu(0), SID0, GIOVA + 0x10), "now from the TLB");

		// the guest unmaps and invalidates: TLBI_NH_VA with its own (ignored) VMID, through vIOMMU 0
		gpt.unmap(GIOVA, 0x1000);
		assertEquals(HOST_DATA + 0x10, translate(smmu(0), SID0, GIOVA + 0x10), "stale until invalidated");
		long[] tlbi = Commands.tlbiNhVa(0x3, GASID, GIOVA, true);
		long[] cfgi = Commands.cfgiCdAll(VSID0);
		long cmds = put(SCRATCH + 0x100, tlbi[0], tlbi[1], cfgi[0], cfgi[1]);
		assertEquals(2, ctx.hwptInvalidate(new HwptInvalidate(v0, cmds, HwptInvalidate.DATA_ARM_SMMUV3, 16, 2)).entryNum());

		// the DMA now faults in the guest's stage 1: the event reaches the vEVENTQ with the vSID
		Event fault = aborts(smmu(0), SID0, GIOVA + 0x10).event();
		assertEquals(EventType.F_TRANSLATION, fault.type());
		assertFalse(fault.s2());
		host.awaitInterrupts();
		List<Vevent> got = ctx.veventqRead(q0, 4096);
		assertEquals(1, got.size(), got.toString());
		long[] evt = got.get(0).evt();
		assertEquals(0, got.get(0).sequence());
		assertEquals(EventType.F_TRANSLATION.code(), Cmd.OP.get(evt));
		assertEquals(VSID0, Cmd.SID.get(evt), "the StreamID is the vSID");
		assertEquals(GIOVA + 0x10, evt[2], "the input address");
		// the other page still translates; the other SMMU never saw the guest's TLBI
		assertEquals(HOST_DATA + 0x1000, translate(smmu(0), SID0, GIOVA + 0x1000));
		assertEquals(HOST_DATA + 0x10, translate(smmu(1), SID1, GIOVA + 0x10), "vIOMMU 1 was not invalidated");

		// a stage-2 fault stays with the host: the IOAS unmaps the data page
		ctx.ioasUnmap(new smmu.iommufd.IoasUnmap(ioas, GPA, RAM));
		assertTrue(aborts(smmu(0), SID0, GIOVA + 0x1000).event().s2());
		host.awaitInterrupts();
		assertEquals(List.of(), ctx.veventqRead(q0, 4096));

		// the object graph, then teardown in dependency order
		assertEquals(new IommufdObject(n0, ObjectType.HWPT_NESTED, 1, List.of(v0)), ctx.objects().get(n0 - 1).node());
		assertEquals(List.of(n0), ctx.objects().get(d0 - 1).node().references());
		fails(Errno.EBUSY, () -> ctx.destroy(v0));
		fails(Errno.EBUSY, () -> ctx.destroy(s2));
		ctx.unbindDevice(d0);
		fails(Errno.ENOENT, () -> ctx.destroy(vd0));
		assertNull(master(BDF0).vmaster());
		ctx.destroy(n0);
		ctx.destroy(q0);
		ctx.destroy(v0);
		ctx.close();
		assertEquals(Master.State.BLOCKED, master(BDF1).state());
		assertEquals(0, kernel.asids().inUse());
	}
}
