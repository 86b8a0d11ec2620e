package smmu.iommufd.arm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static smmu.iommufd.arm.PagingDomainTest.describe;
import static smmu.iommufd.arm.PagingDomainTest.errno;
import static smmu.iommufd.arm.PagingDomainTest.faults;
import static smmu.iommufd.arm.PagingDomainTest.translatesVia;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.hw.testing.TestHost;
import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.FrameAllocator;
import smmu.hw.SmmuSpec;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Path;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.hw.driver.CdBuilder;
import smmu.hw.driver.Commands;
import smmu.hw.driver.IoPageTable;
import smmu.hw.driver.Prot;
import smmu.hw.driver.SteBuilder;
import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;
import smmu.iommufd.arm.Invs.Inv;
import smmu.iommufd.arm.Invs.Type;

/** vSMMU: init rules, guest STE validation, nested attach and translation, invalidation, events. */
class NestedTest {
	static final long IPA_BASE = 0x4000_0000L, HOST_RAM = 0x1_0000_0000L, DELTA = HOST_RAM - IPA_BASE;
	static final long DATA_IPA = 0x40a0_0000L, GIOVA = 0x1234_5000L;
	static final int GASID = 5, VSID = 0x42, RWC = Prot.READ | Prot.WRITE | Prot.CACHE;

	/** A host, a kernel, a nest-parent S2 for smmu0's device, a guest with an S1 table and a CD in its RAM. */
	static final class Vm {
		final TestHost h;
		final ArmSmmuV3Kernel k;
		final Master m0;
		final ArmDomain parent;
		final GuestMemory ram;
		final IoPageTable gpt;
		final long cdIpa;
		final long[] vste;

		Vm(TestHost h, KernelMode mode) {
			this.h = h;
			k = new ArmSmmuV3Kernel(h, mode);
			m0 = k.master(TestHost.bdf(0));
			parent = k.domainAllocPaging(m0, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
			// guest RAM: tables in [IPA_BASE, +8 MiB) as 2 MiB blocks, data pages as 4 KiB pages
			parent.map(IPA_BASE, HOST_RAM, 8 << 20, RWC);
			parent.map(DATA_IPA, DATA_IPA + DELTA, 0x4000, RWC);
			ram = new GuestMemory(h.memory, DELTA);
			FrameAllocator galloc = new FrameAllocator(ram, IPA_BASE, IPA_BASE + (8 << 20));
			gpt = IoPageTable.allocate(IoPageTable.Config.s1(IoPageTable.SZ_4K, 48, 48), galloc);
			gpt.map(GIOVA, DATA_IPA, 0x2000, RWC);
			cdIpa = galloc.allocate(64, 64);
			long[] cd = CdBuilder.s1(gpt, GASID, false);
			for (int i = 0; i < cd.length; i++) {
				ram.write64(cdIpa + 8L * i, cd[i]);
			}
			long[] s = SteBuilder.cdTable(cdIpa, Ste.S1FMT_LINEAR, 0, Ste.S1DSS_SSID0, false, false, false, false);
			vste = new long[] { s[0], s[1] };
		}

		Vm(KernelMode mode) {
			this(new TestHost(2), mode);
		}

		ArmSmmuV3 s0() {
			return m0.smmu();
		}

		ArmVsmmu vsmmu() {
			ArmVsmmu v = k.vsmmuInit(m0, parent);
			v.vdeviceInit(m0, VSID);
			return v;
		}

		ArmNestedDomain attachS1(ArmVsmmu v) {
			ArmNestedDomain nd = v.allocDomainNested(vste[0], vste[1], 0);
			k.attachNested(m0, nd);
			return nd;
		}
	}

	static final int SID0 = TestHost.sid(0);

	// ---- nested translation

