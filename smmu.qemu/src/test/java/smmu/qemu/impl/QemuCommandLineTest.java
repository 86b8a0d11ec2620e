package smmu.qemu.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import smmu.qemu.QemuException;

class QemuCommandLineTest {
	static final String TWO = "-m 256M -object iommufd,id=iommufd0 -device pxb-pcie,id=pcie.1,bus_nr=1 "
			+ "-device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on -device pcie-root-port,id=rp0,bus=pcie.1,chassis=1 "
			+ "-device vfio-pci,host=0000:01:00.0,id=dev0,bus=rp0,iommufd=iommufd0 -device pxb-pcie,id=pcie.2,bus_nr=8 "
			+ "-device arm-smmuv3,primary-bus=pcie.2,id=smmuv3.1,accel=on -device pcie-root-port,id=rp1,bus=pcie.2,chassis=2 "
			+ "-device vfio-pci,host=02:00.0,bus=rp1 -smp 4";

	private static QemuCommandLine.Built build(String options) {
		return QemuCommandLine.build(options, "/dev/shm/x.ram", "/bios.fd", "/vmlinuz", "/initrd", true);
	}

	private static String after(List<String> args, String option, int nth) {
		int seen = 0;
		for (int i = 0; i < args.size() - 1; i++) {
			if (args.get(i).equals(option) && seen++ == nth) {
				return args.get(i + 1);
			}
		}
		return null;
	}

	@Test
	void hostDevicesBecomeFdsTheBridgeServes() {
		QemuCommandLine.Built b = build(TWO);
		assertEquals("100=iommufd,101=vfio:0000:01:00.0,102=vfio:0000:02:00.0", b.fds());
		assertEquals(Map.of("dev0", "0000:01:00.0", "vfio1", "0000:02:00.0"), b.vfio());
		String all = String.join(" ", b.args());
		assertTrue(all.contains("-object iommufd,id=iommufd0,fd=100"), all);
		assertTrue(all.contains("-device vfio-pci,id=dev0,fd=101,bus=rp0,iommufd=iommufd0"), all);
		assertTrue(all.contains("-device vfio-pci,id=vfio1,fd=102,bus=rp1,iommufd=iommufd0"), "id= added (fd= without id= crashes QEMU 11.1.3), iommufd= added: " + all);
		assertFalse(all.contains("host="), all);
		assertTrue(all.contains("-device arm-smmuv3,primary-bus=pcie.2,id=smmuv3.1,accel=on"), all);
		assertTrue(all.contains("-device pxb-pcie,id=pcie.2,bus_nr=8,bus=pcie.0"), "expander buses on pcie.0, as vm:create has them: " + all);
	}

	@Test
	void guestRamIsASharedFileOfTheDescriptionsSize() {
		QemuCommandLine.Built b = build(TWO);
		assertEquals(256L << 20, b.ramBytes());
		assertEquals("memory-backend-file,id=ram0,mem-path=/dev/shm/x.ram,share=on,size=256M", after(b.args(), "-object", 0));
		assertEquals("virt,gic-version=3,memory-backend=ram0", after(b.args(), "-machine", 0));
		assertEquals("4", after(b.args(), "-smp", 0), "the description's -smp, not the default");
		assertEquals("console=ttyAMA0 acpi=force panic=-1 smmu.hold=1", after(b.args(), "-append", 0));
		assertEquals("/bios.fd", after(b.args(), "-bios", 0));
	}

	@Test
	void refusedDescriptionsSayWhy() {
		assertTrue(assertThrows(QemuException.class, () -> build("-M virt")).getMessage().contains("set by the launcher"));
		assertTrue(assertThrows(QemuException.class, () -> build("-device vfio-pci,sysfsdev=/x")).getMessage().contains("host=BDF"));
		assertTrue(assertThrows(QemuException.class, () -> build("-device vfio-pci,host=1:2")).getMessage().contains("bad PCI address"));
		assertTrue(assertThrows(QemuException.class, () -> build("-object iommufd,id=a -object iommufd,id=b")).getMessage().contains("one -object iommufd"));
		assertTrue(assertThrows(QemuException.class, () -> build("-m 10M")).getMessage().contains("at least 64M"));
		assertTrue(assertThrows(QemuException.class, () -> build("-m")).getMessage().contains("needs a value"));
		assertTrue(assertThrows(QemuException.class, () -> build("-device vfio-pci,host=01:00.0,iommufd=other")).getMessage().contains("iommufd"));
		assertThrows(QemuException.class, () -> build("-device vfio-pci,host=01:00.0 -device vfio-pci,host=0000:01:00.0"));
	}

	@Test
	void quotedWordsStayWhole() {
		assertEquals(List.of("-append", "a b", "-x", "c"), QemuCommandLine.split("-append 'a b'  -x \"c\""));
		QemuCommandLine.Built b = build("-append 'smmu.workload=\"ls /\"'");
		assertTrue(after(b.args(), "-append", 0).endsWith("smmu.hold=1 smmu.workload=\"ls /\""), after(b.args(), "-append", 0));
	}

	@Test
	void sizes() {
		assertEquals(1L << 30, QemuCommandLine.size("1G"));
		assertEquals(512L << 20, QemuCommandLine.size("512"));
		assertEquals(128L << 20, QemuCommandLine.size("size=128M,slots=2,maxmem=1G"));
	}
}
