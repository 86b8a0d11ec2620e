package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import smmu.accel.Dma;
import smmu.accel.GuestBuffer;
import smmu.accel.VirtualMachine;
import smmu.accel.VmException;
import smmu.accel.VmManager;
import smmu.hw.HostPlatform;
import smmu.iommufd.Iommufd;
import smmu.iommufd.ObjectType;

/**
 * Stage-2 policies in Felix: the active one chosen through Config Admin ({@code smmu.policy}), a hot swap
 * of a running VM while three threads DMA (every access checked: no fault, the same host page, the
 * bytes back), uninstalling the active policy bundle (the VM keeps running, new VMs are refused with the
 * policy's name) and installing it again.
 */
class PolicySwapTest {
	static final String FOUR = VmManagerServiceTest.FOUR;
	static final String[] DEVS = { "dev0", "dev1", "dev2", "dev3" };

	@InjectBundleContext
	BundleContext context;
	@InjectService
	ConfigurationAdmin cm;

	VmManager manager;
	Iommufd iommufd;

	@BeforeEach
	void services() throws Exception {
		Platform.await(context, HostPlatform.class, h -> h.smmus().size() == 2 && h.endpoints().size() == 4);
		manager = Platform.awaitNewer(context, VmManager.class, Platform.newestId(context, Iommufd.class));
		iommufd = context.getService(context.getServiceReference(Iommufd.class));
	}

	@AfterEach
	void restore() throws Exception {
		for (VirtualMachine vm : manager.list()) {
			manager.destroy(vm.name());
		}
		for (String bsn : List.of("smmu.policy.shared", "smmu.policy.perinstance")) {
			Bundle b = bundle(bsn).orElse(null);
			if (b != null && b.getState() != Bundle.ACTIVE) {
				b.start();
			}
		}
		Platform.configure(cm, "smmu.policy", "active", "shared");
		await(() -> manager.activePolicy().equals(Optional.of("shared")) && manager.policies().equals(List.of("per-instance", "shared")));
	}

	Optional<Bundle> bundle(String bsn) {
		for (Bundle b : context.getBundles()) {
			if (bsn.equals(b.getSymbolicName())) {
				return Optional.of(b);
			}
		}
		return Optional.empty();
	}

	long count(ObjectType t) {
		return iommufd.contexts().stream().flatMap(c -> c.objects().stream()).filter(o -> o.type() == t).count();
	}

	void await(BooleanSupplier done) throws InterruptedException {
		long deadline = System.nanoTime() + 10_000_000_000L;
		while (!done.getAsBoolean()) {
			if (System.nanoTime() > deadline) {
				throw new AssertionError("condition not reached in 10 s; policies " + manager.policies() + ", active " + manager.activePolicy()
						+ ", reported " + manager.reported() + ", objects " + iommufd.contexts().stream().flatMap(c -> c.objects().stream()).map(o -> o.type()).toList());
			}
			Thread.sleep(10);
		}
	}

	void activate(String policy) throws Exception {
		Platform.configure(cm, "smmu.policy", "active", policy);
		await(() -> manager.configuredPolicy().equals(policy));
	}

	@Test
	void theActivePolicyComesFromConfiguration() throws Exception {
		assertEquals(List.of("per-instance", "shared"), manager.policies());
		activate("per-instance");
		VirtualMachine vm = manager.create("vm1", FOUR);
		vm.boot();
		assertEquals(2, count(ObjectType.IOAS), "an IOAS per vSMMU");
		assertEquals(2, count(ObjectType.HWPT_PAGING));
		GuestBuffer b = vm.guestMap("dev3", 4096);
		assertTrue(vm.dmaWrite("dev3", b.iova(), new byte[] { 7 }).ok());
		activate("shared");
		await(() -> count(ObjectType.IOAS) == 1);
		assertArrayEquals(new byte[] { 7 }, vm.dmaRead("dev3", b.iova(), 1).data());
		assertEquals(List.of(), manager.reported());
	}

