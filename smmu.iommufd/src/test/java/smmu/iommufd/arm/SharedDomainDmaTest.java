package smmu.iommufd.arm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import smmu.hw.testing.TestHost;
import smmu.hw.Smmu;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.driver.Prot;

/**
 * DMA from devices behind four SMMUs through one shared stage-2 domain, on four threads, while a fifth
 * thread maps, unmaps and so invalidates pages of that domain. Checked on every access: no translation
 * that starts after an unmap (and its invalidation) returned gives the page; none faults, or gives
 * another address, for a page mapped throughout.
 */
class SharedDomainDmaTest {
	private static final int RW = Prot.READ | Prot.WRITE | Prot.CACHE;
	private static final long STABLE = 0x1000_0000L, CHURN = 0x2000_0000L, CHURN_PAGES = 8;

	@Test
	void noStaleTranslationAndNoFaultOnStablePagesUnderConcurrentUnmaps() throws Exception {
		TestHost h = new TestHost(4);
		ArmSmmuV3Kernel k = new ArmSmmuV3Kernel(h, KernelMode.SHARED);
		ArmDomain d = k.domainAllocPaging(k.masters().get(0), ArmSmmuV3Kernel.ALLOC_NEST_PARENT);
		k.masters().forEach(m -> k.attach(m, d));
		long stablePa = h.allocator.allocate(16 * 4096, 4096);
		d.map(STABLE, stablePa, 16 * 4096, RW);
		long[] churnPa = { h.allocator.allocate(CHURN_PAGES * 4096, 4096), h.allocator.allocate(CHURN_PAGES * 4096, 4096) };
		// per churn page: state = seq % 4: 0 unmapped and invalidated, 1 mapping, 2 mapped, 3 unmapping
		AtomicLong[] seq = new AtomicLong[(int) CHURN_PAGES];
		long[] currentPa = new long[(int) CHURN_PAGES];
		for (int i = 0; i < CHURN_PAGES; i++) {
			seq[i] = new AtomicLong();
		}
		AtomicBoolean stop = new AtomicBoolean();
		ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
		AtomicLong checked = new AtomicLong();

		List<Thread> dma = new ArrayList<>();
		for (int s = 0; s < 4; s++) {
			Smmu smmu = h.smmus.get(s);
			int sid = TestHost.sid(s);
			dma.add(new Thread(() -> {
				long n = 0;
				while (!stop.get()) {
					n++;
					long off = (n * 0x1238) & 0xfff8;
					TranslationResult r = smmu.translate(TranslationRequest.read(sid, STABLE + off));
					if (!(r instanceof TranslationResult.Translated t) || t.pa() != stablePa + off) {
						violations.add(smmu.id() + ": stable page " + Long.toHexString(STABLE + off) + " gave " + r);
					}
					int p = (int) (n % CHURN_PAGES);
					long iova = CHURN + 4096L * p;
					long before = seq[p].get();
					long expectPa = currentPa[p];
					r = smmu.translate(TranslationRequest.write(sid, iova + 8));
					if (seq[p].get() == before) {
						if (before % 4 == 0 && r.ok()) {
							violations.add(smmu.id() + ": unmapped page " + Long.toHexString(iova) + " still translated: " + r);
						} else if (before % 4 == 2 && !(r instanceof TranslationResult.Translated t && t.pa() == expectPa + 8)) {
							violations.add(smmu.id() + ": mapped page " + Long.toHexString(iova) + " gave " + r);
						}
					}
					checked.incrementAndGet();
				}
			}, "dma-" + s));
		}
		Thread mapper = new Thread(() -> {
			for (int cycle = 0; cycle < 600 && violations.isEmpty(); cycle++) {
				for (int p = 0; p < CHURN_PAGES; p++) {
					long iova = CHURN + 4096L * p, pa = churnPa[cycle & 1] + 4096L * p;
					seq[p].incrementAndGet(); // 1: mapping
					d.map(iova, pa, 4096, RW);
					currentPa[p] = pa;
					seq[p].incrementAndGet(); // 2: mapped
				}
				Thread.yield();
				for (int p = 0; p < CHURN_PAGES; p++) {
					seq[p].incrementAndGet(); // 3: unmapping
					assertEquals(4096, d.unmap(CHURN + 4096L * p, 4096));
					seq[p].incrementAndGet(); // 0: unmapped, invalidated on every SMMU
				}
			}
		}, "mapper");
		dma.forEach(Thread::start);
		mapper.start();
		mapper.join(60_000);
		stop.set(true);
		for (Thread t : dma) {
			t.join(10_000);
		}
		assertTrue(violations.isEmpty(), () -> violations.size() + " violations, first: " + violations.peek());
		assertTrue(checked.get() > 10_000, "too few accesses checked: " + checked.get());
		// every SMMU's TLB was used and invalidated, with its own VMID
		for (Smmu s : h.smmus) {
			assertTrue(s.stats().cache("tlb").hits() > 0, s.id());
			assertTrue(s.stats().commands().getOrDefault("TLBI_S2_IPA", 0L) >= 600 * CHURN_PAGES, s.id());
		}
	}
}
