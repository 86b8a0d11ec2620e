package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import smmu.accel.VirtualMachine;
import smmu.accel.VmManager;
import smmu.hw.HostPlatform;
import smmu.iommufd.Iommufd;

/**
 * The shell as users meet it: the inputs of issue 12 typed through the console's own line runner
 * ({@code smmu.shell=line}) and the script runner ({@code smmu.shell=script}). Every wrong call answers
 * with one line (usage, range, nearest names), never a Java exception name.
 */
class ShellTest {
	@InjectBundleContext
	BundleContext context;

	@InjectService
	CommandProcessor processor;

	@InjectService
	ConfigurationAdmin cm;

	@SuppressWarnings("rawtypes")
	@InjectService(filter = "(smmu.shell=line)")
	BiFunction lineService;

	@SuppressWarnings("rawtypes")
	@InjectService(filter = "(smmu.shell=script)")
	Function scriptService;

	@TempDir
	Path dir;

	CommandSession session;
	VmManager manager;

	/** The console's line runner: {"ok" | "error" | "exit", text}. */
	@SuppressWarnings("unchecked")
	String[] line(String input) {
		return (String[]) lineService.apply(session, input);
	}

	@SuppressWarnings("unchecked")
	Object[] script(String text) {
		return (Object[]) scriptService.apply(text);
	}

	@BeforeEach
	void open() throws Exception {
		Platform.await(context, HostPlatform.class, h -> h.smmus().size() == 2 && h.endpoints().size() == 4);
		manager = Platform.awaitNewer(context, VmManager.class, Platform.newestId(context, Iommufd.class));
		session = processor.createSession(InputStream.nullInputStream(), new PrintStream(new ByteArrayOutputStream()),
				new PrintStream(new ByteArrayOutputStream()));
	}

	@AfterEach
	void close() throws Exception {
		session.close();
		for (VirtualMachine vm : manager.list()) {
			manager.destroy(vm.name());
		}
	}

	/** Types a line that must fail; returns its one line, checked for Java leaks. */
	String fails(String input) {
		String[] r = line(input);
		assertEquals("error", r[0], input + " -> " + r[1]);
		assertClean(input, r[1]);
		return r[1];
	}

	String ok(String input) {
		String[] r = line(input);
		assertEquals("ok", r[0], input + " -> " + r[1]);
		return r[1] == null ? "" : r[1];
	}

	static void assertClean(String input, String text) {
		assertFalse(text.contains("Exception") || text.contains("java.") || text.contains("\tat ") || text.contains("Cannot coerce"),
				input + " -> " + text);
		assertFalse(text.contains("\n"), input + " -> one line, got: " + text);
	}

	@Test
	void wrongCallsPrintTheUsage() {
		assertEquals("smmu:ste: missing arguments; usage: smmu:ste <smmu> <sid>", fails("smmu:ste smmu0"));
		assertEquals("vm:boot: missing arguments; usage: vm:boot <vm>", fails("vm:boot"));
		assertTrue(fails("vm:create").endsWith("usage: vm:create <name> <options...>"), fails("vm:create"));
		assertEquals("smmu:stats: missing arguments; usage: smmu:stats [--reset] <smmu>", fails("smmu:stats"));
		assertEquals("policy:use: missing arguments; usage: policy:use <name>", fails("policy:use"));
		assertEquals("smmu:walk: unknown option --bogus (options: --ssid, --write); usage: smmu:walk [--ssid <ssid>] [--write] <smmu> <sid> <iova>",
				fails("smmu:walk --bogus smmu0 0x100 0x1000"));
		assertTrue(fails("iommufd:destroy 3 abc").startsWith("iommufd:destroy: wrong arguments; usage: iommufd:destroy <fd> <id>"),
				fails("iommufd:destroy 3 abc"));
		assertTrue(fails("vm:add vm0 -device x").startsWith("vm:add: "), fails("vm:add vm0 -device x"));
		// without scope, through the SCOPE path
		assertEquals("smmu:ste: missing arguments; usage: smmu:ste <smmu> <sid>", fails("ste smmu0"));
	}

