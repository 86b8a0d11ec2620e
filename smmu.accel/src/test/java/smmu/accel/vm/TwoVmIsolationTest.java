package smmu.accel.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import smmu.hw.testing.TestHost;
import smmu.accel.guest.DmaBuffer;
import smmu.accel.vsmmu.AccelVsmmu;
import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.impl.HostKernel;
import smmu.iommufd.impl.IommufdComponent;
import smmu.vfio.DmaResult;

/**
 * Two VMs on one host, each with two accel vSMMUs over the same two physical SMMUs and two devices per
 * vSMMU, run random programs of guest map/unmap and device DMA (inside buffers, across their ends, at
 * unmapped or stale IOVAs, at the other VM's guest or host addresses). Property: a device reaches
 * exactly the pages of its own VM's buffers mapped now (the bytes land on, and come from, the host
 * pages behind those guest pages), and every other access faults with one F_TRANSLATION event in its
 * own guest's event queue carrying its vSID and the faulting address.
 */
class TwoVmIsolationTest {
	static final long RAM = 32L << 20, PAGE = 4096;
	static final String[] DEVS = { "dev0", "dev1", "dev2", "dev3" };

	TestHost hw;
	HostKernel kernel;
	final List<Vm> vms = new ArrayList<>();

	@AfterEach
	void shutdown() {
		for (Vm vm : vms) {
			vm.close();
		}
		if (kernel != null) {
			kernel.deactivate();
		}
	}

	Vm vm(String name, int fn, IommufdComponent iommufd) {
		Vm vm = new Vm(name, hw, iommufd, hw.userPages, RAM, kernel::awaitInterrupts);
		vms.add(vm);
		vm.addPxb("pcie.1", 1);
		vm.addPxb("pcie.2", 8);
		vm.addVsmmu("smmuv3.0", "pcie.1", AccelVsmmu.Properties.DEFAULT);
		vm.addVsmmu("smmuv3.1", "pcie.2", AccelVsmmu.Properties.DEFAULT);
		vm.plug("dev0", TestHost.bdf(0, fn), "pcie.1", 0);
		vm.plug("dev1", TestHost.bdf(0, fn + 1), "pcie.1", 8);
		vm.plug("dev2", TestHost.bdf(1, fn), "pcie.2", 0);
		vm.plug("dev3", TestHost.bdf(1, fn + 1), "pcie.2", 8);
		vm.boot();
		return vm;
	}

	/** The buffer of {@code bufs} holding IOVA page {@code iova}, or null. */
	static DmaBuffer holder(List<DmaBuffer> bufs, long iova) {
		for (DmaBuffer b : bufs) {
			if (b.containsIova(iova)) {
				return b;
			}
		}
		return null;
	}

