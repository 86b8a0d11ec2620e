package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import smmu.hw.HostPlatform;
import smmu.hw.PciEndpoint;
import smmu.hw.TranslationRequest;
import smmu.hw.arch.Ste;
import smmu.iommufd.Iommufd;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.ObjectType;
import smmu.qemu.BridgeStats;
import smmu.qemu.RealQemu;
import smmu.qemu.RealQemus;
import smmu.vfio.VfioCdevs;

/**
 * Debian's real QEMU 11.1 (accel vSMMUs under TCG) booting a real arm64 guest whose iommufd and VFIO
 * calls the host kernel model serves through the bridge. Runs only where tools/qemu/setup.sh has
 * been run (setup.env with SETUP_OK=1, as root); skipped, saying why, elsewhere.
 */
class RealQemuTest {
	/** Two accel vSMMUs on two pxb-pcie buses over the two physical SMMUs, one VFIO function behind each. */
	static final String TWO_SMMUS = "-m 256M -object iommufd,id=iommufd0 -device pxb-pcie,id=pcie.1,bus_nr=1 "
			+ "-device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on -device pcie-root-port,id=rp0,bus=pcie.1,chassis=1 "
			+ "-device vfio-pci,host=0000:01:00.0,id=dev0,bus=rp0,iommufd=iommufd0 -device pxb-pcie,id=pcie.2,bus_nr=8 "
			+ "-device arm-smmuv3,primary-bus=pcie.2,id=smmuv3.1,accel=on -device pcie-root-port,id=rp1,bus=pcie.2,chassis=2 "
			+ "-device vfio-pci,host=0000:02:00.0,id=dev1,bus=rp1,iommufd=iommufd0";
	static final long BOOT_MILLIS = 240_000;

	@InjectService
	RealQemus qemus;

	@InjectService
	Iommufd iommufd;

	@InjectService
	VfioCdevs cdevs;

	@InjectService
	HostPlatform host;

	@BeforeEach
	void setUp() {
		Skip.unless("real QEMU test", qemus.notSetUp());
	}

	@AfterEach
	void stopAll() {
		for (RealQemu q : qemus.list()) {
			qemus.stop(q.name());
		}
	}

	private static String console(RealQemu q) {
		return String.join("\n", q.console(400));
	}

	private static Map<ObjectType, Integer> count(List<IommufdObject> objects) {
		Map<ObjectType, Integer> m = new TreeMap<>();
		for (IommufdObject o : objects) {
			m.merge(o.type(), 1, Integer::sum);
		}
		return m;
	}

	/** CFGI_CD commands each physical SMMU consumed, minus {@code before}. */
	private Map<String, Long> cfgiCd(Map<String, Long> before) {
		Map<String, Long> m = new TreeMap<>();
		for (smmu.hw.Smmu smmu : host.smmus()) {
			m.put(smmu.id(), smmu.stats().commands().getOrDefault("CFGI_CD", 0L) - before.getOrDefault(smmu.id(), 0L));
		}
		return m;
	}

