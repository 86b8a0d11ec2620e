package smmu.accel.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import smmu.hw.testing.TestHost;
import smmu.accel.guest.DmaBuffer;
import smmu.accel.vsmmu.AccelVsmmu;
import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.arch.Ste;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.ObjectType;
import smmu.iommufd.arm.ArmSmmuV3Kernel;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.impl.HostKernel;
import smmu.iommufd.impl.IommufdComponent;
import smmu.vfio.DmaResult;

/**
 * A running VM with two vSMMUs over two physical SMMUs (two devices each) swapped shared ->
 * per-instance -> shared while three threads DMA to mapped buffers: every access lands on the right
 * host pages with the right bytes and none faults; object counts, stage-2 bytes and STE write modes.
 */
class Stage2SwapTest {
	static final long RAM = 64L << 20;
	static final String[] DEVS = { "dev0", "dev1", "dev2", "dev3" };
	static final BinaryOperator<String> PER_INSTANCE = (vm, v) -> vm + "/" + v;

	TestHost hw;
	HostKernel kernel;
	Vm vm;

	@AfterEach
	void shutdown() {
		if (vm != null) {
			vm.close();
		}
		if (kernel != null) {
			kernel.deactivate();
		}
	}

	Vm start(KernelMode mode) {
		hw = new TestHost(2, 4, UnaryOperator.identity());
		kernel = new HostKernel(hw, mode);
		IommufdComponent iommufd = new IommufdComponent(kernel);
		vm = new Vm("vm0", hw, iommufd, hw.userPages, RAM, kernel::awaitInterrupts);
		vm.addPxb("pcie.1", 1);
		vm.addPxb("pcie.2", 8);
		vm.addVsmmu("smmuv3.0", "pcie.1", AccelVsmmu.Properties.DEFAULT);
		vm.addVsmmu("smmuv3.1", "pcie.2", AccelVsmmu.Properties.DEFAULT);
		vm.plug("dev0", TestHost.bdf(0, 0), "pcie.1", 0);
		vm.plug("dev1", TestHost.bdf(0, 1), "pcie.1", 8);
		vm.plug("dev2", TestHost.bdf(1, 0), "pcie.2", 0);
		vm.plug("dev3", TestHost.bdf(1, 1), "pcie.2", 8);
		vm.boot();
		return vm;
	}

	static Map<ObjectType, Integer> counts(Vm vm) {
		Map<ObjectType, Integer> m = new EnumMap<>(ObjectType.class);
		for (IommufdObject o : vm.iommufd().objects()) {
			m.merge(o.type(), 1, Integer::sum);
		}
		return m;
	}

	static long s2Bytes(Vm vm) {
		long n = 0;
		for (IommufdObject o : vm.iommufd().objects()) {
			if (o.type() == ObjectType.HWPT_PAGING) {
				n += o.tableBytes();
			}
		}
		return n;
	}

	static byte[] pattern(int n, long seed) {
		byte[] b = new byte[n];
		for (int i = 0; i < n; i++) {
			b[i] = (byte) (seed * 31 + i * 7);
		}
		return b;
	}

	/** Three threads: device (t + k) % 4, one page of its buffer at a time, written then read back. */
	final class Dma implements AutoCloseable {
		final AtomicBoolean stop = new AtomicBoolean();
		final AtomicLong accesses = new AtomicLong();
		final ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
		final List<Thread> threads = new ArrayList<>();

		Dma(List<DmaBuffer> bufs) {
			GuestMemory gm = vm.ram().memory();
			for (int t = 0; t < 3; t++) {
				int id = t;
				Thread th = new Thread(() -> {
					long k = 0;
					while (!stop.get()) {
						int d = (int) ((id + k) % 4);
						DmaBuffer b = bufs.get(d);
						long off = ((k / 4) % (b.size() / 0x1000)) * 0x1000 + 0x100 * id;
						byte[] data = pattern(0x100, id * 1_000_003L + k);
						DmaResult w = vm.dmaWrite(DEVS[d], b.iova() + off, data);
						long pa = gm.hostPa(b.gpa() + off);
						if (!w.ok() || w.hostPas().length != 1 || w.hostPas()[0] != pa) {
							wrong.add(DEVS[d] + " write " + w);
						}
						byte[] r = new byte[data.length];
						DmaResult rd = vm.dmaRead(DEVS[d], b.iova() + off, r);
						if (!rd.ok() || rd.hostPas()[0] != pa || !java.util.Arrays.equals(data, r)) {
							wrong.add(DEVS[d] + " read " + rd);
						}
						accesses.addAndGet(2);
						k++;
					}
				}, "dma-" + t);
				threads.add(th);
				th.start();
			}
		}

