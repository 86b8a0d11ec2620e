package smmu.accel.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.accel.config.VmDescription.Bus;
import smmu.accel.config.VmDescription.BusKind;
import smmu.accel.config.VmDescription.EmulatedPci;
import smmu.accel.config.VmDescription.PxbPcie;
import smmu.accel.config.VmDescription.RootPort;
import smmu.accel.config.VmDescription.Smmuv3;
import smmu.accel.config.VmDescription.VfioPci;

class VmConfigParserTest {
	/** The v9 cover-letter example (reference §6) without the elided parts. */
	static final String EXAMPLE = """
			qemu-system-aarch64 -machine virt,gic-version=3,highmem-mmio-size=2T \\
			-cpu host -smp cpus=4 -m size=16G,slots=2,maxmem=66G -nographic \\
			-bios QEMU_EFI.fd -object iommufd,id=iommufd0 -enable-kvm \\
			-device pxb-pcie,id=pcie.1,bus_nr=1,bus=pcie.0 \\
			-device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on,ats=on,ril=off,ssidsize=20,oas=48 \\
			-device pcie-root-port,id=pcie.port1,bus=pcie.1,chassis=1,pref64-reserve=512G,id=dev0 \\
			-device vfio-pci,host=0019:06:00.0,rombar=0,id=dev0,iommufd=iommufd0,bus=pcie.port1,x-vpasid-cap-offset=0xff8 \\
			-device pxb-pcie,id=pcie.2,bus_nr=8,bus=pcie.0 \\
			-device arm-smmuv3,primary-bus=pcie.2,id=smmuv3.1,accel=on,ats=on,ril=off,ssidsize=20,oas=48 \\
			-device pcie-root-port,id=pcie.port2,bus=pcie.2,chassis=2,pref64-reserve=512G \\
			-device vfio-pci,host=0018:06:00.0,rombar=0,id=dev1,iommufd=iommufd0,bus=pcie.port2,x-vpasid-cap-offset=0xff8
			""";

	static final List<String> TASK_ARGS = List.of("-machine", "virt,gic-version=3,iommu=none", "-accel", "kvm", "-bios", "QEMU_EFI.fd",
			"-object", "iommufd,id=iommufd0", "-device", "pxb-pcie,id=pcie.1,bus_nr=1,bus=pcie.0", "-device",
			"arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on,ats=on,ril=off,ssidsize=20,oas=48", "-device",
			"pcie-root-port,id=pcie.port1,bus=pcie.1,chassis=1", "-device",
			"vfio-pci,host=0000:01:00.0,id=dev0,iommufd=iommufd0,bus=pcie.port1", "-m", "4G");

	static final String BASE = "-machine virt,gic-version=3 -accel kvm -bios QEMU_EFI.fd -object iommufd,id=iommufd0 ";
	static final String PXB1 = "-device pxb-pcie,id=pcie.1,bus_nr=1,bus=pcie.0 ";
	static final String SMMU1 = "-device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on ";
	static final String PORT1 = "-device pcie-root-port,id=pcie.port1,bus=pcie.1,chassis=1 ";

	static String err(String cmd) {
		return assertThrows(VmConfigException.class, () -> VmConfigParser.parse(cmd)).getMessage();
	}