	@Test
	void aRealGuestProbesBothVsmmusAndQemusObjectsLiveInTheKernelModel() throws Exception {
		Map<String, Long> before = cfgiCd(Map.of());
		RealQemu q = qemus.start("itest-boot", TWO_SMMUS);
		assertTrue(q.awaitConsole("smmu-guest: done", BOOT_MILLIS), () -> "the guest did not run its init:\n" + console(q));
		String out = console(q);
		// the guest's own arm-smmu-v3 driver probed both vSMMUs (IORT: arm-smmu-v3.N.auto)
		Matcher m = Pattern.compile("arm-smmu-v3 (arm-smmu-v3\\.\\d+\\.auto): oas").matcher(out);
		java.util.Set<String> probed = new java.util.TreeSet<>();
		while (m.find()) {
			probed.add(m.group(1));
		}
		assertEquals(2, probed.size(), () -> "vSMMUs probed by the guest: " + probed + "\n" + out);

		IommufdContext ctx = q.iommufd();
		assertNotNull(ctx, "the bridge is connected");
		assertTrue(iommufd.contexts().contains(ctx), "QEMU's iommufd is one of the host kernel's contexts (the views find it)");
		Map<ObjectType, Integer> n = count(ctx.objects());
		assertEquals(1, n.get(ObjectType.IOAS), () -> "one IOAS (QEMU's shared system AddressSpace): " + n);
		assertTrue(n.getOrDefault(ObjectType.HWPT_PAGING, 0) >= 1, () -> "a nest-parent HWPT: " + n);
		assertEquals(2, n.get(ObjectType.VIOMMU), () -> "one vIOMMU per vSMMU: " + n);
		assertTrue(n.getOrDefault(ObjectType.HWPT_NESTED, 0) >= 4, () -> "abort and bypass proxies per vSMMU: " + n);

		// every vDEVICE's virtual ID is the StreamID the guest gives its endpoint (bus << 8 | devfn; no bridges)
		java.util.Set<Integer> guestSids = new java.util.TreeSet<>(), vsids = new java.util.TreeSet<>();
		Matcher pci = Pattern.compile("smmu-guest: pci [0-9a-f]{4}:([0-9a-f]{2}):([0-9a-f]{2})\\.([0-7]) \\S+ class=(\\w+)").matcher(out);
		while (pci.find()) {
			if (!pci.group(4).startsWith("06")) {
				guestSids.add(Integer.parseInt(pci.group(1), 16) << 8 | Integer.parseInt(pci.group(2), 16) << 3 | Integer.parseInt(pci.group(3)));
			}
		}
		Matcher vsid = Pattern.compile("vsid 0x([0-9a-f]+)").matcher(ctx.objects().stream().filter(o -> o.type() == ObjectType.VDEVICE)
				.map(IommufdObject::detail).reduce("", String::concat));
		while (vsid.find()) {
			vsids.add(Integer.parseInt(vsid.group(1), 16));
		}
		assertEquals(2, vsids.size(), () -> "one vDEVICE per device: " + ctx.objects());
		assertEquals(guestSids, vsids, "vDEVICE virtual IDs = the guest's StreamIDs");
		assertEquals(2, n.get(ObjectType.VDEVICE));

		// the nested STE on each physical SMMU: the guest's CD pointer (from the guest STE QEMU passed in
		// HWPT_ALLOC) with the one nest parent's stage 2 (same S2TTB on both SMMUs: the sharing kernel)
		java.util.Set<Long> guestCds = new java.util.TreeSet<>(), s2ttbs = new java.util.TreeSet<>();
		Matcher vste = Pattern.compile("vSTE s1 ste\\[0\\]=0x([0-9a-f]+)").matcher(ctx.objects().stream().map(IommufdObject::detail)
				.reduce("", (a, b) -> a + "\n" + b));
		while (vste.find()) {
			guestCds.add(Ste.s1ContextPtr(new long[] { Long.parseUnsignedLong(vste.group(1), 16), 0, 0, 0, 0, 0, 0, 0 }));
		}
		assertEquals(2, guestCds.size(), () -> "one guest STE with stage 1 per device: " + ctx.objects());
		for (String bdf : List.of("0000:01:00.0", "0000:02:00.0")) {
			PciEndpoint ep = host.endpoints().stream().filter(e -> e.bdf().equals(bdf)).findFirst().orElseThrow();
			long[] ste = host.smmu(ep.smmu()).orElseThrow().readSte(ep.sid()).words();
			assertEquals(7, Ste.CONFIG.get(ste), () -> bdf + ": nested STE");
			assertTrue(guestCds.contains(Ste.s1ContextPtr(ste)), () -> bdf + ": the guest's CD pointer " + Long.toHexString(Ste.s1ContextPtr(ste)));
			s2ttbs.add(Ste.s2ttb(ste));
		}
		assertEquals(1, s2ttbs.size(), () -> "one nest parent's stage 2 on both SMMUs: " + s2ttbs);
		// the guest's invalidations arrive as HWPT_INVALIDATE and reach both physical SMMUs' command queues
		for (Map.Entry<String, Long> e : cfgiCd(before).entrySet()) {
			assertTrue(e.getValue() > 0, () -> e.getKey() + " consumed no CFGI_CD since QEMU started");
		}

		// a fault on the physical SMMU reaches the guest: host event -> vEVENTQ -> QEMU's poll and read() of
		// the installed file -> the vSMMU's event queue -> the guest driver's log, with the guest's StreamID
		host.smmu("smmu0").orElseThrow().translate(TranslationRequest.read(0x100, 0x1000));
		assertTrue(q.awaitConsole("iova: 0x1000", 60_000), () -> "the guest saw no event:\n" + console(q));
		assertTrue(q.console(400).stream().anyMatch(l -> l.contains("event: F_TRANSLATION client: 0000:02:00.0 sid: 0x200") && l.contains("iova: 0x1000")),
				() -> console(q));

		BridgeStats s = q.stats();
		assertTrue(s.byCall().stream().anyMatch(c -> c.call().equals("read") && c.count() > 0), "QEMU read the vEVENTQ");
		assertTrue(s.asyncMessages() >= 1, "the vEVENTQ's readiness was sent");
		assertTrue(s.byCall().stream().anyMatch(c -> c.call().equals("ioctl IOMMU_HWPT_INVALIDATE") && c.count() > 0), () -> s.byCall().toString());
		assertTrue(s.roundTrips() > s.calls() && s.calls() > 20, () -> "calls " + s.calls() + ", round trips " + s.roundTrips());
		System.out.printf("real QEMU boot: %.1f s to the guest's init; %d calls, %d round trips, %.1f ms in the bridge (%.1f us per round trip)%n",
				q.bootMillis() / 1000.0, s.calls(), s.roundTrips(), s.nanos() / 1e6, s.nanos() / 1e3 / s.roundTrips());
		for (BridgeStats.CallStats c : java.util.stream.Stream.concat(s.byCall().stream(), s.byRequest().stream()).toList()) {
			System.out.printf("  %-36s %6d calls %7d round trips %9.1f us/call%n", c.call(), c.count(), c.roundTrips(), c.nanos() / 1e3 / c.count());
		}

		qemus.stop(q.name());
		assertEquals(RealQemu.State.EXITED, q.state());
		assertTrue(!iommufd.contexts().contains(ctx), "the iommufd is released when QEMU ends");
		assertTrue(cdevs.opened().isEmpty(), "no VFIO device file stays open: " + cdevs.opened());
	}

