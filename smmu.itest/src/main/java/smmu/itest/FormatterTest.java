package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;

import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.Test;
import org.osgi.test.common.annotation.InjectService;

import smmu.hw.PciEndpoint;

/** The shell's one formatter is registered with Gogo and renders our records as tables. */
class FormatterTest {

	@Test
	void rendersRecordListsAsAlignedTables(@InjectService(filter = "(service.ranking=10000)") Converter converter) throws Exception {
		CharSequence text = converter.format(List.of(new PciEndpoint("0000:01:00.0", "smmu0", 0x100),
				new PciEndpoint("0000:02:00.0", "smmu1", 0x200)), Converter.INSPECT, converter);
		assertNotNull(text);
		assertEquals("""
				bdf           smmu   sid
				0000:01:00.0  smmu0  256
				0000:02:00.0  smmu1  512""", text.toString());
	}
}
