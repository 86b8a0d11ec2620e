package smmu.webconsole;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {
	@Test
	void writesWhatThePageReads() {
		Map<String, Object> m = new LinkedHashMap<>();
		m.put("name", "vm\"0</script>");
		m.put("n", 3);
		m.put("rate", 0.5);
		m.put("whole", 12288.0);
		m.put("nan", Double.NaN);
		m.put("list", Arrays.asList(1L, null, true));
		assertEquals("{\"name\":\"vm\\\"0\\u003c/script>\",\"n\":3,\"rate\":0.500000,\"whole\":12288,\"nan\":null,\"list\":[1,null,true]}", Json.write(m));
		assertEquals("[]", Json.write(List.of()));
	}

	@Test
	void onlyTheLoopbackIsLetIn() {
		assertTrue(LocalhostOnly.loopback("127.0.0.1"));
		assertTrue(LocalhostOnly.loopback("::1"));
		assertFalse(LocalhostOnly.loopback("192.168.1.7"));
		assertFalse(LocalhostOnly.loopback(null));
	}
}