	@Test
	void guestSteThroughTheVsmmuTranslatesGuestIovaToHostPa() {
		Vm vm = new Vm(KernelMode.PER_SMMU);
		ArmVsmmu v = vm.vsmmu();
		assertEquals(vm.parent.tag(vm.s0()), v.vmid(), "current mainline: the vSMMU uses the parent's VMID");
		ArmNestedDomain nd = vm.attachS1(v);
		assertEquals(Master.State.NESTED, vm.m0.state());
		assertSame(nd, vm.m0.nestedDomain());
		assertEquals(new Master.Vmaster(v, VSID), vm.m0.vmaster());

		long[] ste = vm.s0().driver().readSte(SID0);
		assertEquals(Ste.CFG_NESTED, Ste.CONFIG.get(ste));
		assertEquals(1, Ste.MEV.get(ste));
		assertEquals(vm.cdIpa, Ste.s1ContextPtr(ste));
		assertEquals(v.vmid(), Ste.S2VMID.get(ste));
		assertEquals(vm.parent.pageTable().vttbr() & Ste.S2TTB.mask(), Ste.s2ttb(ste));
		assertEquals(1, Ste.S2FWB.get(ste));

		var hw = vm.s0().smmu();
		long hostPa = DATA_IPA + DELTA;
		translatesVia(hw, SID0, GIOVA + 0x10, hostPa + 0x10, Path.WALK);
		translatesVia(hw, SID0, GIOVA + 0x10, hostPa + 0x10, Path.TLB_HIT);
		translatesVia(hw, SID0, GIOVA + 0x1010, hostPa + 0x1010, Path.WALK);

		// the parent's array holds the nested master's entries under the vSMMU's VMID
		assertEquals(List.of(new Inv(0, Type.S2_VMID, v.vmid(), 0), new Inv(0, Type.S2_VMID_S1_CLEAR, v.vmid(), 0)), vm.parent.invs().live());
	}

	@Test
	void guestUnmapPlusForwardedTlbiRemovesTheNestedEntry() {
		Vm vm = new Vm(KernelMode.PER_SMMU);
		ArmVsmmu v = vm.vsmmu();
		vm.attachS1(v);
		var hw = vm.s0().smmu();
		long hostPa = DATA_IPA + DELTA;
		translatesVia(hw, SID0, GIOVA, hostPa, Path.WALK);
		vm.gpt.unmap(GIOVA, 0x1000);
		// the guest has not invalidated yet: the TLB still holds the stale translation
		translatesVia(hw, SID0, GIOVA, hostPa, Path.TLB_HIT);
		// the guest's TLBI_NH_VA carries its own (wrong) VMID: the host overwrites it
		long[] tlbi = Commands.tlbiNhVa(0x77, GASID, GIOVA, true);
		assertEquals(1, v.cacheInvalidate(new long[][] { tlbi }));
		Event e = faults(hw, SID0, GIOVA);
		assertEquals(EventType.F_TRANSLATION, e.type());
		assertFalse(e.s2());
		translatesVia(hw, SID0, GIOVA + 0x1000, hostPa + 0x1000, Path.WALK);
	}

	@Test
	void parentUnmapFlushesStage2AndCombinedEntries() {
		Vm vm = new Vm(KernelMode.PER_SMMU);
		ArmVsmmu v = vm.vsmmu();
		vm.attachS1(v);
		var hw = vm.s0().smmu();
		translatesVia(hw, SID0, GIOVA, DATA_IPA + DELTA, Path.WALK);
		translatesVia(hw, SID0, GIOVA, DATA_IPA + DELTA, Path.TLB_HIT);
		CmdRing ring = new CmdRing(vm.s0().driver());
		assertEquals(0x1000, vm.parent.unmap(DATA_IPA, 0x1000));
		int vmid = v.vmid();
		assertEquals(describe(Commands.tlbiS2Ipa(vmid, DATA_IPA, true, 1, 0, 0, 3), Commands.cmdSync(), Commands.tlbiNhAll(vmid),
				Commands.cmdSync()), ring.names());
		Event e = faults(hw, SID0, GIOVA);
		assertEquals(EventType.F_TRANSLATION, e.type());
		assertTrue(e.s2(), "the IPA is gone: a stage-2 fault");
		assertEquals(DATA_IPA, e.address2());
	}