	/**
	 * Seed question "one stage 2 per VM, or one per physical SMMU" answered by the real VMM: with the
	 * per-SMMU kernel the second vSMMU's attach to the first nest parent fails (EINVAL) and QEMU itself
	 * allocates a second nest-parent HWPT on the same IOAS.
	 */
	@Test
	void underThePerSmmuKernelQemuAllocatesASecondNestParent(@InjectBundleContext BundleContext context, @InjectService ConfigurationAdmin cm)
			throws Exception {
		long before = Platform.newestId(context, Iommufd.class);
		Platform.configure(cm, "smmu.kernel", "mode", "per-smmu");
		try {
			Platform.awaitNewer(context, Iommufd.class, before);
			RealQemus perSmmu = Platform.awaitNewer(context, RealQemus.class, Platform.newestId(context, Iommufd.class));
			RealQemu q = perSmmu.start("itest-per-smmu", TWO_SMMUS);
			try {
				assertTrue(q.awaitConsole("smmu-guest: done", BOOT_MILLIS), () -> "the guest did not run its init:\n" + console(q));
				Map<ObjectType, Integer> n = count(q.iommufd().objects());
				assertEquals(1, n.get(ObjectType.IOAS), () -> n.toString());
				assertEquals(2, n.get(ObjectType.HWPT_PAGING), () -> "a nest parent per physical SMMU: " + n);
				assertEquals(2, n.get(ObjectType.VIOMMU), () -> n.toString());
				assertEquals(2, n.get(ObjectType.VDEVICE), () -> n.toString());
			} finally {
				perSmmu.stop(q.name());
			}
		} finally {
			long b = Platform.newestId(context, Iommufd.class);
			Platform.reset(cm, "smmu.kernel");
			Platform.awaitNewer(context, Iommufd.class, b);
		}
	}

