package smmu.iommufd.arm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.hw.EventType;
import smmu.hw.Smmu;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Path;
import smmu.hw.TranslationResult.Translated;
import smmu.hw.arch.Ste;
import smmu.hw.driver.Prot;
import smmu.hw.driver.SmmuDriver;
import smmu.hw.testing.TestHost;

/**
 * The host kernel in E2H mode (issue 10.1): stage-1 STEs are STRW = EL2 (EL2-E2H with CR2.E2H) and stage-1
 * invalidations are TLBI_EL2_*. The hardware must tag those entries by ASID alone and the EL2 commands must
 * reach them.
 */
class E2hTest {
	static final long IOVA = 0x10_0000L, PA_A = 0x2_0000_0000L, PA_B = 0x3_0000_0000L;
	static final int RW = Prot.READ | Prot.WRITE | Prot.CACHE;

	final TestHost host = new TestHost(2, SmmuDriver.Options.DEFAULT.withKernelE2h(true));
	final ArmSmmuV3Kernel kernel = new ArmSmmuV3Kernel(host, KernelMode.PER_SMMU);

	static TranslationResult read(Smmu s, int sid, long iova) {
		return s.translate(TranslationRequest.read(sid, iova));
	}

	static long pa(Smmu s, int sid, long iova) {
		TranslationResult r = read(s, sid, iova);
		return assertInstanceOf(Translated.class, r, r::toString).pa();
	}

	@Test
	void unmapReachesTheDeviceInE2hMode() {
		Master m = kernel.master(TestHost.bdf(0));
		int sid = TestHost.sid(0);
		ArmDomain d = kernel.domainAllocPaging(m, 0);
		d.map(IOVA, PA_A, 0x2000, RW);
		kernel.attach(m, d);
		assertEquals(2, Ste.STRW.get(m.smmu().driver().readSte(sid)), "STRW = EL2");
		Smmu hw = m.smmu().smmu();
		assertEquals(PA_A + 8, pa(hw, sid, IOVA + 8));
		assertEquals(Path.TLB_HIT, ((Translated) read(hw, sid, IOVA + 8)).path());
		CmdRing ring = new CmdRing(m.smmu().driver());
		assertEquals(0x1000, d.unmap(IOVA, 0x1000));
		assertTrue(ring.names().get(0).startsWith("TLBI_EL2_VA"), ring.names()::toString);
		Aborted a = assertInstanceOf(Aborted.class, read(hw, sid, IOVA + 8));
		assertEquals(EventType.F_TRANSLATION, a.event().type());
		assertEquals(PA_A + 0x1008, pa(hw, sid, IOVA + 0x1008));
	}

	@Test
	void asidReuseAcrossTwoStage1DomainsDoesNotLeak() {
		Master m = kernel.master(TestHost.bdf(0));
		int sid = TestHost.sid(0);
		Smmu hw = m.smmu().smmu();
		ArmDomain a = kernel.domainAllocPaging(m, 0);
		a.map(IOVA, PA_A, 0x1000, RW);
		kernel.attach(m, a);
		int asid = a.tag(m.smmu());
		assertEquals(PA_A, pa(hw, sid, IOVA));
		kernel.attachBlocked(m);
		kernel.domainFree(a);
		ArmDomain b = kernel.domainAllocPaging(m, 0);
		b.map(IOVA, PA_B, 0x1000, RW);
		kernel.attach(m, b);
		assertEquals(asid, b.tag(m.smmu()), "the freed ASID is reused");
		assertEquals(PA_B, pa(hw, sid, IOVA), "the new domain's page, not the freed domain's");
	}

	@Test
	void eachSmmuKeepsItsOwnEntriesApartFromTheOtherRegimes() {
		// two masters, one per SMMU, each with its own domain: unmapping one leaves the other's entries
		Master m0 = kernel.master(TestHost.bdf(0)), m1 = kernel.master(TestHost.bdf(1));
		ArmDomain d0 = kernel.domainAllocPaging(m0, 0), d1 = kernel.domainAllocPaging(m1, 0);
		d0.map(IOVA, PA_A, 0x1000, RW);
		d1.map(IOVA, PA_B, 0x1000, RW);
		kernel.attach(m0, d0);
		kernel.attach(m1, d1);
		Smmu s0 = m0.smmu().smmu(), s1 = m1.smmu().smmu();
		assertEquals(PA_A, pa(s0, TestHost.sid(0), IOVA));
		assertEquals(PA_B, pa(s1, TestHost.sid(1), IOVA));
		d0.unmap(IOVA, 0x1000);
		assertInstanceOf(Aborted.class, read(s0, TestHost.sid(0), IOVA));
		assertEquals(Path.TLB_HIT, ((Translated) read(s1, TestHost.sid(1), IOVA)).path());
		assertEquals(List.of(), s1.stats().faults().keySet().stream().toList());
	}
}
