package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import smmu.accel.VirtualMachine;
import smmu.accel.VmManager;
import smmu.accel.workload.Workload;
import smmu.accel.workload.WorkloadSpec;
import smmu.accel.workload.Workloads;
import smmu.hw.HostPlatform;
import smmu.iommufd.Iommufd;

/**
 * The web console in the framework: the SMMU page and its JSON over HTTP (the HTTP service on a port of
 * its own choosing), then a real browser (headless Chromium through the DevTools protocol) on the page:
 * it loads without script errors, shows the VM's devices, a counter moves while DMA runs, and the page's
 * switch changes the stage-2 policy.
 */
class WebConsoleTest {
	@InjectBundleContext
	BundleContext context;
	@InjectService
	ConfigurationAdmin cm;
	@InjectService
	Workloads workloads;

	VmManager manager;
	final HttpClient http = HttpClient.newHttpClient();

	@BeforeEach
	void services() throws Exception {
		Platform.await(context, HostPlatform.class, h -> h.smmus().size() == 2 && h.endpoints().size() == 4);
		manager = Platform.awaitNewer(context, VmManager.class, Platform.newestId(context, Iommufd.class));
	}

	@AfterEach
	void restore() throws Exception {
		for (Workload w : workloads.list()) {
			w.stop();
		}
		workloads.clear();
		for (VirtualMachine vm : manager.list()) {
			manager.destroy(vm.name());
		}
		Platform.configure(cm, "smmu.policy", "active", "shared");
		long deadline = System.nanoTime() + 10_000_000_000L;
		while (!manager.activePolicy().equals(Optional.of("shared")) && System.nanoTime() < deadline) {
			Thread.sleep(20);
		}
	}

	/** http://127.0.0.1:PORT/system/console/smmu, from the HTTP service runtime's endpoint. */
	String page() throws Exception {
		long deadline = System.nanoTime() + 20_000_000_000L;
		while (System.nanoTime() < deadline) {
			ServiceReference<?>[] refs = context.getServiceReferences("org.osgi.service.servlet.runtime.HttpServiceRuntime", null);
			if (refs != null) {
				Object e = refs[0].getProperty("osgi.http.endpoint");
				String endpoint = e instanceof String s ? s : e instanceof String[] a && a.length > 0 ? a[0]
						: e instanceof Collection<?> c && !c.isEmpty() ? String.valueOf(c.iterator().next()) : null;
				if (endpoint != null && !endpoint.matches(".*:0/?$")) {
					return (endpoint.endsWith("/") ? endpoint : endpoint + "/") + "system/console/smmu";
				}
			}
			Thread.sleep(100);
		}
		throw new AssertionError("no HTTP endpoint");
	}