	/**
	 * report:kernels: the same real QEMU once per host kernel mode, side by side (one nest parent with the
	 * sharing kernel, two with the per-SMMU one); it refuses while a QEMU of the user's runs, naming it,
	 * and gives the user's kernel mode back.
	 */
	@Test
	void reportKernelsComparesBothKernelModesWithTheRealVmm(@InjectBundleContext BundleContext context, @InjectService CommandProcessor processor)
			throws Exception {
		RealQemu mine = qemus.start("itest-mine", TWO_SMMUS);
		try {
			String refused = shell(processor, "report:kernels --timeout 60 " + TWO_SMMUS);
			assertTrue(refused.startsWith("report:kernels needs the host to itself and would disturb QEMU itest-mine: free them first (qemu:stop itest-mine)"),
					refused);
			assertEquals(1, refused.lines().count(), refused);
		} finally {
			qemus.stop(mine.name());
		}
		String out = shell(processor, "report:kernels --name itest-k " + TWO_SMMUS);
		assertTrue(out.lines().anyMatch(l -> l.matches("metric +unit +shared +per-smmu")), out);
		assertTrue(out.lines().anyMatch(l -> l.matches("nest-parent HWPTs +objects +1 +2")), out);
		assertTrue(out.lines().anyMatch(l -> l.matches("IOAS +objects +1 +1")), out);
		assertTrue(out.lines().anyMatch(l -> l.matches("vIOMMUs +objects +2 +2")), out);
		assertTrue(out.lines().anyMatch(l -> l.matches("VMIDs on smmu0 +ids +1 +1")), out);
		assertTrue(out.lines().anyMatch(l -> l.matches("bridge round trips +round trips +[1-9][0-9]* +[1-9][0-9]*")), out);
		assertEquals("kernel shared", shell(processor, "host:kernel"), "the user's kernel mode is back");
		assertTrue(Platform.awaitNewer(context, RealQemus.class, 0).list().isEmpty(), "report:kernels left no QEMU");
	}

	private static String shell(CommandProcessor processor, String command) {
		java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
		try (CommandSession s = processor.createSession(java.io.InputStream.nullInputStream(), new java.io.PrintStream(out), new java.io.PrintStream(out))) {
			Object r = s.execute(command);
			return r == null ? "" : s.format(r, Converter.INSPECT).toString();
		} catch (Exception e) {
			return e.getMessage();
		}
	}

	@Test
	void qemuKilledMidRunLeavesNoObjectBehind() throws Exception {
		RealQemu q = qemus.start("itest-kill", TWO_SMMUS);
		long deadline = System.currentTimeMillis() + BOOT_MILLIS;
		while (System.currentTimeMillis() < deadline && (q.iommufd() == null || q.iommufd().objects().size() < 4)
				&& q.state() != RealQemu.State.EXITED) {
			Thread.sleep(50);
		}
		IommufdContext ctx = q.iommufd();
		assertNotNull(ctx, () -> "QEMU never connected:\n" + console(q));
		assertTrue(ctx.objects().size() >= 4, () -> "QEMU made objects: " + ctx.objects() + "\n" + console(q));
		ProcessHandle.of(q.pid()).orElseThrow().destroyForcibly();
		assertTrue(q.awaitConsole("qemu: exited", 10_000));
		assertTrue(q.awaitConsole("bridge: ended", 10_000));
		assertTrue(!iommufd.contexts().contains(ctx), "SIGKILL releases the iommufd as the process's exit does");
		assertTrue(cdevs.opened().isEmpty(), "no VFIO device file stays open: " + cdevs.opened());
	}
}
