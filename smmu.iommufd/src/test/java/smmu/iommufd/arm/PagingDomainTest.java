package smmu.iommufd.arm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import smmu.hw.testing.TestHost;
import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.Smmu;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Path;
import smmu.hw.TranslationResult.Translated;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.hw.driver.Commands;
import smmu.hw.driver.IoPageTable;
import smmu.hw.driver.Prot;
import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;
import smmu.iommufd.arm.Invs.Inv;
import smmu.iommufd.arm.Invs.Type;

/** Paging domains on real SMMU models: allocation rules, attach, translation, unmap invalidation. */
class PagingDomainTest {
	static final long IOVA = 0x10_0000L, PA = 0x2_0000_0000L;
	static final int RWC = Prot.READ | Prot.WRITE | Prot.CACHE;

	static void errno(Errno want, Executable e) {
		IommufdException x = assertThrows(IommufdException.class, e);
		assertEquals(want, x.errno(), x.getMessage());
	}

	static TranslationResult read(Smmu s, int sid, long iova) {
		return s.translate(TranslationRequest.read(sid, iova));
	}

	static void translatesVia(Smmu s, int sid, long iova, long pa, Path path) {
		TranslationResult r = read(s, sid, iova);
		Translated t = assertInstanceOf(Translated.class, r, () -> r.toString());
		assertEquals(pa, t.pa());
		assertEquals(path, t.path());
	}

	static Event faults(Smmu s, int sid, long iova) {
		TranslationResult r = read(s, sid, iova);
		Aborted a = assertInstanceOf(Aborted.class, r, () -> r.toString());
		return a.event();
	}

	static List<String> describe(long[]... cmds) {
		List<String> l = new ArrayList<>();
		for (long[] c : cmds) {
			l.add(Commands.describe(c));
		}
		return l;
	}

	// ---- allocation (§3.7)