	@Test
	void numbersNameTheArgumentAndItsRange() {
		assertEquals("sid: 0x10000 is out of range (0x0..0xffff; smmu0 has SIDSIZE 16)", fails("smmu:ste smmu0 0x10000"));
		assertEquals("sid: -1 is negative (0x0..0xffff; smmu0 has SIDSIZE 16)", fails("smmu:ste smmu0 -1"));
		assertTrue(fails("smmu:translate smmu0 0x100 0x10000000000000000").startsWith("iova: 0x10000000000000000 does not fit in 64 bits"));
		assertEquals("vm:create: '-m' is not a VM name (a letter, then letters, digits, '-', '.', '_'); usage: vm:create <name> <options...>",
				fails("vm:create -m 128M"));
		assertTrue(manager.list().isEmpty(), "no VM named -m");
		ok("vm:create v " + VmManagerServiceTest.FOUR);
		assertEquals("size: 0 is out of range (0x1..0xffffffffffffffff)", fails("vm:map v dev0 0"));
		assertEquals("length: 0 is out of range (0x1..0x100000)", fails("dma:read v dev0 0x1000 0"));
	}

	@Test
	void modelRefusalsPrintTheirMessageAlone() throws Exception {
		fails("vm:create y -m 0");
		fails("vm:create y -m 3M");
		ok("vm:create big -m 1G -object iommufd,id=iommufd0");
		String oom = fails("vm:create w -m 64G");
		assertTrue(oom.startsWith("vm:create w: host out of memory") && oom.endsWith("VMs holding guest RAM: big 0x40000000"), oom);
		fails("vm:create w2 -m 1T");
		ok("iommufd:open");
		fails("iommufd:mmap 3 0x10000000 0x10000000000");
		fails("smmu:snapshot q /etc/passwd 0x40000000 /etc/passwd");
		fails("report:compare /etc/passwd");
		ok("iommufd:close 3");
		Path scenario = dir.resolve("s.gosh");
		Files.writeString(scenario, "vm:create c " + VmManagerServiceTest.FOUR + "\n");
		assertEquals("--svg: cannot write /nonexistent/dir/x.svg (no such directory: /nonexistent/dir)",
				fails("report:compare --svg /nonexistent/dir/x.svg " + scenario));
		assertFalse(Files.exists(Path.of("/x.svg")));
	}

	@Test
	void unknownCommandsOfferTheNearestNames() {
		String lsit = fails("lsit");
		assertTrue(lsit.startsWith("unknown command 'lsit'; did you mean ") && lsit.contains("smmu:list") && lsit.contains("qemu:list"), lsit);
		String stes = fails("smmu:stes");
		assertTrue(stes.startsWith("unknown command 'smmu:stes'; did you mean smmu:ste, smmu:stats"), stes);
		assertEquals("unknown command 'nosuch' ('help' lists the commands)", fails("help nosuch"));
		assertTrue(fails("echo \"open").startsWith("syntax error: "), fails("echo \"open"));
	}

	@Test
	void helpGroupsCommandsInOneHundredColumns() {
		String help = ok("help");
		assertTrue(help.contains("\nsmmu\n  smmu:cd"), help);
		assertTrue(help.contains("  vm:boot"), help);
		assertFalse(help.contains("candidates:"), help);
		for (String l : help.split("\n")) {
			assertTrue(l.length() <= 100, l);
		}
		assertTrue(ok("help smmu:walk").startsWith("usage: smmu:walk [--ssid <ssid>] [--write] <smmu> <sid> <iova>\n"));
	}

	@Test
	void anyResultAsJsonWithStableNamesAndNumbers() {
		ok("smmu:list");
		String list = ok("json");
		assertTrue(list.startsWith("[ {\n  \"id\" : \"smmu0\",\n  \"mmioBase\" : 725614592,"), list);
		String stats = ok("json (smmu:stats smmu0)");
		assertTrue(stats.contains("\"cache\" : \"tlb\"") && stats.matches("(?s).*\"hitRate\" : (null|[0-9.E-]+),.*"), stats);
		ok("smmu:translate smmu0 0x100 0x1000");
		assertTrue(ok("json").contains("\"reason\" : \"STE.Config = abort\""), ok("json"));
		// one format per kind: hit rates are percentages with one decimal in every table
		assertTrue(ok("smmu:stats smmu0").matches("(?s).*\ntlb +\\d+ +\\d+ +\\d+ +(-|\\d+\\.\\d%) .*"), ok("smmu:stats smmu0"));
	}

