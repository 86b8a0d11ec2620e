package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import smmu.accel.Msi;
import smmu.accel.VirtualMachine;
import smmu.accel.VmException;
import smmu.accel.VmManager;
import smmu.hw.HostPlatform;
import smmu.hw.arch.Regs;
import smmu.iommufd.Iommufd;

/**
 * The host's ID registers and MSI controller as configuration (PID {@code smmu.host}): a part Linux does
 * not let nest, an OAS QEMU's host-compatibility check refuses, a GICv2m host; each reached through the
 * running framework, from the Config Admin change to the VM manager's answer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostRegistersTest {
	static final String LINE = "-m 64M -bios QEMU_EFI.fd -object iommufd,id=iommufd0 -device pxb-pcie,id=pcie.1,bus_nr=1"
			+ " -device arm-smmuv3,primary-bus=pcie.1,id=smmuv3.0,accel=on%s -device pcie-root-port,id=rp0,bus=pcie.1,chassis=1"
			+ " -device vfio-pci,host=0000:01:00.0,id=dev0,bus=rp0,iommufd=iommufd0";

	@InjectBundleContext
	BundleContext context;

	@InjectService
	ConfigurationAdmin cm;

	VmManager configure(String msi, String... registers) throws Exception {
		long before = Platform.newestId(context, VmManager.class);
		Platform.configure(cm, "smmu.host", "registers", registers, "msiController", msi);
		// the host, its kernel and the VM manager are rebuilt on the new configuration
		return Platform.awaitNewer(context, VmManager.class, before);
	}

	@AfterAll
	void defaultHost() throws Exception {
		long before = Platform.newestId(context, VmManager.class);
		Platform.reset(cm, "smmu.host");
		Platform.awaitNewer(context, VmManager.class, before);
		Platform.await(context, HostPlatform.class, h -> h.msiController().kind() == smmu.hw.irq.MsiController.Kind.GICV3_ITS
				&& h.smmus().size() == 2 && h.smmus().get(0).read32(Regs.IIDR) == 0x4871143b);
	}

	@Test
	void aHostWith44BitOasReachesQemusCompatibilityMessage() throws Exception {
		VmManager m = configure("gicv3-its@0x2f020000", "smmu0:IDR5=0x74");
		VmException e = assertThrows(VmException.class, () -> m.create("x", String.format(LINE, ",oas=48")));
		assertEquals("vfio 0000:01:00.0: Failed to set vIOMMU: Host SMMUv3 supports only 44-bit IPA, but the vSMMU OAS implies 48-bit IPA",
				e.getMessage());
		assertTrue(m.list().isEmpty());
	}

	@Test
	void anMmu700R0p0HostCannotNest() throws Exception {
		VmManager m = configure("gicv3-its@0x2f020000", "IIDR=0x4870043b");
		VmException e = assertThrows(VmException.class, () -> m.create("x", String.format(LINE, "")));
		assertEquals("vfio 0000:01:00.0: Failed to allocate hwpt", e.getMessage());
	}

	@Test
	void aGicv2mHostGivesTheVmsVsmmusTheGicv2mMsiGpaAndDeliversMsis() throws Exception {
		VmManager m = configure("gicv2m@0x2f000000");
		VirtualMachine vm = m.create("x", String.format(LINE, ""));
		try {
			assertEquals("0x8020040", vm.topology().vsmmus().get(0).properties().get("msi-gpa"));
			vm.boot();
			Msi msi = vm.msi("dev0", 1);
			assertEquals("x:1", msi.deliveredTo(), msi.toString());
			assertEquals(0x2f00_0040L, msi.hostPa());
		} finally {
			m.destroy("x");
		}
	}
}