	@Test
	void allocationFlagsFollowDomainAllocPagingFlags() {
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(new TestHost(1), KernelMode.PER_SMMU);
		Master m = k.master(TestHost.bdf(0));
		ArmDomain d0 = k.domainAllocPaging(m, 0);
		assertEquals(ArmDomain.Stage.S1, d0.stage());
		assertEquals(48, d0.ias());
		assertEquals(IoPageTable.SZ_4K | IoPageTable.SZ_2M | IoPageTable.SZ_1G, d0.pgsizeBitmap());
		ArmDomain np = k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		assertEquals(ArmDomain.Stage.S2, np.stage());
		assertTrue(np.nestParent());
		assertEquals(48, np.ias());
		assertEquals(48, np.pageTable().oas());
		assertTrue(np.pageTable().hasQuirk(IoPageTable.Quirk.ARM_S2FWB), "FEAT_S2FWB: nest parents get the S2FWB quirk");
		assertEquals(ArmDomain.Stage.S1, k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_PASID).stage());
		// MMU-700 model has no HTTU: no dirty tracking
		errno(Errno.EOPNOTSUPP, () -> k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_DIRTY_TRACKING));
		errno(Errno.EOPNOTSUPP, () -> k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_DIRTY_TRACKING | ArmSmmuV3Kernel.ALLOC_PASID));
		errno(Errno.EOPNOTSUPP, () -> k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_NEST_PARENT | ArmSmmuV3Kernel.ALLOC_DIRTY_TRACKING));
		errno(Errno.EOPNOTSUPP, () -> k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_NEST_PARENT | ArmSmmuV3Kernel.ALLOC_PASID));
		errno(Errno.EOPNOTSUPP, () -> k.domainAllocPaging(m, 1 << 2)); // FAULT_ID_VALID never reaches the driver
		errno(Errno.EOPNOTSUPP, () -> k.domainAllocPaging(m, 0x80000000));
		// PER_SMMU finalise: ASIDs from the global space, VMIDs from the SMMU's
		assertEquals(1, d0.tag(m.smmu()));
		assertEquals(1, np.tag(m.smmu()));
		assertTrue(k.asids().isAllocated(2), "the PASID S1 domain took ASID 2");
	}

	@Test
	void eightBitAsidAndVmidSpacesRunOut() {
		TestHost h = new TestHost(1, idr -> {
			idr[0] = (int) Regs.IDR0_ASID16.with(idr[0], 0);
			idr[0] = (int) Regs.IDR0_VMID16.with(idr[0], 0);
			return idr;
		});
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.PER_SMMU);
		Master m = k.master(TestHost.bdf(0));
		errno(Errno.EOPNOTSUPP, () -> k.domainAllocPaging(m, 0, new byte[16]));
		long before = h.allocator.allocatedBytes();
		List<ArmDomain> all = new ArrayList<>();
		for (int i = 1; i <= 255; i++) {
			ArmDomain d = k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
			assertEquals(i, d.tag(m.smmu()));
			all.add(d);
		}
		long used = h.allocator.allocatedBytes();
		errno(Errno.ENOSPC, () -> k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_NEST_PARENT));
		assertEquals(used, h.allocator.allocatedBytes(), "the page table of the failed allocation was freed");
		for (int i = 1; i <= 255; i++) {
			all.add(k.domainAllocPaging(m, 0));
		}
		errno(Errno.EBUSY, () -> k.domainAllocPaging(m, 0));
		k.domainFree(all.get(300));
		assertEquals(46, k.domainAllocPaging(m, 0).tag(m.smmu()), "the lowest free ASID");
		for (ArmDomain d : all) {
			k.domainFree(d);
		}
		assertEquals(1, k.asids().inUse());
		assertEquals(0, m.smmu().vmids().inUse());
		assertTrue(h.allocator.allocatedBytes() > before);
	}

	@Test
	void dirtyTrackingNeedsHttuAndGivesAnHdS1() {
		TestHost h = new TestHost(1, idr -> {
			idr[0] = (int) Regs.IDR0_HTTU.with(idr[0], 2);
			return idr;
		});
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.PER_SMMU);
		ArmDomain d = k.domainAllocPaging(k.master(TestHost.bdf(0)), ArmSmmuV3Kernel.ALLOC_DIRTY_TRACKING);
		assertEquals(ArmDomain.Stage.S1, d.stage());
		assertTrue(d.dirtyTracking());
		assertTrue(d.pageTable().hasQuirk(IoPageTable.Quirk.ARM_HD));
	}

	@Test
	void stageOnlySmmus() {
		TestHost s2only = new TestHost(1, idr -> {
			idr[0] = (int) Regs.IDR0_S1P.with(idr[0], 0);
			return idr;
		});
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(s2only, KernelMode.PER_SMMU);
		Master m = k.master(TestHost.bdf(0));
		assertEquals(ArmDomain.Stage.S2, k.domainAllocPaging(m, 0).stage());
		assertFalse(k.domainAllocPaging(m, 0).nestParent());
		errno(Errno.EOPNOTSUPP, () -> k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_NEST_PARENT));
		errno(Errno.EOPNOTSUPP, () -> k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_PASID));
	}

	// ---- S1 and S2 translate, unmap invalidates

	@Test
	void s1DomainTranslatesAndUnmapReachesTheTlb() {
		TestHost h = new TestHost(1);
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.PER_SMMU);
		Master m = k.master(TestHost.bdf(0));
		ArmSmmuV3 s = m.smmu();
		int sid = TestHost.sid(0);
		ArmDomain d = k.domainAllocPaging(m, 0);
		d.map(IOVA, PA, 0x2000, RWC);
		k.attach(m, d);
		assertEquals(Master.State.PAGING, m.state());
		assertSame(d, m.pagingDomain());

		long[] ste = s.driver().readSte(sid);
		assertEquals(Ste.CFG_S1_TRANS, Ste.CONFIG.get(ste));
		assertEquals(Ste.S1DSS_SSID0, Ste.S1DSS.get(ste));
		long[] cd = h.smmus.get(0).readCd(sid, Event.NO_SSID).words();
		assertEquals(1, Cd.V.get(cd));
		assertEquals(d.tag(s), Cd.ASID.get(cd));
		assertEquals(d.pageTable().ttbr() & Cd.TTB0.mask(), cd[1] & Cd.TTB0.mask());

		Smmu hw = s.smmu();
		translatesVia(hw, sid, IOVA + 0x123, PA + 0x123, Path.WALK);
		translatesVia(hw, sid, IOVA + 0x123, PA + 0x123, Path.TLB_HIT);
		translatesVia(hw, sid, IOVA + 0x1008, PA + 0x1008, Path.WALK);
		CmdRing ring = new CmdRing(s.driver());
		assertEquals(0x1000, d.unmap(IOVA, 0x1000));
		assertEquals(describe(Commands.tlbiNhVa(0, d.tag(s), IOVA, true, 1, 0, 0, 3), Commands.cmdSync()), ring.names());
		assertEquals(Map.of("smmu0", new InvalidationCounters.PerSmmu(1, 0, 1)), d.counters().last());
		Event e = faults(hw, sid, IOVA + 0x123);
		assertEquals(EventType.F_TRANSLATION, e.type());
		assertFalse(e.s2());
		assertEquals(IOVA + 0x123, e.address());
		translatesVia(hw, sid, IOVA + 0x1008, PA + 0x1008, Path.TLB_HIT);
		// nothing unmapped: no invalidation
		assertEquals(0, d.unmap(IOVA, 0x1000));
		assertEquals(List.of(), ring.names());
		assertEquals(1, d.counters().invalidations());
	}

	@Test
	void s2DomainTranslatesAndUnmapReachesTheTlb() {
		TestHost h = new TestHost(1, idr -> {
			idr[0] = (int) Regs.IDR0_S1P.with(idr[0], 0);
			return idr;
		});
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.PER_SMMU);
		Master m = k.master(TestHost.bdf(0));
		ArmSmmuV3 s = m.smmu();
		int sid = TestHost.sid(0);
		ArmDomain d = k.domainAllocPaging(m, 0);
		assertEquals(ArmDomain.Stage.S2, d.stage());
		long iova = 0x40_0000L;
		d.map(iova, PA, 0x20_0000, RWC); // one 2 MiB block
		k.attach(m, d);
		long[] ste = s.driver().readSte(sid);
		assertEquals(Ste.CFG_S2_TRANS, Ste.CONFIG.get(ste));
		assertEquals(d.tag(s), Ste.S2VMID.get(ste));
		assertEquals(d.pageTable().vttbr() & Ste.S2TTB.mask(), Ste.s2ttb(ste));

		Smmu hw = s.smmu();
		translatesVia(hw, sid, iova + 0x1_2345, PA + 0x1_2345, Path.WALK);
		translatesVia(hw, sid, iova + 0x1_2345, PA + 0x1_2345, Path.TLB_HIT);
		CmdRing ring = new CmdRing(s.driver());
		assertEquals(0, d.unmap(iova, 0x1000), "a block is never split");
		assertEquals(0x20_0000, d.unmap(iova, 0x20_0000));
		// the 2 MiB leaf: one range TLBI_S2_IPA with TTL = level 2, no RIL fallback
		assertEquals(describe(Commands.tlbiS2Ipa(d.tag(s), iova, true, 1, 0, 9, 2), Commands.cmdSync()), ring.names());
		Event e = faults(hw, sid, iova + 0x1_2345);
		assertEquals(EventType.F_TRANSLATION, e.type());
		assertTrue(e.s2());
	}

	@Test
	void unmapWithoutRilSendsOneCommandPerPageOrFallsBackToTheFullInvalidation() {
		TestHost h = new TestHost(1, idr -> {
			idr[3] = (int) Regs.IDR3_RIL.with(idr[3], 0);
			return idr;
		});
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.PER_SMMU);
		Master m = k.master(TestHost.bdf(0));
		ArmSmmuV3 s = m.smmu();
		ArmDomain d = k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		k.attach(m, d);
		int vmid = d.tag(s);
		d.map(IOVA, PA, 0x3000, RWC);
		CmdRing ring = new CmdRing(s.driver());
		d.unmap(IOVA, 0x3000);
		assertEquals(describe(Commands.tlbiS2Ipa(vmid, IOVA, true), Commands.tlbiS2Ipa(vmid, IOVA + 0x1000, true),
				Commands.tlbiS2Ipa(vmid, IOVA + 0x2000, true), Commands.cmdSync(), Commands.tlbiNhAll(vmid), Commands.cmdSync()), ring.names());
		// 511 single pages: one command each, below arm64's 512 limit
		for (int i = 0; i < 512; i++) {
			d.map(i * 0x1000L, PA + i * 0x1000L, 0x1000, Prot.READ);
		}
		s.smmu().resetStats();
		assertEquals(511 * 0x1000L, d.unmap(0, 511 * 0x1000L));
		// more than the 256-entry queue: count what the SMMU consumed. An MMU-700 forces a CMD_SYNC after
		// every 63 commands of a batch (CMDQ_FORCE_SYNC): 511 = 8 x 63 + 7, so 9 syncs, then NH_ALL + sync
		assertEquals(Map.of("TLBI_NH_ALL", 1L, "TLBI_S2_IPA", 511L, "CMD_SYNC", 10L), s.smmu().stats().commands());
		ring.take();
		assertEquals(new InvalidationCounters.PerSmmu(512, 0, 10), d.counters().last().get("smmu0"));
		// 512 pages: S12_VMALL, and the paired S1_CLEAR is skipped
		for (int i = 0; i < 511; i++) {
			d.map(i * 0x1000L, PA + i * 0x1000L, 0x1000, Prot.READ);
		}
		ring.take();
		assertEquals(512 * 0x1000L, d.unmap(0, 512 * 0x1000L));
		assertEquals(describe(Commands.tlbiS12Vmall(vmid), Commands.cmdSync()), ring.names());
		assertEquals(new InvalidationCounters.PerSmmu(1, 0, 1), d.counters().last().get("smmu0"));
	}

	@Test
	void aPartWithoutCmdqForceSyncSendsTheWholeBatchBeforeOneSync() {
		// an MMU-600 r2p0: no IIDR rule forces syncs
		TestHost h = TestHost.withSpecs(1, spec -> spec.withIdr(ril0(spec.idr())).withIds(0x4832043b, 2));
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.PER_SMMU);
		Master m = k.master(TestHost.bdf(0));
		ArmSmmuV3 s = m.smmu();
		assertFalse(s.driver().errata().cmdqForceSync());
		ArmDomain d = k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		k.attach(m, d);
		for (int i = 0; i < 511; i++) {
			d.map(i * 0x1000L, PA + i * 0x1000L, 0x1000, Prot.READ);
		}
		s.smmu().resetStats();
		assertEquals(511 * 0x1000L, d.unmap(0, 511 * 0x1000L));
		assertEquals(Map.of("TLBI_NH_ALL", 1L, "TLBI_S2_IPA", 511L, "CMD_SYNC", 2L), s.smmu().stats().commands());
	}

	@Test
	void anMmu700R0p0HostCannotNest() {
		TestHost h = TestHost.withSpecs(1, spec -> spec.withIds(smmu.hw.SmmuSpec.IIDR_MMU700_R0P0, 2));
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.PER_SMMU);
		Master m = k.master(TestHost.bdf(0));
		errno(Errno.EOPNOTSUPP, () -> k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_NEST_PARENT));
		assertFalse(k.viommuSupported(m));
		// plain stage-1 and stage-2 domains still work
		assertEquals(ArmDomain.Stage.S1, k.domainAllocPaging(m, 0).stage());
	}

	private static int[] ril0(int[] idr) {
		idr[3] = (int) Regs.IDR3_RIL.with(idr[3], 0);
		return idr;
	}

	// ---- PER_SMMU: a domain stays on its SMMU

	@Test
	void perSmmuAttachBehindAnotherSmmuIsEinvalAndChangesNothing() {
		TestHost h = new TestHost(2);
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.PER_SMMU);
		Master m0 = k.master(TestHost.bdf(0)), m1 = k.master(TestHost.bdf(1));
		ArmDomain d = k.domainAllocPaging(m0, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		d.map(IOVA, PA, 0x1000, RWC);
		k.attach(m0, d);
		String before = d.invs().toString();
		long[] ste1 = m1.smmu().driver().readSte(TestHost.sid(1));
		CmdRing ring1 = new CmdRing(m1.smmu().driver());
		errno(Errno.EINVAL, () -> k.attach(m1, d));
		assertEquals(before, d.invs().toString());
		assertArrayEquals(ste1, m1.smmu().driver().readSte(TestHost.sid(1)));
		assertEquals(SteAbort.WORD0, ste1[0]);
		assertEquals(List.of(), ring1.names());
		assertEquals(Master.State.NONE, m1.state());
		assertEquals(-1, d.tag(m1.smmu()));
		assertInstanceOf(Aborted.class, read(m1.smmu().smmu(), TestHost.sid(1), IOVA));
		// the domain keeps working on its own SMMU
		translatesVia(m0.smmu().smmu(), TestHost.sid(0), IOVA, PA, Path.WALK);
	}

	// ---- SHARED: one nest-parent S2 across four SMMUs

	@Test
	void sharedNestParentAcrossFourSmmusHasOneVmidPerSmmuAndUnmapReachesEveryTlb() {
		TestHost h = new TestHost(4);
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.SHARED);
		// VMIDs 1..i are taken on smmu i, so the shared domain's tag differs per SMMU: i + 1
		for (int i = 1; i < 4; i++) {
			for (int j = 0; j < i; j++) {
				k.smmus().get(i).vmids().allocate(0xffff);
			}
		}
		Master m0 = k.master(TestHost.bdf(0));
		ArmDomain d = k.domainAllocPaging(m0, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		d.map(IOVA, PA, 0x1000, RWC);
		d.map(IOVA + 0x1000, PA + 0x5000, 0x1000, RWC);
		for (int i = 0; i < 4; i++) {
			Master m = k.master(TestHost.bdf(i));
			k.attach(m, d);
			assertEquals(i + 1, d.tag(m.smmu()));
			assertEquals(i + 1, Ste.S2VMID.get(m.smmu().driver().readSte(TestHost.sid(i))));
		}
		List<Inv> want = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			// share series: no S2_VMID_S1_CLEAR for a device attached to the nest parent itself
			want.add(new Inv(i, Type.S2_VMID, i + 1, 0));
		}
		assertEquals(want, d.invs().live());

		List<CmdRing> rings = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			Smmu hw = k.smmus().get(i).smmu();
			translatesVia(hw, TestHost.sid(i), IOVA + 8, PA + 8, Path.WALK);
			translatesVia(hw, TestHost.sid(i), IOVA + 8, PA + 8, Path.TLB_HIT);
			translatesVia(hw, TestHost.sid(i), IOVA + 0x1010, PA + 0x5010, Path.WALK);
			hw.resetStats();
			rings.add(new CmdRing(k.smmus().get(i).driver()));
		}
		assertEquals(0x1000, d.unmap(IOVA, 0x1000));
		// per SMMU: TLBI_S2_IPA(own VMID) + CMD_SYNC; no vSMMU, so no TLBI_NH_ALL
		for (int i = 0; i < 4; i++) {
			int vmid = i + 1;
			assertEquals(describe(Commands.tlbiS2Ipa(vmid, IOVA, true, 1, 0, 0, 3), Commands.cmdSync()), rings.get(i).names(), "smmu" + i);
			Smmu hw = k.smmus().get(i).smmu();
			assertEquals(Map.of("TLBI_S2_IPA", 1L, "CMD_SYNC", 1L), hw.stats().commands());
			assertEquals(new InvalidationCounters.PerSmmu(1, 0, 1), d.counters().last().get("smmu" + i));
			Event e = faults(hw, TestHost.sid(i), IOVA + 8);
			assertEquals(EventType.F_TRANSLATION, e.type());
			assertTrue(e.s2());
			translatesVia(hw, TestHost.sid(i), IOVA + 0x1010, PA + 0x5010, Path.TLB_HIT);
		}
		assertEquals(4, d.counters().last().size());

		// a device leaves: its SMMU's VMID is flushed and freed, the others stay
		Master m2 = k.master(TestHost.bdf(2));
		k.attachBlocked(m2);
		List<String> left = rings.get(2).names();
		assertEquals(describe(Commands.tlbiS12Vmall(3), Commands.cmdSync()), left.subList(left.size() - 2, left.size()));
		assertFalse(k.smmus().get(2).vmids().isAllocated(3));
		assertEquals(-1, d.tag(k.smmus().get(2)));
		assertEquals(3, d.invs().live().size());
		assertEquals(1, Ste.V.get(m2.smmu().driver().readSte(TestHost.sid(2))));
		assertEquals(Ste.CFG_ABORT, Ste.CONFIG.get(m2.smmu().driver().readSte(TestHost.sid(2))));
		assertInstanceOf(Aborted.class, read(m2.smmu().smmu(), TestHost.sid(2), IOVA + 0x1010));
		d.unmap(IOVA + 0x1000, 0x1000);
		assertEquals(3, d.counters().last().size());
		assertFalse(d.counters().last().containsKey("smmu2"));
		assertEquals(List.of(), rings.get(2).names());
		errno(Errno.EBUSY, () -> k.domainFree(d));
	}

	@Test
	void sharedS1DomainGetsAGlobalAsidPerSmmu() {
		TestHost h = new TestHost(2);
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.SHARED);
		Master m0 = k.master(TestHost.bdf(0)), m1 = k.master(TestHost.bdf(1));
		ArmDomain d = k.domainAllocPaging(m0, 0);
		d.map(IOVA, PA, 0x1000, RWC);
		k.attach(m0, d);
		k.attach(m1, d);
		int a0 = d.tag(m0.smmu()), a1 = d.tag(m1.smmu());
		assertNotEquals(a0, a1, "one global ASID space");
		assertEquals(a1, Cd.ASID.get(h.smmus.get(1).readCd(TestHost.sid(1), Event.NO_SSID).words()));
		translatesVia(h.smmus.get(1), TestHost.sid(1), IOVA, PA, Path.WALK);
		translatesVia(h.smmus.get(1), TestHost.sid(1), IOVA, PA, Path.TLB_HIT);
		CmdRing r1 = new CmdRing(m1.smmu().driver());
		d.unmap(IOVA, 0x1000);
		assertEquals(describe(Commands.tlbiNhVa(0, a1, IOVA, true, 1, 0, 0, 3), Commands.cmdSync()), r1.names());
		assertInstanceOf(Aborted.class, read(h.smmus.get(1), TestHost.sid(1), IOVA));
		// detach both: both ASIDs flushed and freed; the domain can then be freed
		k.attachIdentity(m0);
		k.attachIdentity(m1);
		assertEquals(List.of(), d.invs().live());
		assertFalse(k.asids().isAllocated(a0));
		assertFalse(k.asids().isAllocated(a1));
		translatesVia(h.smmus.get(1), TestHost.sid(1), IOVA, IOVA, Path.BYPASS);
		k.domainFree(d);
	}

	@Test
	void canShareChecksStageGranuleOasAndFwb() {
		TestHost h = new TestHost(4);
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.SHARED);
		ArmDomain np = k.domainAllocPaging(k.master(TestHost.bdf(0)), ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		for (ArmSmmuV3 s : k.smmus()) {
			assertTrue(k.canShare(np, s));
		}
		TestHost other = new TestHost(1);
		// a host whose SMMUs lack S2, the 4K granule, 48-bit OAS or FWB
		TestHost weak0 = new TestHost(1, idr -> {
			idr[0] = (int) Regs.IDR0_S2P.with(idr[0], 0);
			return idr;
		});
		TestHost weak1 = new TestHost(1, idr -> {
			idr[5] = (int) Regs.IDR5_GRAN4K.with(idr[5], 0);
			return idr;
		});
		TestHost weak2 = new TestHost(1, idr -> {
			idr[5] = (int) Regs.IDR5_OAS.with(idr[5], 4);
			return idr;
		});
		TestHost weak3 = new TestHost(1, idr -> {
			idr[3] = (int) Regs.IDR3_FWB.with(idr[3], 0);
			return idr;
		});
		for (TestHost w : List.of(weak0, weak1, weak2, weak3)) {
			ArmSmmuV3 ws = new ArmSmmuV3Kernel(w, KernelMode.SHARED).smmus().get(0);
			assertFalse(k.canShare(np, ws), ws.features().toString());
		}
		assertTrue(k.canShare(np, new ArmSmmuV3Kernel(other, KernelMode.SHARED).smmus().get(0)));
		// the FWB-less SMMU can still share a plain (non nest-parent) S2
		TestHost s2only = new TestHost(1, idr -> {
			idr[0] = (int) Regs.IDR0_S1P.with(idr[0], 0);
			return idr;
		});
		ArmSmmuV3Kernel ks = new ArmSmmuV3Kernel(s2only, KernelMode.SHARED);
		ArmDomain plain = ks.domainAllocPaging(ks.master(TestHost.bdf(0)), 0);
		assertTrue(ks.canShare(plain, new ArmSmmuV3Kernel(weak3, KernelMode.SHARED).smmus().get(0)));
	}

	@Test
	void sharedAttachToAnSmmuThatCannotShareIsEinval() {
		// the second SMMU has no S2FWB, so it cannot take a nest parent with the S2FWB quirk
		TestHost mixed = new TestHost(2, new java.util.function.UnaryOperator<int[]>() {
			int n;

			@Override
			public int[] apply(int[] idr) {
				if (n++ == 1) {
					idr[3] = (int) Regs.IDR3_FWB.with(idr[3], 0);
				}
				return idr;
			}
		});
		ArmSmmuV3Kernel km = new ArmSmmuV3Kernel(mixed, KernelMode.SHARED);
		ArmDomain np = km.domainAllocPaging(km.master(TestHost.bdf(0)), ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		Master m1 = km.master(TestHost.bdf(1));
		long[] ste = m1.smmu().driver().readSte(TestHost.sid(1));
		errno(Errno.EINVAL, () -> km.attach(m1, np));
		assertEquals(0, km.smmus().get(1).vmids().inUse());
		assertEquals(List.of(), np.invs().live());
		assertArrayEquals(ste, m1.smmu().driver().readSte(TestHost.sid(1)));
		assertEquals(Master.State.NONE, m1.state());
	}

	// ---- detach flushes, blocked / identity, free

	@Test
	void lastDetachFlushesTheTagAndIdentityBypasses() {
		TestHost h = new TestHost(1);
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.PER_SMMU);
		Master m = k.master(TestHost.bdf(0));
		ArmSmmuV3 s = m.smmu();
		int sid = TestHost.sid(0);
		ArmDomain d = k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		d.map(IOVA, PA, 0x1000, RWC);
		k.attach(m, d);
		translatesVia(s.smmu(), sid, IOVA, PA, Path.WALK);
		CmdRing ring = new CmdRing(s.driver());
		k.attachIdentity(m);
		List<String> cmds = ring.names();
		assertEquals(describe(Commands.tlbiS12Vmall(d.tag(s)), Commands.cmdSync()), cmds.subList(cmds.size() - 2, cmds.size()));
		assertEquals(Master.State.IDENTITY, m.state());
		assertEquals(0x9, s.driver().readSte(sid)[0]);
		translatesVia(s.smmu(), sid, IOVA, IOVA, Path.BYPASS);
		assertEquals(0, d.invs().size());
		// PER_SMMU: the VMID stays the domain's until it is freed
		assertTrue(s.vmids().isAllocated(d.tag(s)));
		k.attachBlocked(m);
		assertEquals(0x1, s.driver().readSte(sid)[0]);
		assertEquals(List.of(), ring.names().stream().filter(c -> c.startsWith("TLBI")).toList());
		int vmid = d.tag(s);
		k.domainFree(d);
		assertFalse(s.vmids().isAllocated(vmid));
		assertThrows(IllegalStateException.class, () -> d.map(0, 0, 0x1000, RWC));
		assertThrows(IllegalStateException.class, () -> k.attach(m, d));
	}

	@Test
	void switchingS1ToS2ClearsTheCdAndMovesTheEntries() {
		TestHost h = new TestHost(1);
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.PER_SMMU);
		Master m = k.master(TestHost.bdf(0));
		ArmSmmuV3 s = m.smmu();
		int sid = TestHost.sid(0);
		ArmDomain s1 = k.domainAllocPaging(m, 0), s2 = k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		s1.map(IOVA, PA, 0x1000, RWC);
		s2.map(IOVA, PA + 0x10_0000, 0x1000, RWC);
		k.attach(m, s1);
		translatesVia(s.smmu(), sid, IOVA, PA, Path.WALK);
		assertEquals(List.of(new Inv(0, Type.S1_ASID, s1.tag(s), 0)), s1.invs().live());
		k.attach(m, s2);
		assertEquals(List.of(), s1.invs().live());
		assertEquals(List.of(new Inv(0, Type.S2_VMID, s2.tag(s), 0), new Inv(0, Type.S2_VMID_S1_CLEAR, s2.tag(s), 0)), s2.invs().live());
		assertEquals(Ste.CFG_S2_TRANS, Ste.CONFIG.get(s.driver().readSte(sid)));
		assertEquals(0, Cd.V.get(s.driver().readCd(m.cdTable, 0)));
		translatesVia(s.smmu(), sid, IOVA, PA + 0x10_0000, Path.WALK);
		// the same domain again: users stay 1
		k.attach(m, s2);
		assertEquals(1, s2.invs().usersOf(new Inv(0, Type.S2_VMID, s2.tag(s), 0)));
	}

	@Test
	void s2AttachWhilePasidsAreInUseIsEbusy() {
		TestHost h = new TestHost(1);
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.PER_SMMU);
		Master m = k.master(TestHost.bdf(0));
		ArmSmmuV3 s = m.smmu();
		m.cdTable = s.driver().allocCdTable(2);
		ArmDomain s1 = k.domainAllocPaging(m, 0), s2 = k.domainAllocPaging(m, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		k.attach(m, s1);
		// a PASID domain on SSID 1
		s.driver().writeCd(m.cdTable, 1, smmu.hw.driver.CdBuilder.s1(s1.pageTable(), s1.tag(s), false), m.sids());
		long[] ste = s.driver().readSte(TestHost.sid(0));
		errno(Errno.EBUSY, () -> k.attach(m, s2));
		ArmVsmmu v = k.vsmmuInit(m, s2);
		errno(Errno.EBUSY, () -> k.attachNested(m, v.allocDomainNested(0, 0, 0)));
		assertArrayEquals(ste, s.driver().readSte(TestHost.sid(0)));
		assertEquals(List.of(), s2.invs().live());
		s.driver().writeCd(m.cdTable, 1, smmu.hw.driver.CdBuilder.clear(), m.sids());
		k.attach(m, s2);
		assertEquals(Master.State.PAGING, m.state());
	}

	@Test
	void mapErrorsAreErrnos() {
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(new TestHost(1), KernelMode.PER_SMMU);
		ArmDomain d = k.domainAllocPaging(k.master(TestHost.bdf(0)), 0);
		d.map(IOVA, PA, 0x1000, RWC);
		errno(Errno.EEXIST, () -> d.map(IOVA, PA, 0x1000, RWC));
		errno(Errno.EINVAL, () -> d.map(IOVA + 1, PA, 0x1000, RWC));
		errno(Errno.EINVAL, () -> d.map(IOVA + 0x1000, PA, 0x1000, Prot.CACHE));
		errno(Errno.ERANGE, () -> d.map(1L << 48, PA, 0x1000, RWC));
		assertTrue(d.tableBytes() >= 4 * 4096);
	}

	/** Word 0 of an abort STE. */
	static final class SteAbort {
		static final long WORD0 = 0x1;
	}
}