	@Test
	void statsPerInterval() {
		ok("smmu:translate --record smmu0 0x4242 0x1000");
		assertTrue(ok("smmu:stats --reset smmu0").matches("(?s).*\ntranslations +[1-9]\\d*\n.*"), "counted before the reset");
		assertTrue(ok("smmu:stats smmu0").matches("(?s).*\ntranslations +0\n.*"), ok("smmu:stats smmu0"));
	}

	@Test
	void exitAndQuitLeave() {
		assertEquals("exit", line("exit")[0]);
		assertEquals("exit", line("quit")[0]);
		assertEquals("3", line("exit 3")[1]);
	}

	@Test
	void refreshWaitsForTheFrameworkInsteadOfFailing() {
		assertTrue(ok("refresh").startsWith("refreshed"));
	}

	@Test
	void busyDevicesNameTheVmHoldingThem() {
		ok("vm:create u " + VmManagerServiceTest.FOUR);
		String check = ok("vm:check -bios /usr/share/qemu-efi-aarch64/QEMU_EFI.fd -m 128M -object iommufd,id=iommufd0 -device pxb-pcie,id=pcie.1,bus_nr=1 -device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on "
				+ "-device pcie-root-port,id=rp0,bus=pcie.1,chassis=1 -device vfio-pci,host=0000:01:00.0,id=d,bus=rp0,iommufd=iommufd0");
		assertTrue(check.contains("EBUSY") && check.endsWith("(held by VM u as dev0: 'vm:unplug u dev0' or 'vm:destroy u' frees it)"), check);
	}

	@Test
	void compareRefusesToDisturbTheUsersVms() throws Exception {
		ok("vm:create mine " + VmManagerServiceTest.FOUR);
		ok("vm:boot mine");
		Path scenario = dir.resolve("s.gosh");
		Files.writeString(scenario, "vm:create c " + VmManagerServiceTest.FOUR + "\n");
		String err = fails("report:compare " + scenario);
		assertTrue(err.startsWith("report:compare needs the host to itself and would disturb VM mine: free them first (vm:destroy mine)"), err);
		assertEquals("running", manager.get("mine").orElseThrow().topology().state().name().toLowerCase());
		assertEquals(List.of("mine"), manager.list().stream().map(VirtualMachine::name).toList());
	}

	@Test
	void policyUseAfterTheConfigurationWasBoundElsewhere() throws Exception {
		// what cm:getconfiguration smmu.policy at the prompt does: binds the configuration to the caller's location
		cm.getConfiguration("smmu.policy");
		try {
			long t0 = System.nanoTime();
			String out = ok("policy:use per-instance");
			assertTrue(out.contains("active      per-instance"), out);
			assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "no wait for a change that cannot come");
		} finally {
			ok("policy:use shared");
		}
	}

	@Test
	void scriptsHaveGogosLanguageAssertionsAndLineNumbers() {
		Object[] r = script("# checks\necho \"sad :(\"\neach [1 2] { echo $it }\nx = smmu:translate smmu0 0x100 0x1000\n"
				+ "assert $x contains abort\nassert { smmu:list } \"no SMMUs\"\nassert $x contains xyz\necho never\n");
		assertEquals(1, r[0]);
		String out = (String) r[1];
		assertTrue(out.contains("g! echo \"sad :(\"\nsad :(\n"), out);
		assertTrue(out.contains("\n1\n2\n"), out);
		assertTrue(out.endsWith("g! assert $x contains xyz\nerror: line 7: assertion failed: expected 'abort (STE.Config = abort, no event recorded)' to contain 'xyz'\n"),
				out);
		assertFalse(out.contains("never"), out);
		Object[] exit = script("echo one\nexit 4\necho two\n");
		assertEquals(4, exit[0]);
		assertFalse(((String) exit[1]).contains("two"));
		assertEquals(0, script("smmu:list\n")[0]);
	}
}