	@Test
	void exampleParsesToTwoVsmmusWithTheirDevices() {
		VmDescription d = VmConfigParser.parse(EXAMPLE);
		assertEquals("virt", d.machine().type());
		assertEquals(3, d.machine().gicVersion());
		assertTrue(d.accel().kvm());
		assertTrue(d.accel().irqchipInKernel());
		assertEquals(16L << 30, d.memory().size());
		assertEquals("66G", d.memory().props().get("maxmem"));
		assertEquals(List.of("iommufd0"), d.iommufds().stream().map(VmDescription.Iommufd::id).toList());

		List<Smmuv3> s = d.vsmmus();
		assertEquals(2, s.size());
		Smmuv3 s0 = s.get(0), s1 = s.get(1);
		assertEquals("smmuv3.0", s0.id());
		assertEquals("pcie.1", s0.primaryBus());
		assertEquals(0x0c000000L, s0.mmioBase());
		assertEquals(112, s0.eventqSpi());
		assertEquals(113, s0.priqSpi());
		assertEquals(114, s0.cmdqSyncSpi());
		assertEquals(115, s0.gerrorSpi());
		assertEquals("smmuv3.1", s1.id());
		assertEquals("pcie.2", s1.primaryBus());
		assertEquals(0x0c020000L, s1.mmioBase());
		assertEquals(116, s1.firstSpi());
		for (Smmuv3 x : s) {
			assertTrue(x.accel());
			assertEquals(OnOffAuto.OFF, x.ril());
			assertEquals(OnOffAuto.ON, x.ats());
			assertEquals(20, x.ssidsize());
			assertEquals(48, x.oas());
			assertEquals(0x08090040L, x.msiGpa());
			assertEquals("1", x.effectiveStage());
		}

		List<PxbPcie> pxbs = d.pxbs();
		assertEquals(0x08, pxbs.get(0).devfn());
		assertEquals(0x10, pxbs.get(1).devfn());
		assertEquals(1, pxbs.get(0).busNr());
		assertEquals(8, pxbs.get(1).busNr());

		RootPort p1 = d.rootPorts().get(0), p2 = d.rootPorts().get(1);
		assertEquals("pcie.port1", p1.id(), "the first id= of an option wins");
		assertEquals(1, p1.busNumber());
		assertEquals(0, p1.devfn());
		assertEquals(2, p1.secondaryNumber());
		assertEquals(9, p2.secondaryNumber());
		assertEquals("512G", p1.props().get("pref64-reserve"));

		VfioPci dev0 = d.vfioDevices().get(0), dev1 = d.vfioDevices().get(1);
		assertEquals("dev0", dev0.id());
		assertEquals("0019:06:00.0", dev0.host());
		assertEquals("iommufd0", dev0.iommufd());
		assertEquals("02:00.0", dev0.guestBdf());
		assertEquals(0x200, dev0.bdf());
		assertEquals(s0, d.smmuOf(dev0).orElseThrow());
		assertEquals("09:00.0", dev1.guestBdf());
		assertEquals(0x900, dev1.bdf());
		assertEquals(s1, d.smmuOf(dev1).orElseThrow());
		assertEquals(List.of(dev0), d.vfioBehind(s0));
		assertEquals(List.of(dev1), d.vfioBehind(s1));
		assertFalse(dev0.legacySmmu());

		List<Bus> b = d.buses();
		assertEquals(List.of("pcie.0", "pcie.1", "pcie.port1", "pcie.2", "pcie.port2"),
				b.stream().map(Bus::name).toList());
		assertEquals(List.of(0, 1, 2, 8, 9), b.stream().map(Bus::number).toList());
		assertEquals(BusKind.PXB_ROOT, d.bus("pcie.2").orElseThrow().kind());
		assertEquals(1, d.bus("pcie.2").orElseThrow().smmu());
		assertEquals("pcie.2", d.bus("pcie.port2").orElseThrow().parentBus());
		assertTrue(d.warnings().isEmpty());
	}

	@Test
	void listStringAndConfigFileFormsAgree() {
		VmDescription a = VmConfigParser.parse(TASK_ARGS);
		VmDescription b = VmConfigParser.parse(String.join(" ", TASK_ARGS));
		StringBuilder cfg = new StringBuilder("# the task's example\n\n");
		for (int i = 0; i < TASK_ARGS.size(); i += 2)
			cfg.append(i % 4 == 0 ? "" : "  ").append(TASK_ARGS.get(i).substring(i % 4 == 0 ? 0 : 1)).append(' ')
					.append(TASK_ARGS.get(i + 1)).append('\n');
		VmDescription c = VmConfigParser.parseConfigFile(cfg.toString());
		assertEquals(a, b);
		assertEquals(a, c);
		assertEquals(4L << 30, a.memory().size());
		VfioPci v = a.vfioDevices().get(0);
		assertEquals("02:00.0", v.guestBdf());
		assertEquals(0, v.smmu());
		assertEquals("0000:01:00.0", v.host());
	}

	@Test
	void toCommandLineRoundTrips() {
		VmDescription d = VmConfigParser.parse(EXAMPLE);
		String line = d.toCommandLine();
		assertEquals("-machine virt,gic-version=3,highmem-mmio-size=2T -accel kvm -m size=16G,slots=2,maxmem=66G"
				+ " -cpu host -smp cpus=4 -nographic -bios QEMU_EFI.fd -object iommufd,id=iommufd0"
				+ " -device pxb-pcie,id=pcie.1,bus=pcie.0,bus_nr=1"
				+ " -device arm-smmuv3,id=smmuv3.0,primary-bus=pcie.1,accel=on,ril=off,ats=on,ssidsize=20,oas=48"
				+ " -device pcie-root-port,id=pcie.port1,bus=pcie.1,chassis=1,pref64-reserve=512G"
				+ " -device vfio-pci,id=dev0,bus=pcie.port1,host=0019:06:00.0,iommufd=iommufd0,rombar=0,"
				+ "x-vpasid-cap-offset=0xff8"
				+ " -device pxb-pcie,id=pcie.2,bus=pcie.0,bus_nr=8"
				+ " -device arm-smmuv3,id=smmuv3.1,primary-bus=pcie.2,accel=on,ril=off,ats=on,ssidsize=20,oas=48"
				+ " -device pcie-root-port,id=pcie.port2,bus=pcie.2,chassis=2,pref64-reserve=512G"
				+ " -device vfio-pci,id=dev1,bus=pcie.port2,host=0018:06:00.0,iommufd=iommufd0,rombar=0,"
				+ "x-vpasid-cap-offset=0xff8", line);
		VmDescription again = VmConfigParser.parse(line);
		assertEquals(d, again);
		assertEquals(line, again.toCommandLine());
		assertEquals(d, VmConfigParser.parse(d.toArgs()));
	}

