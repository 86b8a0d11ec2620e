package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import smmu.hw.arch.Cmd;
import smmu.hw.arch.Ste;
import smmu.hw.driver.Commands;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.HwptInvalidate;
import smmu.iommufd.VdeviceAlloc;
import smmu.iommufd.Vevent;
import smmu.iommufd.VeventqAlloc;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.arm.KernelMode;

/**
 * Faults delivered by the event thread while the VMM reads the vEVENTQ and issues invalidations on
 * the same SMMU: no deadlock between the context, the kernel, the driver and the SMMU's locks, and
 * every recorded event is either read with the vSID or was lost by a full queue.
 */
class EventConcurrencyTest extends DeviceFixture {
	static final long GPA = 0x4000_0000L;
	static final int FAULTS = 3000, VSID = 0x33;

	@Test
	void faultsReadsAndInvalidationsInParallel() {
		assertTimeoutPreemptively(Duration.ofSeconds(60), this::run);
	}

	void run() throws Exception {
		boot(KernelMode.PER_SMMU);
		int d = ctx.bindDevice(BDF0);
		int ioas = ioas();
		map(ioas, VA, RAM, GPA);
		int s2 = paging(HwptAlloc.NEST_PARENT, d, ioas);
		int v = ctx.viommuAlloc(ViommuAlloc.arm(d, s2)).outViommuId();
		ctx.vdeviceAlloc(VdeviceAlloc.request(v, d, VSID));
		int q = ctx.veventqAlloc(VeventqAlloc.arm(v, 1 << 20)).outVeventqId();
		// a guest STE whose CD pointer is guest RAM full of zeros: CD.V = 0, every DMA records C_BAD_CD
		long vste = put(SCRATCH, Ste.V.mask() | (long) Ste.CFG_S1_TRANS << 1 | GPA, 0);
		ctx.attachDevice(d, ctx.hwptAlloc(HwptAlloc.nestedArm(d, v, vste)).outHwptId());
		long[] tlbi = Commands.tlbiNhAll(0);
		long cmds = put(SCRATCH + 0x100, tlbi[0], tlbi[1]);

		ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
		List<Vevent> read = new ArrayList<>();
		AtomicBoolean done = new AtomicBoolean();
		Thread dma = new Thread(() -> {
			try {
				for (int i = 0; i < FAULTS; i++) {
					aborts(smmu(0), SID0, 0x1000L * i);
				}
			} catch (Throwable e) {
				errors.add(e);
			}
			done.set(true);
		});
		Thread vmm = new Thread(() -> {
			try {
				while (!done.get()) {
					read.addAll(ctx.veventqRead(q, 64 * Vevent.ARM_SMMUV3_BYTES));
					ctx.hwptInvalidate(new HwptInvalidate(v, cmds, HwptInvalidate.DATA_ARM_SMMUV3, 16, 1));
				}
			} catch (Throwable e) {
				errors.add(e);
			}
		});
		dma.start();
		vmm.start();
		dma.join();
		vmm.join();
		host.awaitInterrupts();
		read.addAll(ctx.veventqRead(q, Integer.MAX_VALUE));
		assertTrue(errors.isEmpty(), errors.toString());
		var stats = smmu(0).stats();
		assertEquals(FAULTS, stats.eventsRecorded() + stats.eventsLost());
		assertEquals(stats.eventsRecorded(), read.size(), "every recorded event was forwarded and read");
		for (int i = 0; i < read.size(); i++) {
			Vevent e = read.get(i);
			assertEquals(i, e.sequence());
			assertEquals(VSID, Cmd.SID.get(e.evt()));
		}
		assertEquals(read.size(), kernel.eventTotals().forwarded());
	}
}
