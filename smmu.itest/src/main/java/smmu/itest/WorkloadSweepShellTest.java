package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import smmu.accel.VirtualMachine;
import smmu.accel.VmManager;
import smmu.accel.workload.Workload;
import smmu.accel.workload.Workloads;
import smmu.hw.HostPlatform;
import smmu.iommufd.Iommufd;

/**
 * The workload:* and sweep:* commands in the framework: a workload run to its end from the shell with its
 * counters, one stopped, wrong command lines as one line; a sweep file run on fresh hosts (the framework's
 * host untouched) with its CSV, JSON and charts written.
 */
class WorkloadSweepShellTest {
	@InjectBundleContext
	BundleContext context;
	@InjectService
	CommandProcessor processor;
	@InjectService
	Workloads workloads;
	@TempDir
	Path dir;

	VmManager manager;

	@BeforeEach
	void services() throws Exception {
		Platform.await(context, HostPlatform.class, h -> h.smmus().size() == 2 && h.endpoints().size() == 4);
		manager = Platform.awaitNewer(context, VmManager.class, Platform.newestId(context, Iommufd.class));
	}

	@AfterEach
	void cleanUp() {
		for (Workload w : workloads.list()) {
			w.stop();
		}
		workloads.clear();
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

	String error(String command) {
		try {
			run(command);
		} catch (Exception e) {
			return String.valueOf(e.getMessage());
		}
		throw new AssertionError(command + " did not fail");
	}

	@Test
	void workloadsFromTheShell() throws Exception {
		manager.create("w", VmManagerServiceTest.FOUR).boot();
		String done = run("workload:start --pattern churn-strict --ios 64 --wait w");
		assertTrue(done.contains("state         done"), done);
		assertTrue(done.contains("ios           256"), done);
		assertTrue(done.contains("unmaps        256"), done);
		assertTrue(done.contains("devices       dev0,dev1,dev2,dev3"), done);
		run("workload:start --pattern stream --devices dev1 --duration 1h w");
		String list = run("workload:list");
		assertTrue(list.contains("running"), list);
		String stopped = run("workload:stop all");
		assertTrue(stopped.contains("stopped"), stopped);
		// ids count from 1 over the framework's life: the two started here are the last two
		List<Workload> all = workloads.list();
		assertEquals("no workload 999 (have: " + String.join(", ", all.stream().map(w -> Integer.toString(w.id())).toList()) + ")", error("workload:stop 999"));
		assertEquals(2, all.size());
		assertEquals("no workload pattern 'bursty' (have: stream, random, churn-strict, churn-lazy)", error("workload:start --pattern bursty w"));
		assertEquals("no VM named 'nope' (have: w)", error("workload:start --ios 1 nope"));
		assertEquals("VM w has no device 'nic9' behind a vSMMU (have: dev0, dev1, dev2, dev3)", error("workload:start --devices nic9 --ios 1 w"));
	}

	@Test
	void aSweepOnFreshHosts() throws Exception {
		Path spec = dir.resolve("mini.sweep");
		Files.writeString(spec, "question = bytes vs K\nx = k\nseries = policy\nmetrics = stage2_bytes, invalidations_per_io\nk = 1, 2\npolicy = shared, per-instance\n"
				+ "workload = churn-strict\nios = 16\n");
		long translationsBefore = context.getService(context.getServiceReference(HostPlatform.class)).smmus().get(0).stats().translations();
		String text = run("sweep:run --out " + dir.resolve("out") + " " + spec);
		assertTrue(text.contains("points       4"), text);
		assertTrue(text.contains("failed       0"), text);
		assertTrue(text.contains("k=2 policy=per-instance  stage2_bytes=24576 invalidations_per_io=1"), text);
		for (String ext : List.of("csv", "json", "svg", "png")) {
			assertTrue(Files.size(dir.resolve("out").resolve("mini." + ext)) > 100, ext);
		}
		assertEquals(5, Files.readAllLines(dir.resolve("out").resolve("mini.csv")).size());
		// the points ran on hosts of their own
		assertEquals(translationsBefore, context.getService(context.getServiceReference(HostPlatform.class)).smmus().get(0).stats().translations());
		assertTrue(run("sweep:list").contains("mini"));
		assertEquals("mini: page must be 4K, 2M or 1G, not 3M", error("sweep:run " + Files.writeString(spec, "page = 3M\n")));
	}
}
