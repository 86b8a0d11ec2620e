package smmu.gogo.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

class DefaultVmTest {
	@Test
	void descriptionLinesBecomeOneCommandLine() {
		assertEquals("-m 256M -object iommufd,id=iommufd0 -device pxb-pcie,id=pcie.1,bus_nr=1", DefaultVm.options(List.of("# the VM", "", "  -m 256M \\",
				"-object iommufd,id=iommufd0", "   # a comment", "-device pxb-pcie,id=pcie.1,bus_nr=1", "")));
		assertEquals("", DefaultVm.options(List.of("# nothing", "   ")));
	}

	@Test
	void theShippedDescriptionIsTheTwoVsmmuVm() throws Exception {
		Path file = Path.of("..", "runtime", "etc", "vm0.args");
		String line = DefaultVm.options(Files.readAllLines(file));
		assertEquals(2, line.split("arm-smmuv3,").length - 1);
		assertEquals(2, line.split("pxb-pcie,").length - 1);
		for (String bdf : List.of("0000:01:00.0", "0000:01:00.1", "0000:02:00.0", "0000:02:00.1")) {
			assertEquals(2, line.split("host=" + bdf).length, bdf);
		}
	}
}
