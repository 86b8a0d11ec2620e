package smmu.gogo.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import smmu.gogo.format.ShellError;

class UnitsTest {
	@Test
	void sizes() {
		assertEquals(4096, Units.bytes("io", "4096"));
		assertEquals(4096, Units.bytes("io", "4K"));
		assertEquals(2L << 20, Units.bytes("io", "2M"));
		assertEquals(256L << 30, Units.bytes("ram", "256G"));
		assertEquals(1L << 30, Units.bytes("ram", "1GiB"));
		assertEquals(0x1000, Units.bytes("io", "0x1000"));
		assertEquals("io: 'lots' is not a size (e.g. 4096, 64K, 2M, 1G)", assertThrows(ShellError.class, () -> Units.bytes("io", "lots")).getMessage());
	}

	@Test
	void durations() {
		assertEquals(Duration.ofMillis(500), Units.duration("d", "500ms"));
		assertEquals(Duration.ofSeconds(10), Units.duration("d", "10s"));
		assertEquals(Duration.ofSeconds(10), Units.duration("d", "10"));
		assertEquals(Duration.ofMinutes(2), Units.duration("d", "2m"));
		assertEquals(Duration.ZERO, Units.duration("d", "0"));
		assertEquals("d: 'soon' is not a duration (e.g. 500ms, 10s, 2m; 0 for none)", assertThrows(ShellError.class, () -> Units.duration("d", "soon")).getMessage());
	}
}
