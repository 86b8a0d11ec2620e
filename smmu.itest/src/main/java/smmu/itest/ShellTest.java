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
		assertEquals("smmu:stats: missing arguments; usage: smmu:stats [--reset] [--vm <vm>] | smmu:stats [--reset] [--vm <vm>] [--sid <sid>] <smmu>",
				fails("smmu:stats"));
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
		// QEMU: -m 0 is the machine's default (128 MiB for virt)
		assertTrue(ok("vm:create y -m 0").contains("ram    0x8000000"), "-m 0 gives the default size");
		ok("vm:destroy y");
		assertEquals("model: -m: guest RAM of 3072 KiB: this model backs guest RAM with host pages of 2048 KiB, so the size must be a multiple of 2048 KiB (QEMU itself takes any multiple of 8 KiB)",
				fails("vm:create y -m 3M"));
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
		assertEquals("refresh: no bundle nosuch ('lb' lists the bundles and their ids)", fails("refresh nosuch"));
		assertEquals("update: no bundle 999 ('lb' lists the bundles and their ids)", fails("update 999"));
		assertEquals("update: no bundle 99999999999999999999 ('lb' lists the bundles and their ids)", fails("update 99999999999999999999 /nonexistent"));
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

	/** Two VMs DMA through one physical SMMU: smmu:stats --vm counts each VM's own transactions only. */
	@Test
	void statsPerVmCountOnlyThatVmsDma() throws Exception {
		String a = "-bios QEMU_EFI.fd -m 128M -object iommufd,id=iommufd0 -device pxb-pcie,id=pcie.1,bus_nr=1"
				+ " -device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on -device pcie-root-port,id=rp0,bus=pcie.1,chassis=1";
		ok("vm:create vmA " + a + " -device vfio-pci,host=0000:01:00.0,id=dev0,bus=rp0,iommufd=iommufd0");
		ok("vm:create vmB " + a + " -device vfio-pci,host=0000:01:00.1,id=dev0,bus=rp0,iommufd=iommufd0"
				+ " -device pxb-pcie,id=pcie.2,bus_nr=8 -device arm-smmuv3,primary-bus=pcie.2,id=smmuv3.1,accel=on"
				+ " -device pcie-root-port,id=rp1,bus=pcie.2,chassis=2 -device vfio-pci,host=0000:02:00.0,id=dev1,bus=rp1,iommufd=iommufd0");
		ok("vm:boot vmA");
		ok("vm:boot vmB");
		ok("vm:map vmA dev0 0x1000");
		ok("vm:map vmB dev0 0x1000");
		ok("smmu:stats --reset smmu0");
		ok("smmu:stats --reset smmu1");
		for (int i = 0; i < 5; i++) {
			ok("dma:read vmA dev0 0xfffff" + i + "00 4");
		}
		ok("dma:read vmB dev0 0xfffff000 4");
		ok("dma:write vmB dev0 0xfffff000 cafe");
		ok("dma:read vmB dev1 0xfffff000 4"); // unmapped: F_TRANSLATION on smmu1

		// streams table: smmu sid device translations utlbHits mainHits misses walks faults events
		String v = ok("smmu:stats --vm vmA smmu0");
		assertTrue(v.startsWith("vm    vmA\nsmmu  smmu0\nnote  per StreamID: only these streams' transactions;"), v);
		assertTrue(v.contains("per SMMU: smmu:stats smmu0"), v);
		assertTrue(v.contains("\nstreams (1)\n"), v);
		assertEquals(List.of("smmu0", "0x100", "dev0", "5"), row(v, "streams", "smmu0").subList(0, 4));
		assertEquals("0", row(v, "streams", "smmu0").get(8), "no fault");
		// vmB on every SMMU it uses: 2 on smmu0, the fault on smmu1, a total row
		v = ok("smmu:stats --vm vmB");
		assertEquals(List.of("smmu0", "0x101", "dev0", "2"), row(v, "streams", "smmu0").subList(0, 4));
		assertEquals(List.of("smmu1", "0x200", "dev1", "1"), row(v, "streams", "smmu1").subList(0, 4));
		assertEquals("1", row(v, "streams", "smmu1").get(8), "the fault");
		assertEquals(List.of("total", "3"), row(v, "streams", "total").subList(0, 2));
		assertTrue(v.contains("smmu1  0x200  F_TRANSLATION  1"), v);
		HostPlatform host = context.getService(context.getServiceReference(HostPlatform.class));
		assertEquals(7, host.smmu("smmu0").orElseThrow().stats().translations(), "the SMMU's total: both VMs");
		assertEquals(5, host.smmu("smmu0").orElseThrow().streamStats(0x100).get(0).translations());
		// report:vm shows the VM's own streams beside its SMMUs' totals
		String r = ok("report:vm --no-probe vmA");
		assertEquals(List.of("smmu0", "0x100", "dev0", "5"), row(r, "streams", "smmu0").subList(0, 4));
		assertEquals(List.of("smmu0", "7"), row(r, "smmus", "smmu0").subList(0, 2));

		// --reset --vm zeroes vmA's stream only
		ok("smmu:stats --reset --vm vmA smmu0");
		assertEquals("0", row(ok("smmu:stats --vm vmA smmu0"), "streams", "smmu0").get(3));
		assertEquals(2, host.smmu("smmu0").orElseThrow().streamStats(0x101).get(0).translations());
		assertTrue(ok("smmu:stats --sid 0x101 smmu0").contains("vm    vmB\n"));
		assertEquals(7, host.smmu("smmu0").orElseThrow().stats().translations());

		// bad input: one line each
		assertEquals("no VM named 'nosuch' (have: vmA, vmB)", fails("smmu:stats --vm nosuch smmu0"));
		assertEquals("no VM named 'nosuch' (have: vmA, vmB)", fails("smmu:stats --vm nosuch"));
		assertEquals("VM vmA has no device behind smmu1 (its devices are behind smmu0)", fails("smmu:stats --vm vmA smmu1"));
		assertEquals("sid: 0x10000 is out of range (0x0..0xffff; smmu0 has SIDSIZE 16)", fails("smmu:stats --sid 0x10000 smmu0"));
		assertTrue(fails("smmu:stats --vm vmA smmu9").startsWith("no SMMU named 'smmu9'"));
		assertEquals("smmu:stats: give --vm or --sid, not both", fails("smmu:stats --vm vmA --sid 0x100 smmu0"));
	}

	/** The cells of the first row starting with {@code first} in table {@code table} of a rendered view. */
	static List<String> row(String text, String table, String first) {
		int t = text.indexOf("\n" + table + " (");
		assertTrue(t >= 0, table + " in\n" + text);
		for (String l : text.substring(t + 1).split("\n")) {
			if (l.startsWith(first + " ")) {
				return List.of(l.trim().split(" +"));
			}
		}
		throw new AssertionError("no row " + first + " in " + table + " of\n" + text);
	}
}
