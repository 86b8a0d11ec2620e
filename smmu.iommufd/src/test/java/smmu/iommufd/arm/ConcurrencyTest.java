package smmu.iommufd.arm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static smmu.iommufd.arm.PagingDomainTest.translatesVia;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import smmu.hw.testing.TestHost;
import smmu.hw.Smmu;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Path;
import smmu.hw.driver.Prot;
import smmu.iommufd.arm.Invs.Inv;
import smmu.iommufd.arm.Invs.Type;

/** Unmaps on one thread while another attaches and detaches a second SMMU's device to the same domain. */
class ConcurrencyTest {

	@Test
	void unmapInvalidatesWhileTheArrayIsRepublished() throws Exception {
		TestHost h = new TestHost(2);
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.SHARED);
		Master m0 = k.master(TestHost.bdf(0)), m1 = k.master(TestHost.bdf(1));
		ArmDomain d = k.domainAllocPaging(m0, ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		k.attach(m0, d);
		Smmu hw0 = m0.smmu().smmu();
		int sid0 = TestHost.sid(0);
		AtomicReference<Throwable> failure = new AtomicReference<>();
		Thread mapper = new Thread(() -> {
			try {
				for (int i = 0; i < 300; i++) {
					long iova = 0x100_0000L + 0x1000L * (i % 64);
					long pa = 0x2_0000_0000L + 0x1000L * i;
					d.map(iova, pa, 0x1000, Prot.READ | Prot.WRITE);
					translatesVia(hw0, sid0, iova, pa, Path.WALK);
					translatesVia(hw0, sid0, iova, pa, Path.TLB_HIT);
					assertEquals(0x1000, d.unmap(iova, 0x1000));
					assertInstanceOf(Aborted.class, hw0.translate(TranslationRequest.read(sid0, iova)), "iteration " + i);
				}
			} catch (Throwable t) {
				failure.compareAndSet(null, t);
			}
		});
		Thread attacher = new Thread(() -> {
			try {
				for (int i = 0; i < 300; i++) {
					k.attach(m1, d);
					k.attachBlocked(m1);
				}
			} catch (Throwable t) {
				failure.compareAndSet(null, t);
			}
		});
		mapper.start();
		attacher.start();
		mapper.join();
		attacher.join();
		assertNull(failure.get());
		assertEquals(List.of(new Inv(0, Type.S2_VMID, 1, 0)), d.invs().live());
		assertEquals(0, m1.smmu().vmids().inUse());
		assertEquals(300, d.counters().invalidations());

		k.attach(m1, d);
		Smmu hw1 = m1.smmu().smmu();
		d.map(0x5000, 0x3_0000_0000L, 0x1000, Prot.READ);
		translatesVia(hw1, TestHost.sid(1), 0x5000, 0x3_0000_0000L, Path.WALK);
		translatesVia(hw1, TestHost.sid(1), 0x5000, 0x3_0000_0000L, Path.TLB_HIT);
		d.unmap(0x5000, 0x1000);
		assertInstanceOf(Aborted.class, hw1.translate(TranslationRequest.read(TestHost.sid(1), 0x5000)));
	}
}