	@Test
	void roundTripKeepsQuotingAndDefaults() {
		VmDescription d = VmConfigParser.parse(List.of("-M", "virt", "-append", "console=ttyAMA0 root=/dev/vda",
				"-kernel", "Image", "-device", "virtio-net-pci,netdev=n0,romfile=a,,b"));
		assertEquals("tcg", d.accel().type());
		assertEquals(2, d.machine().gicVersion());
		assertEquals(128L << 20, d.memory().size());
		assertFalse(d.machine().firmwareLoaded());
		assertEquals("a,b", d.emulatedDevices().get(0).props().get("romfile"));
		String line = d.toCommandLine();
		assertTrue(line.contains("-append 'console=ttyAMA0 root=/dev/vda'"), line);
		assertTrue(line.contains("romfile=a,,b"), line);
		assertEquals(d, VmConfigParser.parse(line));
	}

	@Test
	void busNumbersFollowDepthFirstDevfnOrder() {
		VmDescription d = VmConfigParser.parse(BASE
				+ "-device pcie-root-port,id=rpB,chassis=2,addr=3 "
				+ "-device pcie-root-port,id=rpA,chassis=1,addr=2 "
				+ "-device pxb-pcie,id=pcie.1,bus_nr=16 "
				+ "-device pcie-root-port,id=rpC,bus=pcie.1,chassis=3 "
				+ "-device pcie-root-port,id=rpD,bus=pcie.1,chassis=4 "
				+ "-device e1000e,id=nic0,bus=rpB "
				+ "-device vfio-pci,host=01:00.0,id=v,bus=rpD,iommufd=iommufd0");
		assertEquals(1, ((RootPort) d.device("rpA").orElseThrow()).secondaryNumber(), "devfn order, not creation");
		assertEquals(2, ((RootPort) d.device("rpB").orElseThrow()).secondaryNumber());
		assertEquals(0x08, ((PxbPcie) d.device("pcie.1").orElseThrow()).devfn(), "slot 1: rp at 2 and 3");
		assertEquals(17, ((RootPort) d.device("rpC").orElseThrow()).secondaryNumber());
		assertEquals(18, ((RootPort) d.device("rpD").orElseThrow()).secondaryNumber());
		assertEquals(0x08, ((RootPort) d.device("rpD").orElseThrow()).devfn());
		assertEquals("02:00.0", ((EmulatedPci) d.device("nic0").orElseThrow()).guestBdf());
		VfioPci v = d.vfioDevices().get(0);
		assertEquals(0x1200, v.bdf());
		assertEquals(-1, v.smmu());
	}

	@Test
	void devicesOnPcie0BehindAVsmmuOnPcie0() {
		VmDescription d = VmConfigParser.parse(BASE
				+ "-device arm-smmuv3,primary-bus=pcie.0,id=s0,accel=on,ril=auto,ats=auto,ssidsize=auto "
				+ "-device vfio-pci,host=0000:01:00.0,id=v0,iommufd=iommufd0 "
				+ "-device pcie-root-port,id=rp,chassis=1 "
				+ "-device vfio-pci,host=0000:02:00.0,id=v1,iommufd=iommufd0,bus=rp "
				+ PXB1 + "-device pcie-root-port,id=rp1,bus=pcie.1,chassis=2 "
				+ "-device virtio-net-pci,id=n1,bus=rp1");
		Smmuv3 s = d.vsmmus().get(0);
		assertEquals(OnOffAuto.AUTO, s.ril());
		assertEquals(OnOffAuto.AUTO, s.ats());
		assertEquals(VmDescription.AUTO, s.ssidsize());
		assertEquals(44, s.oas());
		VfioPci v0 = d.vfioDevices().get(0), v1 = d.vfioDevices().get(1);
		assertEquals("00:01.0", v0.guestBdf());
		assertEquals(0, v0.smmu());
		assertEquals("01:00.0", v1.guestBdf());
		assertEquals(0, v1.smmu());
		EmulatedPci n1 = d.emulatedDevices().get(0);
		assertEquals(-1, n1.smmu(), "a pxb stops the walk when pcie.0's SMMU is per bus");
		assertEquals("02:00.0", n1.guestBdf());
	}

	@Test
	void legacySmmuCoversPxbBusesUnlessBypassed() {
		VmDescription d = VmConfigParser.parse("-machine virt,iommu=smmuv3 "
				+ "-device pxb-pcie,id=pcie.1,bus_nr=4 -device pxb-pcie,id=pcie.2,bus_nr=8,bypass_iommu=on "
				+ "-device pcie-root-port,id=a,bus=pcie.1,chassis=1 -device pcie-root-port,id=b,bus=pcie.2,chassis=2 "
				+ "-device virtio-net-pci,bus=a -device virtio-net-pci,bus=b -device e1000e");
		List<EmulatedPci> e = d.emulatedDevices();
		assertTrue(e.get(0).legacySmmu());
		assertFalse(e.get(1).legacySmmu());
		assertTrue(e.get(2).legacySmmu());
		assertTrue(d.machine().legacySmmuv3());
		assertTrue(d.vsmmus().isEmpty());
	}