		void await(long more) throws InterruptedException {
			long target = accesses.get() + more;
			while (accesses.get() < target) {
				Thread.sleep(1);
			}
		}

		@Override
		public void close() throws InterruptedException {
			stop.set(true);
			for (Thread t : threads) {
				t.join();
			}
		}
	}

	@ParameterizedTest
	@EnumSource(KernelMode.class)
	void sharedToPerInstanceAndBackUnderDmaFromThreeThreads(KernelMode mode) throws Exception {
		start(mode);
		ArmSmmuV3Kernel k = kernel.kernel();
		List<DmaBuffer> bufs = new ArrayList<>();
		for (String d : DEVS) {
			bufs.add(vm.dmaMap(d, 0x4000));
		}
		int parents = mode == KernelMode.SHARED ? 1 : 2;
		Map<ObjectType, Integer> shared = counts(vm);
		assertEquals(1, shared.get(ObjectType.IOAS));
		assertEquals(parents, shared.get(ObjectType.HWPT_PAGING));
		assertEquals(2, shared.get(ObjectType.VIOMMU));
		assertEquals(4, shared.get(ObjectType.VDEVICE));
		assertEquals(8, shared.get(ObjectType.HWPT_NESTED));
		long sharedBytes = s2Bytes(vm);
		int[] viommus = { vm.vsmmu("smmuv3.0").hostState().viommuId(), vm.vsmmu("smmuv3.1").hostState().viommuId() };
		ArmSmmuV3Kernel.SteWrites w0 = k.steWrites();

		try (Dma dma = new Dma(bufs)) {
			dma.await(300);
			assertEquals(4, vm.restage(PER_INSTANCE));
			dma.await(300);
			Map<ObjectType, Integer> per = counts(vm);
			assertEquals(2, per.get(ObjectType.IOAS));
			assertEquals(2, per.get(ObjectType.HWPT_PAGING));
			assertEquals(2, per.get(ObjectType.VIOMMU));
			assertEquals(4, per.get(ObjectType.VDEVICE));
			assertEquals(8, per.get(ObjectType.HWPT_NESTED));
			assertEquals(shared.values().stream().mapToInt(Integer::intValue).sum() + 1 + 2 - parents,
					per.values().stream().mapToInt(Integer::intValue).sum(), "nothing old left: " + per);
			long perBytes = s2Bytes(vm);
			if (mode == KernelMode.SHARED) {
				assertEquals(2 * sharedBytes, perBytes, "K = 2 copies of the stage-2 table");
			} else {
				assertEquals(sharedBytes, perBytes, "one table per physical SMMU either way");
			}
			assertEquals(2, vm.vfio().containers().size());
			assertEquals(2, vm.addressSpaces().size());
			ArmSmmuV3Kernel.SteWrites w1 = k.steWrites();
			assertEquals(w0.breaking(), w1.breaking(), "no V=0 STE write while moving");
			assertEquals(w0.s2Switches() + 4, w1.s2Switches(), "four S2TTB-then-VMID switches");
			assertNotEquals(viommus[0], vm.vsmmu("smmuv3.0").hostState().viommuId());

			assertEquals(4, vm.restage(Vm.SHARED));
			dma.await(300);
			for (int i = 0; i < 10; i++) {
				assertEquals(4, vm.restage(PER_INSTANCE));
				dma.await(40);
				assertEquals(4, vm.restage(Vm.SHARED));
				dma.await(40);
			}
			assertEquals(0, vm.restage(Vm.SHARED), "same grouping: nothing moves");
			dma.close();
			assertEquals(List.of(), List.copyOf(dma.wrong));
			assertTrue(dma.accesses.get() >= 1700);
		}
		assertEquals(shared, counts(vm));
		assertEquals(sharedBytes, s2Bytes(vm));
		assertEquals(1, vm.vfio().containers().size());
		ArmSmmuV3Kernel.SteWrites w2 = k.steWrites();
		assertEquals(w0.breaking(), w2.breaking());
		assertEquals(w0.s2Switches() + 8 * 11, w2.s2Switches());
		assertEquals(Ste.CFG_NESTED, Ste.CONFIG.get(hw.drivers.get("smmu1").readSte(TestHost.sid(1, 1))));
		assertEquals(List.of(), vm.kernel().commandErrors());
		assertEquals(List.of(), vm.vsmmu("smmuv3.0").reported());
		assertEquals(List.of(), vm.vfio().reported());

		// after the moves the guest still maps, unmaps, and gets its faults with the vSID
		DmaBuffer fresh = vm.dmaMap("dev3", 0x2000);
		byte[] data = pattern(0x1800, 9);
		assertTrue(vm.dmaWrite("dev3", fresh.iova() + 0x400, data).ok());
		byte[] back = new byte[data.length];
		vm.ram().memory().read(fresh.gpa() + 0x400, back, 0, back.length);
		assertArrayEquals(data, back);
		assertEquals(List.of(), vm.guestEvents("smmuv3.1"));
		vm.dmaUnmap("dev2", bufs.get(2));
		DmaResult f = vm.dmaWrite("dev2", bufs.get(2).iova() + 0x20, new byte[4]);
		assertFalse(f.ok());
		List<Event> ev = vm.guestEvents("smmuv3.1");
		assertEquals(1, ev.size(), ev.toString());
		assertEquals(EventType.F_TRANSLATION, ev.get(0).type());
		assertEquals(0x800, ev.get(0).sid(), "the vSID, through the new vEVENTQ");
		assertEquals(List.of(), vm.guestEvents("smmuv3.0"));
	}

