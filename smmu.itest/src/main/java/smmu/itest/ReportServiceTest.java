package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import smmu.accel.Topology;
import smmu.accel.VirtualMachine;
import smmu.accel.VmManager;
import smmu.hw.HostPlatform;
import smmu.iommufd.Iommufd;

/**
 * The cost report in Felix, through the shell as a person types it: report:vm on a booted two-vSMMU VM over
 * the default host's two SMMUs, report:compare on a scenario file, and the shell's default VM created from
 * the shipped description (runtime/etc/vm0.args) when it is configured. The test runtime does not set the
 * framework property smmu.vm.default, so no default VM takes the host devices other tests use.
 */
class ReportServiceTest {
	@InjectBundleContext
	BundleContext context;

	@InjectService
	CommandProcessor processor;

	@InjectService
	ConfigurationAdmin cm;

	@TempDir
	Path dir;

	VmManager manager;

	@BeforeEach
	void services() throws Exception {
		Platform.await(context, HostPlatform.class, h -> h.smmus().size() == 2 && h.endpoints().size() == 4);
		manager = Platform.awaitNewer(context, VmManager.class, Platform.newestId(context, Iommufd.class));
	}

	@AfterEach
	void cleanUp() throws Exception {
		Platform.reset(cm, "smmu.vm.default");
		for (VirtualMachine vm : manager.list()) {
			manager.destroy(vm.name());
		}
	}

	String run(String command) throws Exception {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (CommandSession s = processor.createSession(InputStream.nullInputStream(), new PrintStream(out), new PrintStream(out))) {
			Object r = s.execute(command);
			return r == null ? "" : s.format(r, Converter.INSPECT).toString();
		}
	}