	@Test
	void nonAccelSmmuResolvesAutoToEmulatedDefaults() {
		VmDescription d = VmConfigParser.parse("-machine virt -device arm-smmuv3,primary-bus=pcie.0,"
				+ "ril=auto,ats=auto,ssidsize=auto,stage=nested -device e1000e");
		Smmuv3 s = d.vsmmus().get(0);
		assertEquals(OnOffAuto.ON, s.ril());
		assertEquals(OnOffAuto.OFF, s.ats());
		assertEquals(0, s.ssidsize());
		assertEquals(0, s.msiGpa());
		assertEquals("nested", s.effectiveStage());
		assertEquals(0, d.emulatedDevices().get(0).smmu(), "emulated devices are fine behind accel=off");
	}

	@Test
	void msiGpaFollowsTheMsiController() {
		String rest = " -accel kvm -bios QEMU_EFI.fd -object iommufd,id=i -device arm-smmuv3,primary-bus=pcie.0,accel=on";
		assertEquals(0x08020040L, VmConfigParser.parse("-machine virt,gic-version=2" + rest).vsmmus().get(0).msiGpa());
		assertEquals(0x08020040L, VmConfigParser.parse("-machine virt" + rest).vsmmus().get(0).msiGpa());
		assertEquals(0x08090040L, VmConfigParser.parse("-machine virt,gic-version=host" + rest).vsmmus().get(0)
				.msiGpa());
		assertEquals(0L, VmConfigParser.parse("-machine virt,gic-version=3,its=off" + rest).vsmmus().get(0).msiGpa());
		assertEquals(3, VmConfigParser.parse("-machine virt -smp 16" + rest).machine().gicVersion());
	}

	@Test
	void firmwareVirtioIommuAndTwoSmmusOnOneBus() {
		String accel = "-accel kvm -object iommufd,id=i -device arm-smmuv3,primary-bus=pcie.0,accel=on";
		assertEquals("SMMUv3 with accel=on not supported for DT", err("-machine virt " + accel));
		assertEquals("SMMUv3 with accel=on not supported for DT", err("-machine virt -kernel Image " + accel));
		assertTrue(VmConfigParser.parse("-machine virt -pflash efi.img " + accel).machine().firmwareLoaded());
		assertEquals("virt machine does not support multiple IOMMUs", err("-machine virt,iommu=smmuv3 -device virtio-iommu-pci"));
		assertEquals("virt machine does not support multiple IOMMUs", err(BASE + "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
				+ "-device virtio-iommu-pci"));
		assertEquals("virt machine already has virtio-iommu set. Doesn't support incompatible iommus",
				err(BASE + "-device virtio-iommu-pci -device arm-smmuv3,primary-bus=pcie.0,accel=on"));
		VmDescription d = VmConfigParser.parse(BASE + PXB1 + SMMU1 + "-device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.1,accel=on " + PORT1
				+ "-device vfio-pci,host=0000:01:00.0,id=v,bus=pcie.port1,iommufd=iommufd0");
		assertEquals(2, d.vsmmus().size());
		assertEquals(1, d.vfioDevices().get(0).smmu(), "the later SMMU on the bus");
	}

	@Test
	void emulatedEndpointBeforeTheSmmuIsNotChecked() {
		VmDescription d = VmConfigParser.parse(BASE + "-device e1000e,id=n "
				+ "-device arm-smmuv3,primary-bus=pcie.0,accel=on");
		assertEquals(-1, d.emulatedDevices().get(0).smmu());
	}

	@Test
	void dtWarningForNonAccelSmmuOffPcie0() {
		VmDescription d = VmConfigParser.parse("-machine virt,acpi=off " + PXB1
				+ "-device arm-smmuv3,primary-bus=pcie.1");
		assertEquals(List.of("SMMUv3 device only supported with pcie.0 for DT"), d.warnings());
	}

	@Test
	void anonymousBridgesGetQemuBusNames() {
		VmDescription d = VmConfigParser.parse("-machine virt -device pxb-pcie,bus_nr=2 "
				+ "-device pcie-root-port,bus=pxb-pcie-bus.0 -device pcie-root-port,chassis=1,bus=pxb-pcie-bus.0");
		assertEquals(List.of("pcie.0", "pxb-pcie-bus.0", "pcie.0", "pcie.1"), d.buses().stream().map(Bus::name).toList());
		assertNull(d.rootPorts().get(0).id());
		assertEquals(3, d.rootPorts().get(0).secondaryNumber());
		assertEquals("Path 'pcie.0' does not uniquely identify an object",
				err("-machine virt -device pcie-root-port -device arm-smmuv3,primary-bus=pcie.0"));
	}