	HttpResponse<String> get(String url) throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
	}

	HttpResponse<String> post(String url, String form) throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
				HttpResponse.BodyHandlers.ofString());
	}

	@Test
	void thePageAndItsDataOverHttp() throws Exception {
		VirtualMachine vm = manager.create("web", VmManagerServiceTest.FOUR);
		vm.boot();
		String page = page();
		assertTrue(page.startsWith("http://127.0.0.1:"), page);
		HttpResponse<String> html = get(page);
		assertEquals(200, html.statusCode());
		assertTrue(html.body().contains("/res/smmu.js"), html.body());
		HttpResponse<String> state = get(page + "/state.json");
		assertEquals(200, state.statusCode());
		for (String s : List.of("\"name\":\"web\"", "\"id\":\"smmu0\"", "\"vsid\":\"0x", "\"psid\":\"0x100\"", "\"type\":\"HWPT_PAGING\"", "\"active\":\"shared\"")) {
			assertTrue(state.body().contains(s), s + " in " + state.body());
		}
		assertEquals(200, get(page + "/res/smmu.js").statusCode());
		HttpResponse<String> bad = post(page + "/policy", "name=best");
		assertEquals(400, bad.statusCode());
		assertEquals("{\"error\":\"no stage-2 policy 'best' is installed (have: per-instance, shared)\"}", bad.body());
		assertEquals(404, get(page + "/sweep/99.svg").statusCode());
		// the console's configuration pages edit by the Metatype definitions
		assertNotNull(context.getServiceReference("org.osgi.service.metatype.MetaTypeService"));
		assertEquals(200, get(page.replace("/smmu", "/configMgr")).statusCode());
	}

	@Test
	void aRealBrowserSeesTheTopologyCountersAndSwitchesThePolicy() throws Exception {
		Path chromium = DevTools.browserOrInstall();
		if (chromium == null) {
			System.err.println("\n*** WebConsoleTest: SKIPPED the real-browser test: no Chromium (apt-get install chromium failed or not root) ***\n");
			Assumptions.abort("no Chromium: install Debian's chromium package to run the browser test");
		}
		VirtualMachine vm = manager.create("web", VmManagerServiceTest.FOUR);
		vm.boot();
		String page = page();
		try (DevTools browser = DevTools.start(chromium)) {
			browser.navigate(page);
			assertTrue(browser.waitFor("Number(document.body.getAttribute('data-smmu-samples')) >= 2", Duration.ofSeconds(30)), "the page never sampled");
			// topology: the VM's devices with vSMMU <-> physical SMMU and vSID <-> pSID
			String dev0 = browser.eval("document.getElementById('vm-web-dev-dev0').textContent");
			assertTrue(dev0.contains("vSID 0x") && dev0.contains("pSID 0x100") && dev0.contains("0000:01:00.0 behind smmu0"), dev0);
			assertTrue(browser.eval("document.getElementById('vm-web').textContent").contains("smmuv3.1 \u2194 smmu1"));
			assertTrue(Integer.parseInt(browser.eval("document.querySelectorAll('#graph-web g[data-object]').length")) >= 10);
			// a counter moves while DMA runs
			long before = number(browser.eval("document.getElementById('c-smmu0-translations').textContent"));
			Workload w = workloads.start(vm, WorkloadSpec.of(WorkloadSpec.Pattern.STREAM, Duration.ofSeconds(30)).withRate(500));
			assertTrue(browser.waitFor("Number(document.getElementById('c-smmu0-translations').textContent.replace(/,/g, '')) > " + (before + 50), Duration.ofSeconds(15)),
					"translations did not move: " + browser.eval("document.getElementById('c-smmu0-translations').textContent"));
			assertTrue(browser.waitFor("document.getElementById('w-" + w.id() + "-ios') !== null", Duration.ofSeconds(5)));
			// the page's switch changes the policy (the VM is re-plumbed under DMA)
			assertEquals("shared", browser.eval("document.getElementById('policy-active').textContent"));
			browser.eval("(function () { var s = document.getElementById('policy-select'); s.value = 'per-instance'; document.getElementById('policy-switch').click(); return 'clicked'; })()");
			long deadline = System.nanoTime() + 15_000_000_000L;
			while (!manager.activePolicy().equals(Optional.of("per-instance")) && System.nanoTime() < deadline) {
				Thread.sleep(20);
			}
			assertEquals(Optional.of("per-instance"), manager.activePolicy());
			assertTrue(browser.waitFor("document.getElementById('policy-active').textContent === 'per-instance'", Duration.ofSeconds(10)));
			assertTrue(browser.waitFor("document.querySelectorAll('#graph-web rect').length > 0 && document.getElementById('graph-web').textContent.split('hwpt_paging').length - 1 === 2",
					Duration.ofSeconds(10)), "two stage-2 HWPTs after the switch");
			Thread.sleep(1500);
			Path shot = Path.of("target", "web-console.png").toAbsolutePath();
			Files.createDirectories(shot.getParent());
			Files.write(shot, browser.screenshot());
			System.err.println("WebConsoleTest: screenshot " + shot);
			assertEquals("0", browser.eval("document.body.getAttribute('data-smmu-errors')"));
			assertEquals(List.of(), browser.errors, "script errors in the page");
			assertEquals(null, w.error());
		}
	}

	static long number(String s) {
		return Long.parseLong(s.replace(",", "").strip());
	}
}
