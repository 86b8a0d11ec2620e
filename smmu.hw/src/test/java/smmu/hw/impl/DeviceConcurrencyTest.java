package smmu.hw.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import smmu.hw.CacheStats;
import smmu.hw.Event;
import smmu.hw.FrameAllocator;
import smmu.hw.Smmu;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.StreamPort;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Path;
import smmu.hw.TranslationResult.Translated;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.hw.driver.CdBuilder;
import smmu.hw.driver.CdTable;
import smmu.hw.driver.Commands;
import smmu.hw.driver.IoPageTable;
import smmu.hw.driver.Prot;
import smmu.hw.driver.SmmuDriver;
import smmu.hw.driver.SteBuilder;

/**
 * Several threads translate through a whole SMMU while one thread unmaps, remaps and invalidates through
 * the command queue (TLBI + CMD_SYNC, as the driver does) and another writes registers at random: once the
 * CMD_SYNC of an invalidation has completed, no translation that starts afterwards returns the page it
 * removed; streams nobody touches keep translating to their page. Both kernel modes (NS-EL1 and E2H).
 * Half the readers go through their {@link StreamPort}s first. Fixed seeds; the length grows with
 * -Dsmmu.stress.ms (default 400 ms per case).
 */
class DeviceConcurrencyTest {
	static final long IOVA = 0x40_0000L, BASE = 0x2_0000_0000L, STEP = 0x10_0000L, STABLE = 0x3_0000_0000L;
	static final int RW = Prot.READ | Prot.WRITE | Prot.CACHE;
	static final int READERS = 4, STREAMS = 4;

	@ParameterizedTest(name = "e2h={0}")
	@ValueSource(booleans = { false, true })
	void noTranslationReturnsAnUnmappedPageAfterItsSyncCompleted(boolean e2h) throws Exception {
		SparseMemory mem = new SparseMemory(48);
		FrameAllocator alloc = new FrameAllocator(mem, 0x8000_0000L, 0x1_0000_0000L);
		SmmuDevice dev = SmmuDevice.create(SmmuSpec.mmu700("s", 0), mem);
		SmmuDriver drv = SmmuDriver.probe(dev, mem, alloc, SmmuDriver.Options.DEFAULT.withKernelE2h(e2h));
		drv.init();
		// stream 1: the page that moves (ASID 1); streams 2..STREAMS: stable pages (their own ASIDs), plus a
		// stable second page in stream 1's own table
		IoPageTable moving = null;
		for (int sid = 1; sid <= STREAMS; sid++) {
			IoPageTable pt = IoPageTable.allocate(IoPageTable.Config.s1(4096, 48, 48), alloc);
			pt.map(IOVA, sid == 1 ? BASE : STABLE + sid * STEP, 0x1000, RW);
			pt.map(IOVA + 0x1000, STABLE + sid * STEP + 0x1000, 0x1000, RW);
			CdTable t = drv.allocCdTable(0);
			drv.writeCd(t, 0, CdBuilder.s1(pt, sid, false), sid);
			drv.ensureL2(sid);
			drv.writeSte(sid, SteBuilder.cdTable(drv.features(), t, Ste.S1DSS_SSID0, false, false));
			if (sid == 1) {
				moving = pt;
			}
		}
		IoPageTable pt1 = moving;
		AtomicLong published = new AtomicLong(); // the version whose invalidation's CMD_SYNC completed
		AtomicReference<String> failure = new AtomicReference<>();
		AtomicBoolean done = new AtomicBoolean();
		AtomicLong translations = new AtomicLong();
		long until = System.nanoTime() + Long.getLong("smmu.stress.ms", 400) * 1_000_000L;
		Thread writer = new Thread(() -> {
			try {
				for (long v = 1; (v <= 300 || System.nanoTime() < until) && failure.get() == null; v++) {
					// unmap, invalidate, sync: from here on the old page must be unreachable
					pt1.unmap(IOVA, 0x1000);
					drv.submitAndSync(e2h ? Commands.tlbiEl2Va(1, IOVA, true, 0, 0, 0, 0) : Commands.tlbiNhVa(0, 1, IOVA, true));
					published.set(v);
					pt1.map(IOVA, BASE + v * STEP, 0x1000, RW);
					// unrelated invalidations: they must not disturb the stable streams' translations
					if ((v & 7) == 0) {
						drv.submitAndSync(e2h ? Commands.tlbiEl2Asid(99) : Commands.tlbiNhAsid(0, 99));
					}
				}
			} catch (RuntimeException e) {
				failure.compareAndSet(null, "writer: " + e);
			} finally {
				done.set(true);
			}
		});
		Thread registers = new Thread(() -> {
			Random r = new Random(5);
			while (!done.get()) {
				switch (r.nextInt(5)) {
					case 0 -> dev.write32(Regs.IRQ_CTRL, r.nextInt(8));
					case 1 -> dev.write32(Regs.GBPA, Regs.GBPA_UPDATE);
					case 2 -> dev.write32(Regs.CR1, dev.read32(Regs.CR1));
					case 3 -> dev.stats();
					default -> dev.write64(Regs.STRTAB_BASE, r.nextLong()); // ignored while SMMUEN
				}
				Thread.onSpinWait();
			}
		});
		List<Thread> readers = new ArrayList<>();
		for (int n = 0; n < READERS; n++) {
			int seed = n;
			readers.add(new Thread(() -> {
				Random r = new Random(seed);
				// odd readers try their StreamPorts first, as a device model's DMA does
				StreamPort[] ports = new StreamPort[STREAMS + 1];
				for (int sid = 1; seed % 2 == 1 && sid <= STREAMS; sid++) {
					ports[sid] = dev.port(sid, Event.NO_SSID);
				}
				while (!done.get() && failure.get() == null) {
					int sid = 1 + r.nextInt(STREAMS);
					long page = IOVA + (r.nextInt(4) == 0 ? 0x1000 : 0);
					long min = published.get();
					long cached = ports[sid] == null ? Smmu.NOT_CACHED : ports[sid].translateCached(page + 8, false);
					TranslationResult res = cached != Smmu.NOT_CACHED ? new Translated(cached, Path.TLB_HIT)
							: dev.translate(TranslationRequest.read(sid, page + 8));
					translations.incrementAndGet();
					if (sid == 1 && page == IOVA) {
						if (!(res instanceof Translated t)) {
							continue; // unmapped at this moment: a fault is right
						}
						long version = (t.pa() - 8 - BASE) / STEP;
						if (version < min) {
							failure.compareAndSet(null, "version " + version + " after the sync of unmap " + min);
						}
					} else {
						long want = STABLE + sid * STEP + (page - IOVA) + 8;
						if (!(res instanceof Translated t) || t.pa() != want) {
							failure.compareAndSet(null, "stable sid " + sid + ": " + res);
						}
					}
				}
			}));
		}
		readers.forEach(Thread::start);
		registers.start();
		writer.start();
		writer.join();
		registers.join();
		for (Thread t : readers) {
			t.join();
		}
		assertNull(failure.get());
		assertTrue(translations.get() > 1000, "translations: " + translations.get());
		long last = published.get();
		assertEquals(BASE + last * STEP, ((Translated) dev.translate(TranslationRequest.read(1, IOVA))).pa());
		CacheStats utlb = dev.stats().cache("utlb");
		assertTrue(utlb.hits() > 0, "the micro-TLB served stable streams despite the invalidations: " + utlb);
	}
}