	@Test
	void bypassAndAbortGuestStes() {
		Vm vm = new Vm(KernelMode.PER_SMMU);
		ArmVsmmu v = vm.k.vsmmuInit(vm.m0, vm.parent);
		// no vDEVICE: bypass and abort attach anyway (the GBPA case), S1_TRANS does not
		ArmNestedDomain bypass = v.allocDomainNested(Ste.V.mask() | (long) Ste.CFG_BYPASS << 1, 0, 0);
		vm.k.attachNested(vm.m0, bypass);
		assertNull(vm.m0.vmaster());
		long[] ste = vm.s0().driver().readSte(SID0);
		assertArrayEquals(SteBuilder.s2(vm.s0().features(), vm.parent.pageTable(), v.vmid(), false, false), ste);
		// bypass nested translates like the parent: IPA -> host PA
		translatesVia(vm.s0().smmu(), SID0, DATA_IPA + 0x20, DATA_IPA + DELTA + 0x20, Path.WALK);

		ArmNestedDomain invalid = v.allocDomainNested(0xdead_beef_0000_0000L, -1L, 0);
		assertArrayEquals(new long[] { 0, 0 }, invalid.vste(), "V = 0: accepted and zeroed");
		vm.k.attachNested(vm.m0, invalid);
		assertEquals(0x1, vm.s0().driver().readSte(SID0)[0]);
		assertEquals(0, vm.s0().driver().readSte(SID0)[1]);
		assertTrue(vm.s0().smmu().translate(smmu.hw.TranslationRequest.read(SID0, DATA_IPA)) instanceof Aborted);

		ArmNestedDomain s1 = v.allocDomainNested(vm.vste[0], vm.vste[1], 0);
		errno(Errno.ENOENT, () -> vm.k.attachNested(vm.m0, s1));
		assertEquals(0x1, vm.s0().driver().readSte(SID0)[0], "nothing changed");
		assertSame(invalid, vm.m0.nestedDomain());
		v.vdeviceInit(vm.m0, VSID);
		vm.k.attachNested(vm.m0, s1);
		translatesVia(vm.s0().smmu(), SID0, GIOVA, DATA_IPA + DELTA, Path.WALK);
	}

	// ---- vSMMU init rules

