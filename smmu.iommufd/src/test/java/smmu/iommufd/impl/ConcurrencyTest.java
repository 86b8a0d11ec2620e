package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.junit.jupiter.api.Test;

import smmu.iommufd.IoasUnmap;

/** Calls on one context from several threads serialize: areas never overlap, pins add up. */
class ConcurrencyTest extends Fixture {
	@Test
	void parallelMapsAndUnmapsKeepTheIoasConsistent() throws Exception {
		int ioas = ioas();
		ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
		List<Thread> threads = new ArrayList<>();
		for (int t = 0; t < 4; t++) {
			int seed = t;
			threads.add(new Thread(() -> {
				try {
					for (int i = 0; i < 200; i++) {
						long iova = mapAuto(ioas, VA + ((seed * 200L + i) % 1000) * PAGE, PAGE * (1 + i % 3));
						if (i % 2 == 0) {
							ctx.ioasUnmap(new IoasUnmap(ioas, iova, PAGE * (1 + i % 3)));
						}
					}
				} catch (Throwable e) {
					errors.add(e);
				}
			}));
		}
		threads.forEach(Thread::start);
		for (Thread t : threads) {
			t.join();
		}
		assertTrue(errors.isEmpty(), errors.toString());
		List<Area> areas = iopt(ioas).areas();
		assertEquals(400, areas.size());
		long pages = 0;
		for (int i = 1; i < areas.size(); i++) {
			assertTrue(areas.get(i - 1).last() < areas.get(i).iova());
		}
		for (Area a : areas) {
			pages += a.pages().npages();
		}
		assertEquals(pages, ctx.pinnedPages());
	}
}