	@ParameterizedTest
	@EnumSource(KernelMode.class)
	void eventsRecordedBeforeAMoveReachTheGuest(KernelMode mode) {
		start(mode);
		DmaBuffer b = vm.dmaMap("dev1", 0x1000);
		vm.dmaUnmap("dev1", b);
		assertFalse(vm.dmaRead("dev1", b.iova(), new byte[8]).ok());
		vm.restage(PER_INSTANCE);
		List<Event> ev = vm.guestEvents("smmuv3.0");
		assertEquals(1, ev.size(), ev.toString());
		assertEquals(0x108, ev.get(0).sid());
		// the unmapped IOVA still faults after the move, now through the new vIOMMU
		assertFalse(vm.dmaRead("dev1", b.iova(), new byte[8]).ok());
		assertEquals(0x108, vm.guestEvents("smmuv3.0").get(0).sid());
	}

	@ParameterizedTest
	@EnumSource(KernelMode.class)
	void aGuestUnmapInTheMiddleOfAMoveReachesTheNewVmidToo(KernelMode mode) {
		start(mode);
		DmaBuffer b = vm.dmaMap("dev0", 0x1000);
		assertTrue(vm.dmaWrite("dev0", b.iova(), new byte[4]).ok());
		AccelVsmmu v = vm.vsmmu("smmuv3.0");
		smmu.vfio.AddressSpace as = smmu.vfio.AddressSpace.ram("moved", vm.sharedAddressSpace().ramSections());
		v.beginMove(as);
		Vm.Device d0 = vm.device("dev0"), d1 = vm.device("dev1");
		d0.vfio().moveTo(as, v.liveSwitch(d0.bus().number(), d0.devfn()));
		assertTrue(vm.dmaWrite("dev0", b.iova(), new byte[4]).ok(), "cached under the new VMID");
		vm.dmaUnmap("dev0", b);
		assertFalse(vm.dmaWrite("dev0", b.iova(), new byte[4]).ok(), "no stale entry under the new VMID");
		d1.vfio().moveTo(as, v.liveSwitch(d1.bus().number(), d1.devfn()));
		vm.vfio().quiesce();
		v.finishMove();
		vm.vfio().collect();
		assertEquals(List.of(), v.reported());
		assertEquals(2, counts(vm).get(ObjectType.IOAS));
	}
}