	/** Three threads DMA to every device's buffer; each access is checked against the host pages seen first. */
	final class Traffic implements AutoCloseable {
		final AtomicBoolean stop = new AtomicBoolean();
		final AtomicLong accesses = new AtomicLong();
		final ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
		final List<Thread> threads = new ArrayList<>();

		Traffic(VirtualMachine vm, List<GuestBuffer> bufs, List<Long> pages) {
			for (int t = 0; t < 3; t++) {
				int id = t;
				Thread th = new Thread(() -> {
					long k = 0;
					while (!stop.get()) {
						int d = (int) ((id + k) % 4);
						GuestBuffer b = bufs.get(d);
						long off = 0x200 * id;
						byte[] data = new byte[64];
						for (int i = 0; i < data.length; i++) {
							data[i] = (byte) (k * 3 + i + id);
						}
						Dma w = vm.dmaWrite(DEVS[d], b.iova() + off, data);
						long pa = pages.get(d) + off;
						if (!w.ok() || w.hostPas().get(0) != pa) {
							wrong.add(DEVS[d] + " write " + w.reason() + " " + w.hostPas() + " expected 0x" + Long.toHexString(pa));
						}
						Dma r = vm.dmaRead(DEVS[d], b.iova() + off, data.length);
						if (!r.ok() || r.hostPas().get(0) != pa || !java.util.Arrays.equals(data, r.data())) {
							wrong.add(DEVS[d] + " read " + r.reason() + " " + r.hostPas());
						}
						accesses.addAndGet(2);
						k++;
					}
				}, "itest-dma-" + t);
				threads.add(th);
				th.start();
			}
		}

		void await(long more) throws InterruptedException {
			long target = accesses.get() + more;
			PolicySwapTest.this.await(() -> accesses.get() >= target);
		}

		@Override
		public void close() throws InterruptedException {
			stop.set(true);
			for (Thread t : threads) {
				t.join();
			}
		}
	}

	List<GuestBuffer> buffers(VirtualMachine vm, List<Long> pages) {
		List<GuestBuffer> bufs = new ArrayList<>();
		for (String d : DEVS) {
			GuestBuffer b = vm.guestMap(d, 4096);
			bufs.add(b);
			Dma w = vm.dmaWrite(d, b.iova(), new byte[] { 1 });
			assertTrue(w.ok(), w.reason());
			pages.add(w.hostPas().get(0));
		}
		return bufs;
	}

	/** The host kernel in {@code mode} ("shared" or "per-smmu"): new iommufd and VM manager services. */
	void kernel(String mode) throws Exception {
		long before = Platform.newestId(context, Iommufd.class);
		if (mode.equals("shared")) {
			Platform.reset(cm, "smmu.kernel");
		} else {
			Platform.configure(cm, "smmu.kernel", "mode", mode);
		}
		iommufd = Platform.awaitNewer(context, Iommufd.class, before);
		manager = Platform.awaitNewer(context, VmManager.class, Platform.newestId(context, Iommufd.class));
	}

	@ParameterizedTest
	@ValueSource(strings = { "shared", "per-smmu" })
	void hotSwapUnderDmaFromThreeThreads(String kernelMode) throws Exception {
		if (!kernelMode.equals("shared")) {
			kernel(kernelMode);
		}
		try {
			hotSwapUnderDma(kernelMode.equals("shared") ? 1 : 2);
		} finally {
			if (!kernelMode.equals("shared")) {
				for (VirtualMachine vm : manager.list()) {
					manager.destroy(vm.name());
				}
				kernel("shared");
			}
		}
	}