	@Test
	void perSmmuVsmmuInitRules() {
		Vm vm = new Vm(KernelMode.PER_SMMU);
		Master m1 = vm.k.master(TestHost.bdf(1));
		errno(Errno.EINVAL, () -> vm.k.vsmmuInit(m1, vm.parent));
		ArmDomain plainS2 = vm.k.domainAllocPaging(vm.m0, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		ArmDomain s1 = vm.k.domainAllocPaging(vm.m0, 0);
		errno(Errno.EINVAL, () -> vm.k.vsmmuInit(vm.m0, s1));
		ArmVsmmu v = vm.k.vsmmuInit(vm.m0, plainS2);
		assertEquals(plainS2.tag(vm.s0()), v.vmid());
		errno(Errno.EBUSY, () -> vm.k.domainFree(plainS2));
		vm.k.vsmmuDestroy(v);
		assertTrue(vm.s0().vmids().isAllocated(plainS2.tag(vm.s0())), "PER_SMMU: the VMID is the parent's, not freed with the vSMMU");
		vm.k.domainFree(plainS2);
		assertThrows(IllegalStateException.class, () -> v.allocDomainNested(0, 0, 0));
	}

	@Test
	void viommuNeedsNestingAndCanwbsOrS2fwb() {
		TestHost noFwb = new TestHost(1, idr -> {
			idr[3] = (int) Regs.IDR3_FWB.with(idr[3], 0);
			return idr;
		});
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(noFwb, KernelMode.PER_SMMU);
		Master m = k.master(TestHost.bdf(0));
		assertFalse(k.viommuSupported(m));
		ArmDomain p = k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		assertFalse(p.pageTable().hasQuirk(IoPageTable.Quirk.ARM_S2FWB));
		errno(Errno.EOPNOTSUPP, () -> k.vsmmuInit(m, p));
		Master wbs = k.addMaster("0000:09:00.0", "smmu0", true, 0x900);
		assertTrue(k.viommuSupported(wbs));
		k.vsmmuInit(wbs, p);
	}

	@Test
	void sharedVsmmuHasItsOwnVmidOnAnotherSmmu() {
		Vm vm = new Vm(KernelMode.SHARED);
		Master m1 = vm.k.master(TestHost.bdf(1));
		ArmSmmuV3 s1 = m1.smmu();
		s1.vmids().allocate(0xffff); // VMID 1 taken on smmu1
		// the device on smmu0 uses the parent directly, the one on smmu1 through a vSMMU of smmu1
		vm.k.attach(vm.m0, vm.parent);
		ArmVsmmu v = vm.k.vsmmuInit(m1, vm.parent);
		assertEquals(2, v.vmid());
		assertTrue(s1.vmids().isAllocated(2));
		v.vdeviceInit(m1, VSID);
		errno(Errno.EINVAL, () -> v.vdeviceInit(vm.m0, 7));
		ArmNestedDomain nd = v.allocDomainNested(vm.vste[0], vm.vste[1], 0);
		errno(Errno.EINVAL, () -> vm.k.attachNested(vm.m0, nd));
		vm.k.attachNested(m1, nd);
		// the S1 clear only for the vSMMU's tag (share series v4 patch 06 with its review fix)
		assertEquals(List.of(new Inv(0, Type.S2_VMID, 1, 0), new Inv(1, Type.S2_VMID_VSMMU, 2, 0), new Inv(1, Type.S2_VMID_S1_CLEAR, 2, 0)),
				vm.parent.invs().live());
		int sid1 = TestHost.sid(1);
		assertEquals(2, Ste.S2VMID.get(s1.driver().readSte(sid1)));
		translatesVia(s1.smmu(), sid1, GIOVA, DATA_IPA + DELTA, Path.WALK);
		translatesVia(s1.smmu(), sid1, GIOVA, DATA_IPA + DELTA, Path.TLB_HIT);
		translatesVia(vm.s0().smmu(), SID0, DATA_IPA, DATA_IPA + DELTA, Path.WALK);

		CmdRing r0 = new CmdRing(vm.s0().driver()), r1 = new CmdRing(s1.driver());
		vm.parent.unmap(DATA_IPA, 0x1000);
		assertEquals(describe(Commands.tlbiS2Ipa(1, DATA_IPA, true, 1, 0, 0, 3), Commands.cmdSync()), r0.names());
		assertEquals(describe(Commands.tlbiS2Ipa(2, DATA_IPA, true, 1, 0, 0, 3), Commands.cmdSync(), Commands.tlbiNhAll(2), Commands.cmdSync()),
				r1.names());
		assertTrue(faults(s1.smmu(), sid1, GIOVA).s2());
		assertTrue(faults(vm.s0().smmu(), SID0, DATA_IPA).s2());

		// guest invalidations carry the vSMMU's VMID
		r1.take();
		v.cacheInvalidate(new long[][] { Commands.tlbiNsnhAll() });
		assertEquals(describe(Commands.tlbiNhAll(2), Commands.cmdSync()), r1.names());

		errno(Errno.EBUSY, () -> vm.k.vsmmuDestroy(v));
		vm.k.attachBlocked(m1);
		// the vSMMU tag lost its last user: flushed, but kept until the vSMMU goes
		List<String> cmds = r1.names();
		assertEquals(describe(Commands.tlbiS12Vmall(2), Commands.cmdSync()), cmds.subList(cmds.size() - 2, cmds.size()));
		assertTrue(s1.vmids().isAllocated(2));
		vm.k.vsmmuDestroy(v);
		assertFalse(s1.vmids().isAllocated(2));
		assertNull(v.vdevice(VSID));
		assertNull(m1.vmaster());
	}

	@Test
	void sharedVsmmuInitChecksCanShare() {
		TestHost mixed = new TestHost(2, new java.util.function.UnaryOperator<int[]>() {
			int n;

			@Override
			public int[] apply(int[] idr) {
				if (n++ == 1) {
					idr[5] = (int) Regs.IDR5_OAS.with(idr[5], 2); // 40-bit OAS
				}
				return idr;
			}
		});
		Vm vm = new Vm(mixed, KernelMode.SHARED);
		errno(Errno.EINVAL, () -> vm.k.vsmmuInit(vm.k.master(TestHost.bdf(1)), vm.parent));
		assertEquals(0, vm.k.master(TestHost.bdf(1)).smmu().vmids().inUse());
	}

	// ---- vSTE validation

	@Test
	void validateVsteErrnoTable() {
		Vm vm = new Vm(KernelMode.PER_SMMU);
		ArmVsmmu v = vm.vsmmu();
		long v0 = vm.vste[0], v1 = vm.vste[1];
		long cfg = Ste.CONFIG.mask();
		assertEquals(0xF80F_FFFF_FFFF_FFFFL, ArmVsmmu.VSTE_ALLOWED_0);
		assertEquals(0x3800_00FFL, ArmVsmmu.VSTE_ALLOWED_1);
		record Row(long w0, long w1, int flags, Errno errno) {}
		List<Row> rows = new ArrayList<>();
		rows.add(new Row(v0, v1, 0, null));
		rows.add(new Row(0, -1L, 0, null)); // V = 0: anything goes
		rows.add(new Row(~1L, ~0L, 0, null));
		rows.add(new Row(v0, v1, 1 << 3, Errno.EOPNOTSUPP)); // PASID
		rows.add(new Row(0, 0, 1, Errno.EOPNOTSUPP));
		rows.add(new Row(v0 | 1L << 52, v1, 0, Errno.EIO)); // above S1ContextPtr
		rows.add(new Row(v0 | 1L << 58, v1, 0, Errno.EIO));
		rows.add(new Row(v0, v1 | Ste.MEV.mask(), 0, Errno.EIO));
		rows.add(new Row(v0, v1 | Ste.S2FWB.mask(), 0, Errno.EIO));
		rows.add(new Row(v0, v1 | Ste.STRW.mask(), 0, Errno.EIO));
		rows.add(new Row(v0, v1 | Ste.SHCFG.mask(), 0, Errno.EIO));
		rows.add(new Row(v0, v1 | 1L << 8, 0, Errno.EIO));
		for (int c = 0; c < 8; c++) {
			boolean ok = c == Ste.CFG_ABORT || c == Ste.CFG_BYPASS || c == Ste.CFG_S1_TRANS;
			rows.add(new Row((v0 & ~cfg) | (long) c << 1, v1, 0, ok ? null : Errno.EIO));
		}
		for (int eats = 0; eats < 4; eats++) {
			rows.add(new Row(v0, v1 | (long) eats << 28, 0, eats <= 1 ? null : Errno.EIO));
		}
		for (Row r : rows) {
			String what = String.format("0x%016x 0x%016x flags %d", r.w0, r.w1, r.flags);
			if (r.errno == null) {
				ArmNestedDomain nd = v.allocDomainNested(r.w0, r.w1, r.flags);
				if ((r.w0 & 1) == 0) {
					assertArrayEquals(new long[] { 0, 0 }, nd.vste(), what);
				} else {
					assertEquals(0, Ste.EATS.get(nd.vste()), what);
					assertEquals(r.w1 & ~Ste.EATS.mask(), nd.vste()[1], what);
				}
			} else {
				IommufdException e = assertThrows(IommufdException.class, () -> v.allocDomainNested(r.w0, r.w1, r.flags), what);
				assertEquals(r.errno, e.errno(), what);
			}
		}
		assertTrue(v.allocDomainNested(v0, v1 | 1L << 28, 0).enableAts());
		assertFalse(v.allocDomainNested((v0 & ~cfg) | (long) Ste.CFG_BYPASS << 1, v1 | 1L << 28, 0).enableAts());
	}

	// ---- vDEVICE

	@Test
	void vdeviceRules() {
		Vm vm = new Vm(KernelMode.PER_SMMU);
		ArmVsmmu v = vm.k.vsmmuInit(vm.m0, vm.parent);
		errno(Errno.EINVAL, () -> v.vdeviceInit(vm.k.master(TestHost.bdf(1)), 1));
		Master two = vm.k.addMaster("0000:05:00.0", "smmu0", false, 0x500, 0x501);
		errno(Errno.EOPNOTSUPP, () -> v.vdeviceInit(two, 1));
		v.vdeviceInit(vm.m0, VSID);
		errno(Errno.EEXIST, () -> v.vdeviceInit(vm.m0, VSID + 1));
		Master other = vm.k.addMaster("0000:06:00.0", "smmu0", false, 0x600);
		errno(Errno.EEXIST, () -> v.vdeviceInit(other, VSID));
		assertSame(vm.m0, v.vdevice(VSID));
		v.vdeviceDestroy(VSID);
		assertNull(v.vdevice(VSID));
		errno(Errno.ENOENT, () -> v.vdeviceDestroy(VSID));
		v.vdeviceInit(other, VSID);
	}

	// ---- cache invalidation

	@Test
	void cacheInvalidateConvertsEveryAcceptedOpcode() {
		Vm vm = new Vm(KernelMode.PER_SMMU);
		ArmVsmmu v = vm.vsmmu();
		int vmid = v.vmid();
		long va = 0x7f12_3456_7000L;
		long[][] in = { { Cmd.TLBI_NSNH_ALL | 0xabcdL << 32, 0x1234 }, Commands.tlbiNhVa(0x55, 9, va, true, 1, 3, 2, 3), Commands.tlbiNhVaa(0x56,
				va, false, 0, 0, 0, 0), Commands.tlbiNhAll(0x57), Commands.tlbiNhAsid(0x58, 9), Commands.atcInv(VSID, true, 3, va, 4, false),
				Commands.cfgiCd(VSID, 3, true), Commands.cfgiCdAll(VSID) };
		long[][] copy = new long[in.length][];
		for (int i = 0; i < in.length; i++) {
			copy[i] = in[i].clone();
		}
		long[][] want = { Commands.tlbiNhAll(vmid), Commands.tlbiNhVa(vmid, 9, va, true, 1, 3, 2, 3), Commands.tlbiNhVaa(vmid, va, false, 0, 0, 0,
				0), Commands.tlbiNhAll(vmid), Commands.tlbiNhAsid(vmid, 9), Commands.atcInv(SID0, true, 3, va, 4, false), Commands.cfgiCd(SID0, 3,
						true), Commands.cfgiCdAll(SID0), Commands.cmdSync() };
		CmdRing ring = new CmdRing(vm.s0().driver());
		assertEquals(in.length, v.cacheInvalidate(in));
		List<long[]> got = ring.take();
		assertEquals(want.length, got.size());
		for (int i = 0; i < want.length; i++) {
			assertArrayEquals(want[i], got.get(i), Commands.describe(got.get(i)));
		}
		for (int i = 0; i < in.length; i++) {
			assertArrayEquals(copy[i], in[i], "the caller's array is not modified");
		}
		assertEquals(8, v.issuedCommands());
	}

	@Test
	void cacheInvalidateErrorsReportEntryNumWithTheBatchQuirk() {
		Vm vm = new Vm(KernelMode.PER_SMMU);
		ArmVsmmu v = vm.vsmmu();
		CmdRing ring = new CmdRing(vm.s0().driver());
		// empty array: EINVAL (kcalloc(0) + copy on current kernels), entry_num 0
		IommufdException e = assertThrows(IommufdException.class, () -> v.cacheInvalidate(new long[0][]));
		assertEquals(Errno.EINVAL, e.errno());
		assertEquals(new ArmVsmmu.InvalidateResponse(0), e.response());

		// rejected opcodes, each at index 2: nothing issued, entry_num 2 although 0 and 1 were converted
		long[][] bad = { Commands.cfgiSte(VSID, true), Commands.cfgiAll(), Commands.tlbiS12Vmall(1), Commands.tlbiS2Ipa(1, 0, true),
				Commands.tlbiEl2All(), Commands.cmdSync(), Commands.prefetchCfg(VSID), Commands.resume(VSID, 0, 0),
				Commands.priResp(VSID, false, 0, 0, 0), new long[] { 0xff, 0 }, new long[] { 0, 0 } };
		for (long[] b : bad) {
			long[][] cmds = { Commands.tlbiNhAll(0), Commands.tlbiNhAsid(0, 1), b, Commands.tlbiNhAll(0) };
			IommufdException x = assertThrows(IommufdException.class, () -> v.cacheInvalidate(cmds));
			assertEquals(Errno.EIO, x.errno(), Commands.describe(b));
			assertEquals(new ArmVsmmu.InvalidateResponse(2), x.response());
		}
		// unknown vSID
		IommufdException x = assertThrows(IommufdException.class, () -> v.cacheInvalidate(new long[][] { Commands.cfgiCdAll(VSID + 1) }));
		assertEquals(Errno.EIO, x.errno());
		assertEquals(new ArmVsmmu.InvalidateResponse(0), x.response());
		assertEquals(List.of(), ring.take(), "nothing reached the queue");

		// 70 commands, command 66 bad: the first 63 are issued with a sync, 63..65 never, entry_num 66
		long[][] many = new long[70][];
		for (int i = 0; i < many.length; i++) {
			many[i] = Commands.tlbiNhAsid(0, i + 1);
		}
		many[66] = Commands.cfgiSte(VSID, true);
		x = assertThrows(IommufdException.class, () -> v.cacheInvalidate(many));
		assertEquals(Errno.EIO, x.errno());
		assertEquals(new ArmVsmmu.InvalidateResponse(66), x.response());
		List<long[]> issued = ring.take();
		assertEquals(64, issued.size());
		assertArrayEquals(Commands.tlbiNhAsid(v.vmid(), 63), issued.get(62));
		assertArrayEquals(Commands.cmdSync(), issued.get(63));

		// 127 good commands: batches of 63, 63 and 1, each with a sync
		long[][] ok = new long[127][];
		for (int i = 0; i < ok.length; i++) {
			ok[i] = Commands.tlbiNhAsid(0, i + 1);
		}
		vm.s0().smmu().resetStats();
		assertEquals(127, v.cacheInvalidate(ok));
		assertEquals(java.util.Map.of("TLBI_NH_ASID", 127L, "CMD_SYNC", 3L), vm.s0().smmu().stats().commands());
	}

	@Test
	void illegalConvertedCommandIsSkippedByTheQueueNotReported() {
		Vm vm = new Vm(KernelMode.PER_SMMU);
		ArmVsmmu v = vm.vsmmu();
		// TG != 0 with NUM = SCALE = TTL = 0 is reserved: the SMMU raises CERROR_ILL, Linux skips it
		long[] reserved = Commands.tlbiNhVa(0, 1, 0x1000, true, 1, 0, 0, 0);
		assertEquals(2, v.cacheInvalidate(new long[][] { reserved, Commands.tlbiNhAll(0) }));
		assertEquals(1, v.skippedBatches());
		assertEquals(1, vm.s0().driver().stats().cmdqErrors());
	}

	// ---- events

	@Test
	void aForwardedRecordIsTheRawRecordWithOnlyTheStreamIdSwapped() {
		Vm vm = new Vm(KernelMode.PER_SMMU);
		ArmVsmmu v = vm.vsmmu();
		vm.attachS1(v);
		List<long[]> got = new ArrayList<>();
		v.setEventSink(evt -> got.add(evt.clone()));
		var hw = vm.s0().smmu();
		faults(hw, SID0, GIOVA + 0x10_0000);
		// the record the SMMU wrote, with bits the model's Event does not carry set in memory (STAG, PnU,
		// InD, an IMPLEMENTATION DEFINED bit of word 1, the low bits of word 3): arm_vmaster_report_event
		// copies them as they are
		long base = hw.read64(smmu.hw.arch.Regs.EVENTQ_BASE) & smmu.hw.arch.Regs.Q_BASE_ADDR_MASK;
		int log2 = (int) (hw.read64(smmu.hw.arch.Regs.EVENTQ_BASE) & 0x1f);
		int prod = hw.read32(smmu.hw.arch.Regs.EVENTQ_PROD + 0x10000);
		long at = base + 32L * ((prod - 1) & ((1 << log2) - 1));
		var mem = vm.h.memory;
		mem.write64(at + 8, mem.read64(at + 8) | 0xbeefL | 1L << 33 | 1L << 34 | 1L << 60);
		mem.write64(at + 24, mem.read64(at + 24) | 0x5);
		long[] raw = new long[4];
		for (int i = 0; i < 4; i++) {
			raw[i] = mem.read64(at + 8L * i);
		}
		assertEquals(new EventReport(1, 0), vm.k.handleEvents(vm.s0()));
		long[] want = raw.clone();
		want[0] = (want[0] & 0xffff_ffffL) | (long) VSID << 32;
		assertArrayEquals(want, got.get(0));
	}

	@Test
	void eventsOfVmastersAreForwardedWithTheVsidUnlessStage2() {
		Vm vm = new Vm(KernelMode.PER_SMMU);
		ArmVsmmu v = vm.vsmmu();
		vm.attachS1(v);
		List<long[]> got = new ArrayList<>();
		v.setEventSink(evt -> got.add(evt.clone()));
		var hw = vm.s0().smmu();
		// a stage-1 fault (guest IOVA not mapped by the guest): the VM's
		long giova = GIOVA + 0x10_0000;
		assertFalse(faults(hw, SID0, giova).s2());
		// a stage-2 fault (the guest maps an IPA the host does not): the host's
		vm.gpt.map(GIOVA + 0x20_0000, DATA_IPA + 0x10_0000, 0x1000, RWC);
		Event s2 = faults(hw, SID0, GIOVA + 0x20_0000);
		assertTrue(s2.s2());
		// a device without vmaster
		Master m1 = vm.k.master(TestHost.bdf(1));
		ArmDomain d1 = vm.k.domainAllocPaging(m1, 0);
		vm.k.attach(m1, d1);
		faults(m1.smmu().smmu(), TestHost.sid(1), 0x5000);

		assertEquals(new EventReport(1, 1), vm.k.handleEvents(vm.s0()));
		assertEquals(new EventReport(0, 1), vm.k.handleEvents(m1.smmu()));
		assertEquals(1, got.size());
		long[] w = got.get(0);
		assertEquals(EventType.F_TRANSLATION.code(), w[0] & 0xff);
		assertEquals(VSID, w[0] >>> 32);
		assertEquals(giova, w[2]);
		assertEquals(0, (w[1] >>> 39) & 1);
		assertEquals(new EventReport(1, 2), vm.k.eventTotals());

		// no vEVENTQ: the host keeps it; a blocked attach clears the vmaster
		v.setEventSink(null);
		faults(hw, SID0, giova);
		assertEquals(new EventReport(0, 1), vm.k.handleEvents());
		v.setEventSink(evt -> got.add(evt));
		vm.k.attachBlocked(vm.m0);
		assertNull(vm.m0.vmaster());
		vm.k.attachNested(vm.m0, v.allocDomainNested(vm.vste[0], vm.vste[1], 0));
		v.vdeviceDestroy(VSID);
		assertNull(vm.m0.vmaster(), "destroying the vDEVICE ends forwarding");
		faults(hw, SID0, giova);
		assertEquals(new EventReport(0, 1), vm.k.handleEvents(vm.s0()));
		assertEquals(1, got.size());
	}

	@Test
	void hwInfoIsTheRawRegisters() {
		Vm vm = new Vm(KernelMode.PER_SMMU);
		ArmVsmmu v = vm.vsmmu();
		ArmHwInfo info = v.hwInfo();
		SmmuSpec spec = vm.h.smmus.get(0).spec();
		assertArrayEquals(spec.idr(), info.idr());
		assertEquals(SmmuSpec.IIDR_MMU700, info.iidr());
		assertEquals(spec.aidr(), info.aidr());
		assertEquals(0, info.flags());
		byte[] b = info.toBytes();
		assertEquals(40, b.length);
		java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
		assertEquals(0, bb.getInt(0));
		assertEquals(0, bb.getInt(4));
		assertEquals(spec.idr(0), bb.getInt(8));
		assertEquals(spec.idr(5), bb.getInt(28));
		assertEquals(SmmuSpec.IIDR_MMU700, bb.getInt(32));
		assertEquals(spec.aidr(), bb.getInt(36));
		assertEquals(info.idr()[0], vm.s0().hwInfo().idr()[0]);
	}
}