	@ParameterizedTest
	@CsvSource({ "SHARED,1", "SHARED,2", "PER_SMMU,3", "PER_SMMU,4" })
	void noDeviceReachesAnythingButItsOwnVmsMappedBuffers(KernelMode mode, long seed) {
		hw = new TestHost(2, 4, UnaryOperator.identity());
		kernel = new HostKernel(hw, mode);
		IommufdComponent iommufd = new IommufdComponent(kernel);
		Vm[] vm = { vm("a", 0, iommufd), vm("b", 2, iommufd) };
		Random rnd = new Random(seed);
		Map<String, List<DmaBuffer>> mapped = new HashMap<>(), stale = new HashMap<>();
		for (int v = 0; v < 2; v++) {
			for (String d : DEVS) {
				mapped.put(v + d, new ArrayList<>());
				stale.put(v + d, new ArrayList<>());
			}
		}
		int oks = 0, faults = 0;
		for (int step = 0; step < 250; step++) {
			int v = rnd.nextInt(2);
			Vm me = vm[v], other = vm[1 - v];
			String dev = DEVS[rnd.nextInt(4)];
			List<DmaBuffer> mine = mapped.get(v + dev), old = stale.get(v + dev);
			int op = rnd.nextInt(10);
			if (op < 2 && mine.size() < 6) {
				mine.add(me.dmaMap(dev, PAGE * (1 + rnd.nextInt(3)) - rnd.nextInt(100)));
				continue;
			}
			if (op < 3 && !mine.isEmpty()) {
				DmaBuffer b = mine.remove(rnd.nextInt(mine.size()));
				assertEquals(b.size(), me.dmaUnmap(dev, b));
				old.add(b);
				continue;
			}
			long iova = switch (rnd.nextInt(6)) {
				case 0, 1, 2 -> mine.isEmpty() ? rnd.nextLong(1L << 32) : pick(rnd, mine).iova() + rnd.nextLong(pick(rnd, mine).size());
				case 3 -> old.isEmpty() ? rnd.nextLong(1L << 32) : pick(rnd, old).iova() + rnd.nextInt((int) PAGE);
				case 4 -> {
					List<DmaBuffer> theirs = mapped.get((1 - v) + DEVS[rnd.nextInt(4)]);
					yield theirs.isEmpty() ? other.ram().base() : rnd.nextBoolean() ? pick(rnd, theirs).iova() : pick(rnd, theirs).gpa();
				}
				default -> rnd.nextBoolean() ? other.ram().memory().hostPa(other.ram().base()) : rnd.nextLong(1L << 32);
			};
			int len = 1 + rnd.nextInt((int) (2 * PAGE));
			boolean write = rnd.nextBoolean();
			byte[] data = new byte[len];
			rnd.nextBytes(data);
			byte[] expected = write ? data : new byte[len];
			if (!write) {
				// what the device should read: its own guest's buffer bytes, page by page
				for (int done = 0; done < len;) {
					long a = iova + done;
					int n = (int) Math.min(len - done, PAGE - (a & (PAGE - 1)));
					DmaBuffer b = holder(mine, a);
					if (b == null) {
						break;
					}
					me.ram().memory().read(b.gpa() + (a - b.iova()), expected, done, n);
					done += n;
				}
			}
			DmaResult r = write ? me.dmaWrite(dev, iova, data) : me.dmaRead(dev, iova, data);
			// the reachable prefix: whole pages inside mapped buffers of this device
			int reach = 0;
			List<Long> pas = new ArrayList<>();
			while (reach < len) {
				long a = iova + reach;
				DmaBuffer b = holder(mine, a);
				if (b == null) {
					break;
				}
				pas.add(me.ram().memory().hostPa(b.gpa() + (a - b.iova())));
				reach += (int) Math.min(len - reach, PAGE - (a & (PAGE - 1)));
			}
			String what = String.format("step %d %s %s %s IOVA 0x%x +%d", step, me.name(), dev, write ? "write" : "read", iova, len);
			assertEquals(reach, r.bytes(), what);
			assertArrayEquals(pas.stream().mapToLong(Long::longValue).toArray(), r.hostPas(), what);
			byte[] landed = new byte[reach];
			int at = 0;
			for (int done = 0; done < reach;) {
				long a = iova + done;
				int n = (int) Math.min(reach - done, PAGE - (a & (PAGE - 1)));
				DmaBuffer b = holder(mine, a);
				me.ram().memory().read(b.gpa() + (a - b.iova()), landed, at, n);
				at += n;
				done += n;
			}
			assertArrayEquals(java.util.Arrays.copyOf(expected, reach), java.util.Arrays.copyOf(write ? landed : data, reach), what);
			if (!write) {
				assertArrayEquals(java.util.Arrays.copyOf(landed, reach), java.util.Arrays.copyOf(data, reach), what);
			}
			String vsmmu = dev.equals("dev0") || dev.equals("dev1") ? "smmuv3.0" : "smmuv3.1";
			List<Event> ev = me.guestEvents(vsmmu);
			if (reach == len) {
				assertTrue(r.ok(), what);
				assertEquals(List.of(), ev, what);
				oks++;
			} else {
				assertFalse(r.ok(), what);
				assertEquals(1, ev.size(), what + " " + ev);
				Event e = ev.get(0);
				assertEquals(EventType.F_TRANSLATION, e.type(), what);
				assertEquals(me.device(dev).vsid(), e.sid(), what);
				assertEquals(iova + reach, e.address(), what);
				assertEquals(!write, e.read(), what);
				assertEquals(List.of(), other.guestEvents(vsmmu), "nothing reaches the other guest");
				faults++;
			}
		}
		assertTrue(oks > 40 && faults > 40, oks + " successful, " + faults + " faulting DMAs");
		for (Vm x : vm) {
			assertEquals(List.of(), x.kernel().commandErrors());
			for (AccelVsmmu s : x.vsmmus()) {
				assertEquals(List.of(), s.reported());
			}
		}
	}

	static DmaBuffer pick(Random rnd, List<DmaBuffer> l) {
		return l.get(rnd.nextInt(l.size()));
	}
}