	void hotSwapUnderDma(int sharedParents) throws Exception {
		VirtualMachine vm = manager.create("vm1", FOUR);
		vm.boot();
		List<Long> pages = new ArrayList<>();
		List<GuestBuffer> bufs = buffers(vm, pages);
		assertEquals(1, count(ObjectType.IOAS));
		assertEquals(sharedParents, count(ObjectType.HWPT_PAGING));
		try (Traffic dma = new Traffic(vm, bufs, pages)) {
			dma.await(200);
			for (int i = 0; i < 2; i++) {
				activate("per-instance");
				await(() -> count(ObjectType.IOAS) == 2);
				dma.await(200);
				activate("shared");
				await(() -> count(ObjectType.IOAS) == 1);
				dma.await(200);
			}
			// the active policy's bundle stopped and started: a new service, the same grouping, nothing moves
			Bundle shared = bundle("smmu.policy.shared").orElseThrow();
			shared.stop();
			await(() -> manager.activePolicy().isEmpty());
			dma.await(100);
			shared.start();
			await(() -> manager.activePolicy().isPresent());
			dma.await(100);
			dma.close();
			assertEquals(List.of(), List.copyOf(dma.wrong));
			assertTrue(dma.accesses.get() >= 1200, "accesses " + dma.accesses.get());
		}
		assertEquals(1, count(ObjectType.IOAS));
		assertEquals(2, count(ObjectType.VIOMMU));
		assertEquals(4, count(ObjectType.VDEVICE));
		assertEquals(List.of(), manager.reported());
	}

	@Test
	void uninstallingTheActivePolicyKeepsRunningVmsAndRefusesNewOnesUntilReinstalled() throws Exception {
		activate("per-instance");
		VirtualMachine vm = manager.create("vm1", FOUR);
		vm.boot();
		List<Long> pages = new ArrayList<>();
		List<GuestBuffer> bufs = buffers(vm, pages);
		assertEquals(2, count(ObjectType.IOAS));
		Bundle per = bundle("smmu.policy.perinstance").orElseThrow();
		String location = per.getLocation();
		byte[] jar = read(location);
		per.uninstall();
		await(() -> manager.activePolicy().isEmpty());
		assertEquals(List.of("shared"), manager.policies());
		for (int d = 0; d < 4; d++) {
			Dma r = vm.dmaRead(DEVS[d], bufs.get(d).iova(), 1);
			assertTrue(r.ok(), r.reason());
			assertEquals(pages.get(d), r.hostPas().get(0));
		}
		assertEquals(2, count(ObjectType.IOAS), "the running VM keeps its plumbing");
		VmException e = assertThrows(VmException.class, () -> manager.create("vm2", FOUR));
		assertEquals("no stage-2 policy 'per-instance' is available (policy.name per-instance): install and start the bundle providing it",
				e.getMessage());
		assertFalse(manager.get("vm2").isPresent());

		// through the system bundle's context: osgi-test uninstalls what the injected context installed
		Bundle again = context.getBundle(0).getBundleContext().installBundle(location, new ByteArrayInputStream(jar));
		again.start();
		await(() -> manager.activePolicy().equals(Optional.of("per-instance")));
		assertEquals(2, count(ObjectType.IOAS));
		assertTrue(vm.dmaWrite("dev1", bufs.get(1).iova(), new byte[] { 3 }).ok());
		// updated in place: its service goes and comes back; the VM keeps its layout and its DMA
		again.update(new ByteArrayInputStream(jar));
		await(() -> again.getState() == Bundle.ACTIVE && manager.activePolicy().equals(Optional.of("per-instance")));
		assertEquals(2, count(ObjectType.IOAS));
		assertArrayEquals(new byte[] { 3 }, vm.dmaRead("dev1", bufs.get(1).iova(), 1).data());
		manager.destroy("vm1");
		VirtualMachine vm2 = manager.create("vm2", FOUR);
		assertEquals("vm2", vm2.name());
		assertEquals(List.of(), manager.reported());
	}

	static byte[] read(String location) throws Exception {
		String l = location.startsWith("reference:") ? location.substring("reference:".length()) : location;
		if (l.contains(":") && !l.startsWith("/")) {
			try (InputStream in = new URL(l).openStream()) {
				return in.readAllBytes();
			}
		}
		return Files.readAllBytes(Path.of(l));
	}
}