	@Test
	void optionScanErrors() {
		assertEquals("invalid option", err("-machine virt -frobnicate"));
		assertEquals("requires an argument", err("-machine virt -device"));
		assertEquals("Duplicate ID 'x' for device", err("-machine virt -device e1000e,id=x -device e1000,id=x"));
		assertEquals("Duplicate ID 'i' for object", err("-machine virt -object iommufd,id=i -object iommufd,id=i"));
		assertEquals("Parameter 'id' expects an identifier", err("-machine virt -device e1000e,id=0bad"));
		assertEquals("invalid option", err("-machine virt -device e1000e,id=x -device e1000,id=x -frobnicate"),
				"QEMU's first argv pass looks every option up before any is parsed");
		assertEquals("requires an argument", err("-machine virt -device e1000e,id=x -device e1000,id=x -m"));
		VmConfigException e = assertThrows(VmConfigException.class,
				() -> VmConfigParser.parse("-machine virt -device e1000e,id=x -device e1000,id=x"));
		assertEquals("-device e1000,id=x", e.option());
		assertEquals("qemu-system-aarch64: -device e1000,id=x: Duplicate ID 'x' for device", e.qemuLine());
	}

	@Test
	void machineAndAcceleratorErrors() {
		assertEquals("No machine specified, and there is no default", err("-m 1G"));
		assertEquals("unsupported machine type: \"q35\"", err("-machine q35"));
		assertEquals("Invalid gic-version value", err("-machine virt,gic-version=5"));
		assertEquals("Invalid iommu value", err("-machine virt,iommu=virtio"));
		assertEquals("Property 'virt-11.0-machine.bogus' not found", err("-machine virt,bogus=1"));
		assertEquals("Parameter 'acpi' does not accept value 'maybe'", err("-machine virt,acpi=maybe"));
		assertEquals("Parameter 'its' expects 'on' or 'off'", err("-machine virt,its=2"));
		assertEquals("invalid accelerator hvf", err("-machine virt -accel hvf"));
		assertEquals("Parameter 'accel' is missing", err("-machine virt -accel kernel-irqchip=on"));
		assertEquals("The -accel and \"-machine accel=\" options are incompatible",
				err("-machine virt -enable-kvm -accel kvm"));
		assertEquals("Parameter 'kernel-irqchip' does not accept value 'maybe'",
				err("-machine virt -accel kvm,kernel-irqchip=maybe"));
		assertEquals("Property 'tcg-accel.kernel-irqchip' not found", err("-machine virt -accel tcg,kernel-irqchip=on"));
		assertEquals("-machine kernel_irqchip=split is not supported on ARM.",
				err("-machine virt,kernel-irqchip=split -accel kvm"));
		assertEquals("gic-version=host requires KVM", err("-machine virt,gic-version=host"));
		assertEquals("KVM with kernel-irqchip=off does not support GICv3 emulation",
				err("-machine virt,gic-version=3 -accel kvm,kernel-irqchip=off"));
		assertEquals("KVM does not support GICv4 emulation, is virtualization=on?",
				err("-machine virt,gic-version=4 -accel kvm"));
		assertEquals("Parameter 'size' expects a non-negative number below 2^64", err("-machine virt -m lots"));
		assertEquals("Invalid parameter 'foo'", err("-machine virt -m 1G,foo=1"));
		assertEquals("invalid object type: iommufdx", err("-machine virt -object iommufdx,id=a"));
		assertEquals("Parameter 'id' is missing", err("-machine virt -object iommufd"));
		assertEquals("Invalid parameter 'size'", err("-machine virt -object iommufd,id=a,size=1"));
		VmDescription fallback = VmConfigParser.parse("-machine virt,accel=hvf:kvm");
		assertEquals("kvm", fallback.accel().type());
		assertEquals(List.of("invalid accelerator hvf", "falling back to KVM"), fallback.warnings());
		assertEquals(3L << 30, VmConfigParser.parse("-machine virt -m 3072").memory().size());
		// QEMU's parse_memory_options: -m 0 is the default size, and sizes align up to 8 KiB
		assertEquals(128L << 20, VmConfigParser.parse("-machine virt -m 0").memory().size());
		assertEquals(8192, VmConfigParser.parse("-machine virt -m 1000B").memory().size());
		assertEquals(3L << 20, VmConfigParser.parse("-machine virt -m size=3M").memory().size());
	}