	static String field(String text, String name) {
		Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " +(\\S+)$").matcher(text);
		assertTrue(m.find(), name + " in\n" + text);
		return m.group(1);
	}

	@Test
	void reportOfABootedVm() throws Exception {
		VirtualMachine vm = manager.create("r", VmManagerServiceTest.FOUR);
		vm.boot();
		for (String dev : List.of("dev0", "dev2")) {
			long iova = vm.guestMap(dev, 0x1000).iova();
			assertTrue(vm.dmaWrite(dev, iova, new byte[] { 1, 2, 3, 4 }).ok());
		}
		String text = run("report:vm r");
		assertEquals("running", field(text, "state"));
		assertEquals("1", field(text, "ioas"));
		assertEquals("1", field(text, "hwptPaging"));
		assertEquals("2", field(text, "viommu"));
		assertEquals("4", field(text, "vdevice"));
		// one nest-parent stage 2 for 128 MiB of guest RAM in 2 MiB blocks: level 0, 1 and 2 tables
		assertEquals("0x3000", field(text, "stage2Bytes"));
		// guest unmap: the vSMMU's TLBI_NH_VA becomes one TLBI_NH_VA + CMD_SYNC on the physical SMMU behind it
		assertEquals("2.000", field(text, "commandsPerGuestUnmap"));
		// host unmap on the one IOAS: TLBI_S2_IPA, CMD_SYNC, TLBI_NH_ALL, CMD_SYNC on each of the two SMMUs
		assertEquals("8.000", field(text, "commandsPerHostUnmap"));
		assertTrue(text.contains("guest unmap (dev0 on smmuv3.0)  smmu0         2  CMD_SYNC=1 TLBI_NH_VA=1"), text);
		assertTrue(text.contains("guest unmap (dev2 on smmuv3.1)  smmu1         2  CMD_SYNC=1 TLBI_NH_VA=1"), text);
		assertTrue(text.contains("host unmap (1 IOAS)             smmu1         4  CMD_SYNC=2 TLBI_NH_ALL=1 TLBI_S2_IPA=1"), text);
		assertTrue(Pattern.compile("(?m)^smmu0 +1 +\\d+$").matcher(text).find(), text);
		assertTrue(Pattern.compile("(?m)^smmu1 +1 +\\d+$").matcher(text).find(), text);
		assertTrue(text.contains("\nsmmus (3)\n"), text);
		String host = run("report:host");
		// the host-unmap probe of report:vm left the tables it needed: the bytes are at least those of before
		Matcher hm = Pattern.compile("(?m)^r +running +1 +1 +\\d+ +2 +4 +0x([0-9a-f]+) +2$").matcher(host);
		assertTrue(hm.find(), host);
		assertTrue(Long.parseLong(hm.group(1), 16) >= 0x3000, host);
		String err = assertThrowsMessage("report:vm nope");
		assertTrue(err.contains("no VM named 'nope' (have: r)"), err);
	}

	String assertThrowsMessage(String command) {
		try {
			run(command);
		} catch (Exception e) {
			return String.valueOf(e.getMessage());
		}
		throw new AssertionError(command + " did not fail");
	}

	@Test
	void compareRunsTheScenarioPerDesignOnFreshVms() throws Exception {
		Path scenario = dir.resolve("two.gosh");
		Files.writeString(scenario, "# two vSMMUs\nvm:create c " + VmManagerServiceTest.FOUR + "\nvm:boot c\nvm:map c dev0 0x1000\ndma:write c dev0 0xfffff000 0102\nreport:vm c\n");
		Path svg = dir.resolve("chart.svg");
		String text = run("report:compare --svg " + svg + " " + scenario);
		assertTrue(text.contains("stage-2 page-table bytes  bytes"), text);
		// one column per installed policy: per-instance keeps one stage-2 table per vSMMU, shared one per VM
		assertTrue(Pattern.compile("(?m)^metric +unit +per-instance +shared$").matcher(text).find(), text);
		Matcher m = Pattern.compile("(?m)^stage-2 page-table bytes +bytes((?: +\\d+)+)$").matcher(text);
		assertTrue(m.find(), text);
		assertEquals(List.of("24576", "12288"), List.of(m.group(1).trim().split(" +")), text);
		assertTrue(Pattern.compile("(?m)^per host unmap +commands( +8)+$").matcher(text).find(), text);
		assertTrue(Files.readString(svg).startsWith("<svg"), "the chart");
		assertTrue(manager.get("c").isEmpty(), "the scenario's VM is destroyed");
		Files.writeString(scenario, "vm:boot nothing\n");
		String err = assertThrowsMessage("report:compare " + scenario);
		assertTrue(err.contains("failed at 'vm:boot nothing': no VM named 'nothing'"), err);
	}

	@Test
	void compareUnderBothKernels() throws Exception {
		Path scenario = dir.resolve("k.gosh");
		Files.writeString(scenario, "vm:create k " + VmManagerServiceTest.FOUR + "\nvm:boot k\n");
		String text = run("report:compare --kernels " + scenario);
		try {
			// one nest parent spanning both SMMUs under the sharing kernel; one per SMMU under mainline's
			// four design columns are wider than 100: the table comes in parts, each repeating metric and unit
			List<String> paging = row(text, "paging HWPTs +objects");
			List<String> bytes = row(text, "stage-2 page-table bytes +bytes");
			// columns: per-instance / shared, shared / shared, per-instance / per-smmu, shared / per-smmu:
			// only the shared policy on the sharing kernel keeps one stage-2 table for both vSMMUs
			assertEquals(List.of("2", "1", "2", "2"), paging, text);
			assertEquals(List.of("24576", "12288", "24576", "24576"), bytes, text);
			for (String line : text.split("\n")) {
				assertTrue(line.length() <= 100, line);
			}
			assertTrue(text.contains(" / shared") && text.contains(" / per-smmu"), text);
		} finally {
			manager = Platform.awaitNewer(context, VmManager.class, 0);
		}
		// the kernel's mode is restored: no configuration was there before
		assertTrue(cm.listConfigurations("(&(service.pid=smmu.kernel)(mode=per-smmu))") == null, "kernel restored");
	}

	@Test
	void defaultVmFromTheShippedDescription() throws Exception {
		assertTrue(manager.get("vm0").isEmpty(), "the test runtime has no default VM");
		String file = context.getProperty("smmu.itest.defaultvm");
		assertNotNull(file, "test.bndrun names runtime/etc/vm0.args");
		Platform.configure(cm, "smmu.vm.default", "file", file);
		VirtualMachine vm = await("vm0", true);
		Topology t = vm.topology();
		assertEquals(VirtualMachine.State.CREATED, t.state());
		assertEquals(List.of("smmuv3.0", "smmuv3.1"), t.vsmmus().stream().map(Topology.Vsmmu::id).toList());
		assertEquals(List.of("smmu0", "smmu1"), t.vsmmus().stream().map(Topology.Vsmmu::physicalSmmu).toList());
		assertEquals(List.of("pcie.1", "pcie.2"), t.vsmmus().stream().map(Topology.Vsmmu::primaryBus).toList());
		assertEquals(List.of("0000:01:00.0", "0000:01:00.1", "0000:02:00.0", "0000:02:00.1"), t.devices().stream().map(Topology.Device::hostBdf).toList());
		assertTrue(run("candidates:args vm:boot [vm:boot v] 1").contains("vm0"));
		assertEquals("dev0, dev1, dev2, dev3", run("candidates:args vm:map [vm:map vm0 d] 2").strip().replace("\n", ", "));
		run("vm:boot vm0");
		assertEquals("2.000", field(run("report:vm vm0"), "commandsPerGuestUnmap"));
		Platform.reset(cm, "smmu.vm.default");
		await("vm0", false);
		Platform.configure(cm, "smmu.vm.default", "options", "-m 64M -bios QEMU_EFI.fd -device pxb-pcie,id=pcie.1,bus_nr=1 -device arm-smmuv3,primary-bus=pcie.1,id=s,accel=maybe");
		Thread.sleep(300);
		assertFalse(manager.get("vm0").isPresent(), "a description QEMU refuses creates nothing");
	}

	VirtualMachine await(String name, boolean present) throws InterruptedException {
		long deadline = System.nanoTime() + 10_000_000_000L;
		while (System.nanoTime() < deadline) {
			VirtualMachine vm = manager.get(name).orElse(null);
			if ((vm != null) == present) {
				return vm;
			}
			Thread.sleep(20);
		}
		throw new AssertionError(name + (present ? " never appeared" : " never went away"));
	}

	/** A comparison row's values across the table's stacked parts, in column order. */
	static List<String> row(String text, String metricAndUnit) {
		Matcher m = Pattern.compile("(?m)^" + metricAndUnit + "((?: +\\d+)+)$").matcher(text);
		List<String> values = new java.util.ArrayList<>();
		while (m.find()) {
			values.addAll(List.of(m.group(1).trim().split(" +")));
		}
		return values;
	}
}