	@Test
	void deviceLookupAndPropertyErrors() {
		assertEquals("'virtio-frob' is not a valid device model name", err(BASE + "-device virtio-frob"));
		assertEquals("Parameter 'driver' is missing", err(BASE + "-device id=x"));
		assertEquals("Bus 'pcie.7' not found", err(BASE + "-device e1000e,bus=pcie.7"));
		assertEquals("Bus 'dev0' not found",
				err(BASE + "-device vfio-pci,host=01:00.0,id=dev0 -device e1000e,bus=dev0"));
		assertEquals("Device 'arm-smmuv3' can't go on PCIE bus", err(BASE + "-device arm-smmuv3,bus=pcie.0"));
		assertEquals("Property 'vfio-pci.frob' not found", err(BASE + "-device vfio-pci,host=01:00.0,frob=1"));
		assertEquals("Property 'arm-smmuv3.frob' not found", err(BASE + "-device arm-smmuv3,frob=1"));
		assertEquals("Property 'pcie-root-port.frob' not found", err(BASE + "-device pcie-root-port,frob=1"));
		assertEquals("Property 'pxb-pcie.frob' not found", err(BASE + "-device pxb-pcie,frob=1"));
		assertEquals("Parameter 'accel' expects 'on' or 'off'", err(BASE + "-device arm-smmuv3,accel=1"));
		assertEquals("Parameter 'ril' does not accept value 'true'", err(BASE + "-device arm-smmuv3,ril=true"));
		assertEquals("Parameter 'ats' does not accept value 'yes'", err(BASE + "-device arm-smmuv3,ats=yes"));
		assertEquals("Parameter 'oas' does not accept value '50'", err(BASE + "-device arm-smmuv3,oas=50"));
		assertEquals("Parameter 'ssidsize' does not accept value '21'", err(BASE + "-device arm-smmuv3,ssidsize=21"));
		assertEquals("Parameter 'msi-gpa' expects integer", err(BASE + "-device arm-smmuv3,msi-gpa=z"));
		assertEquals("Parameter 'bus_nr' expects integer", err(BASE + "-device pxb-pcie,bus_nr=one"));
		assertEquals("Parameter 'bus_nr' expects uint8_t", err(BASE + "-device pxb-pcie,bus_nr=256"));
		assertEquals("Parameter 'bus_nr' expects uint8_t", err(BASE + "-device pxb-pcie,bus_nr=-1"));
		assertEquals("Parameter 'chassis' expects uint8_t", err(BASE + "-device pcie-root-port,chassis=0x100"));
		assertEquals("Parameter 'slot' expects uint16_t", err(BASE + "-device pcie-root-port,slot=65536"));
		assertEquals("Parameter 'bypass_iommu' expects 'on' or 'off'", err(BASE + "-device pxb-pcie,bypass_iommu=2"));
		assertEquals("Property 'e1000e.addr' doesn't take value '20'", err(BASE + "-device e1000e,addr=20"));
		assertEquals("Property 'e1000e.addr' doesn't take value '1.8'", err(BASE + "-device e1000e,addr=1.8"));
		assertEquals("Property 'vfio-pci.host' doesn't take value '06:00'", err(BASE + "-device vfio-pci,host=06:00"));
		assertEquals("Property 'vfio-pci.host' doesn't take value '0:100:00.0'",
				err(BASE + "-device vfio-pci,host=0:100:00.0"));
		assertEquals(0x08, VmConfigParser.parse(BASE + "-device pxb-pcie,bus_nr=0x8,id=p").pxbs().get(0).busNr());
	}

	@Test
	void linkPropertyErrors() {
		assertEquals("Device 'pcie.9' not found", err(BASE + "-device arm-smmuv3,primary-bus=pcie.9"));
		assertEquals("Invalid parameter type for 'primary-bus', expected: PCI",
				err(BASE + "-device e1000e,id=nic -device arm-smmuv3,primary-bus=nic"));
		assertEquals("Invalid parameter type for 'primary-bus', expected: PCI",
				err(BASE + "-device arm-smmuv3,primary-bus=iommufd0"));
		assertEquals("Device 'iommufd9' not found", err(BASE + "-device vfio-pci,host=01:00.0,iommufd=iommufd9"));
		assertEquals("Invalid parameter type for 'iommufd', expected: iommufd",
				err(BASE + "-device e1000e,id=nic -device vfio-pci,host=01:00.0,iommufd=nic"));
	}

	@Test
	void smmuPropertyValidationN() {
		String accelOff = "-machine virt -device arm-smmuv3,primary-bus=pcie.0,";
		assertEquals("QEMU SMMUv3 model only implements 44 and 48 bitOAS; other OasMode values are not supported",
				err(BASE + "-device arm-smmuv3,primary-bus=pcie.0,accel=on,oas=52"));
		assertEquals("QEMU SMMUv3 model only implements 44 and 48 bitOAS; other OasMode values are not supported",
				err(accelOff + "oas=auto"));
		assertEquals("ril can only be disabled if accel=on", err(accelOff + "ril=off"));
		assertEquals("ats can only be enabled if accel=on", err(accelOff + "ats=on"));
		assertEquals("OAS must be 44 bits when accel=off", err(accelOff + "oas=48"));
		assertEquals("ssidsize can only be greater than 0 bits if accel=on", err(accelOff + "ssidsize=4"));
		assertEquals("Only stage1 is supported for SMMUv3 with accel=on",
				err(BASE + "-device arm-smmuv3,primary-bus=pcie.0,accel=on,stage=2"));
		assertEquals(1, VmConfigParser.parse(BASE + "-device arm-smmuv3,primary-bus=pcie.0,accel=on,stage=1")
				.vsmmus().size());
		assertEquals("SMMU is not attached to any PCI bus!", err(BASE + "-device arm-smmuv3,accel=on"));
		assertEquals("SMMU should be attached to a default PCIe root complex(pcie.0) or a pxb-pcie based root complex",
				err(BASE + PXB1 + PORT1 + "-device arm-smmuv3,primary-bus=pcie.port1,accel=on"));
	}

	@Test
	void virtPrePlugAndPlugChecks() {
		assertEquals("virt machine already has iommu=smmuv3 set. Doesn't support incompatible iommus",
				err("-machine virt,iommu=smmuv3 -device arm-smmuv3,primary-bus=pcie.0"));
		assertEquals("virt machine already has iommu=smmuv3 set. Doesn't support incompatible iommus",
				err("-machine virt,iommu=smmuv3 -device arm-smmuv3,primary-bus=pcie.0,accel=on,oas=52"));
		assertEquals("SMMUv3 accel=on requires KVM with kernel-irqchip=on support",
				err("-machine virt -device arm-smmuv3,primary-bus=pcie.0,accel=on"));
		assertEquals("SMMUv3 accel=on requires KVM with kernel-irqchip=on support",
				err("-machine virt -accel kvm,kernel-irqchip=off -device arm-smmuv3,primary-bus=pcie.0,accel=on"));
		assertEquals("SMMUv3 accel=on requires KVM with kernel-irqchip=on support",
				err("-machine virt -accel tcg -device arm-smmuv3,primary-bus=pcie.0,accel=on,stage=2 -m 1G"));
		assertEquals("Bypass option cannot be set for SMMUv3 associated PCIe RC",
				err("-machine virt,default-bus-bypass-iommu=on -device arm-smmuv3,primary-bus=pcie.0"));
		assertEquals("Bypass option cannot be set for SMMUv3 associated PCIe RC",
				err(BASE + "-device pxb-pcie,id=pcie.1,bus_nr=1,bypass_iommu=on " + SMMU1));
		assertEquals("SMMUv3 with accel=on not supported for DT",
				err("-machine virt,acpi=off -accel kvm -device arm-smmuv3,primary-bus=pcie.0,accel=on"));
		assertEquals("SMMUv3 with accel=on not supported for DT",
				err("-machine virt -accel kvm -kernel Image -device arm-smmuv3,primary-bus=pcie.0,accel=on"));
		assertEquals(1, VmConfigParser.parse("-machine virt -accel kvm -kernel Image -bios QEMU_EFI.fd "
				+ "-device arm-smmuv3,primary-bus=pcie.0,accel=on").vsmmus().size());
		assertEquals(1, VmConfigParser.parse("-machine virt -accel kvm -kernel Image "
				+ "-drive if=pflash,format=raw,file=efi.img -device arm-smmuv3,primary-bus=pcie.0,accel=on")
				.vsmmus().size());
		StringBuilder many = new StringBuilder(BASE);
		for (int i = 0; i < 17; i++)
			many.append("-device arm-smmuv3,primary-bus=pcie.0,accel=on ");
		assertEquals("Platform Bus: Can not fit IRQ line", err(many.toString()));
		Smmuv3 last = VmConfigParser.parse(many.substring(0, many.lastIndexOf("-device"))).vsmmus().get(15);
		assertEquals(0x0c000000L + 15 * 0x20000L, last.mmioBase());
		assertEquals(172, last.firstSpi());
	}

	@Test
	void accelEndpointRules() {
		assertEquals("Emulated endpoint devices are not allowed when using arm-smmuv3,accel=on",
				err(BASE + PXB1 + SMMU1 + PORT1 + "-device virtio-net-pci,bus=pcie.port1"));
		assertEquals("Emulated endpoint devices are not allowed when using arm-smmuv3,accel=on",
				err(BASE + "-device arm-smmuv3,primary-bus=pcie.0,accel=on -device e1000e"));
		assertEquals("vfio-pci endpoint devices without an iommufd backend not allowed when using "
				+ "arm-smmuv3,accel=on", err(BASE + PXB1 + SMMU1 + PORT1 + "-device vfio-pci,host=01:00.0,bus=pcie.port1"));
		assertEquals("No provided host device", err(BASE + PXB1 + SMMU1 + PORT1
				+ "-device vfio-pci,iommufd=iommufd0,bus=pcie.port1"));
		assertEquals(1, VmConfigParser.parse(BASE + PXB1 + SMMU1 + PORT1
				+ "-device vfio-pci,fd=23,iommufd=iommufd0,bus=pcie.port1").vfioDevices().size());
	}

	@Test
	void pciPlacementErrors() {
		assertEquals("PCI: Only PCI/PCIe bridges can be plugged into pxb-pcie",
				err(BASE + PXB1 + "-device vfio-pci,host=01:00.0,bus=pcie.1,iommufd=iommufd0"));
		assertEquals("PCI: slot 1 function 0 not available for e1000e, in use by pxb-pcie,id=pcie.1",
				err(BASE + PXB1 + "-device e1000e,addr=1"));
		assertEquals("PCI: slot 0 function 0 not available for e1000e, in use by gpex-root,id=(null)",
				err(BASE + "-device e1000e,addr=0.0"));
		StringBuilder full = new StringBuilder(BASE);
		for (int i = 0; i < 32; i++)
			full.append("-device e1000e ");
		assertEquals("PCI: no slot/function available for e1000e, all in use or reserved", err(full.toString()));
		assertEquals("PXB devices can be attached only to root bus",
				err(BASE + "-device pcie-root-port,id=rp,chassis=1 -device pxb-pcie,id=p,bus=rp,bus_nr=4"));
		assertEquals("Bus 1 is already in use", err(BASE + PXB1 + "-device pxb-pcie,id=pcie.2,bus_nr=1"));
		assertEquals("Bus 0 is already in use",
				err(BASE + "-device pcie-root-port,chassis=1 -device pxb-pcie,id=pcie.2"));
		assertEquals("Illegal numa node 1", err(BASE + "-device pxb-pcie,id=p,bus_nr=2,numa_node=1"));
		assertEquals(1, VmConfigParser.parse(BASE + "-numa node -numa node -device pxb-pcie,id=p,bus_nr=2,numa_node=1")
				.pxbs().size());
		assertEquals("Can't add chassis slot, error -16",
				err(BASE + "-device pcie-root-port,id=a -device pcie-root-port,id=b"));
		assertEquals(2, VmConfigParser.parse(BASE + "-device pcie-root-port,id=a -device pcie-root-port,id=b,slot=1")
				.rootPorts().size());
	}

	@Test
	void autoPropertiesNeedAColdPluggedVfioDevice() {
		assertEquals("arm-smmuv3 accel=on with 'auto' properties requires at least one cold-plugged VFIO device",
				err(BASE + PXB1 + "-device arm-smmuv3,primary-bus=pcie.1,accel=on,ats=auto " + PORT1
						+ "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
						+ "-device vfio-pci,host=01:00.0,iommufd=iommufd0"));
		VmDescription ok = VmConfigParser.parse(BASE + PXB1 + "-device arm-smmuv3,primary-bus=pcie.1,accel=on,"
				+ "ats=auto " + PORT1 + "-device vfio-pci,host=01:00.0,iommufd=iommufd0,bus=pcie.port1");
		assertEquals(OnOffAuto.AUTO, ok.vsmmus().get(0).ats());
	}

	@Test
	void busNumberCollisionIsNoted() {
		VmDescription d = VmConfigParser.parse(BASE + "-device pcie-root-port,id=a,chassis=1 "
				+ "-device pcie-root-port,id=b,chassis=2 -device pxb-pcie,id=pcie.1,bus_nr=2");
		assertEquals(List.of("model: guest bus number 2 of pcie.1 is also taken by b"), d.warnings());
	}

	@Test
	void garbageNeverEscapesAsAnythingButVmConfigException() {
		String[] words = { "-machine", "virt", "-device", "arm-smmuv3", "-accel", "kvm", "-m", "", ",", ",,", "=",
				"id=", "bus=", "pcie.0", "-object", "iommufd", "primary-bus=pcie.0,accel=on", "vfio-pci,host=",
				"pxb-pcie,bus_nr=", "addr=0x", "-", "--", "-smp", "cpus=x", "e1000e,addr=.", "0x", "-numa", "node",
				"pcie-root-port,chassis=", "virt,gic-version=", "size=,slots=", "\u0000", "-enable-kvm" };
		java.util.Random r = new java.util.Random(42);
		int parsed = 0;
		for (int n = 0; n < 5000; n++) {
			List<String> args = new java.util.ArrayList<>();
			int len = r.nextInt(10);
			for (int i = 0; i < len; i++)
				args.add(words[r.nextInt(words.length)] + (r.nextInt(4) == 0 ? words[r.nextInt(words.length)] : ""));
			try {
				VmDescription d = VmConfigParser.parse(args);
				assertEquals(d, VmConfigParser.parse(d.toCommandLine()), args.toString());
				parsed++;
			} catch (VmConfigException e) {
				assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
			}
		}
		assertTrue(parsed > 0);
	}

	@Test
	void shellSplitHandlesQuotesAndContinuations() {
		assertEquals(List.of("a b", "c\"d", "e'f", "gh", "i\\j"),
				VmConfigParser.shellSplit("'a b' \"c\\\"d\" e\\'f g\\\nh \"i\\j\""));
		assertEquals("unterminated single quote",
				assertThrows(VmConfigException.class, () -> VmConfigParser.shellSplit("'open")).getMessage());
		assertEquals("unterminated double quote",
				assertThrows(VmConfigException.class, () -> VmConfigParser.shellSplit("\"open")).getMessage());
	}
}
