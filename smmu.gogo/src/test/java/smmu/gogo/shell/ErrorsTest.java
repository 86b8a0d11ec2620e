package smmu.gogo.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.junit.jupiter.api.Test;

import smmu.gogo.format.ShellError;

class ErrorsTest {
	public static class Sample {
		@Descriptor("walk the tables: every descriptor")
		public String walk(@Parameter(names = "--ssid", absentValue = "-1") String ssid,
				@Parameter(names = "--write", presentValue = "true", absentValue = "false") boolean write, String smmu, String sid, String iova) {
			return null;
		}

		public String create(String name, String... options) {
			return null;
		}
	}

	@Test
	void usageNamesOptionsAndArgumentsFromTheMethod() throws Exception {
		assertEquals(List.of("smmu:walk [--ssid <ssid>] [--write] <smmu> <sid> <iova>"), Usage.lines("smmu:walk", new Sample()));
		assertEquals(List.of("vm:create <name> <options...>"), Usage.lines("vm:create", new Sample()));
		assertEquals("walk the tables", Usage.summary(Sample.class.getMethod("walk", String.class, boolean.class, String.class, String.class, String.class)));
	}

	@Test
	void messagesHaveNoExceptionNames() {
		assertEquals("no VM named 'x'", Errors.message(new InvocationTargetException(new ShellError("no VM named 'x'")), null, null));
		assertEquals("no such file or directory: /nonexistent/x.svg", Errors.message(new NoSuchFileException("/nonexistent/x.svg"), null, null));
		assertEquals("bad guest RAM 0", Errors.message(new IllegalArgumentException("bad guest RAM 0"), null, null));
		assertEquals("interrupted", Errors.message(new InterruptedException(), null, null));
		String npe = Errors.message(new NullPointerException(), null, "refresh");
		assertTrue(npe.startsWith("internal error in 'refresh'") && !npe.contains("Exception"), npe);
		assertEquals("disk full", Errors.message(new IOException("disk full"), null, null));
		assertEquals("unknown command 'lsit' ('help' lists the commands)", Errors.unknown(null, "lsit"));
	}

	@Test
	void nearestNamesAllowTypos() {
		Set<String> commands = Set.of("smmu:list", "vm:list", "smmu:ste", "smmu:stats", "candidates:vms", "vm:boot");
		assertEquals(List.of("smmu:list", "vm:list"), Errors.nearest(commands, "lsit"));
		assertEquals(List.of("smmu:ste", "smmu:stats"), Errors.nearest(commands, "smmu:sta"));
		assertEquals(List.of(), Errors.nearest(commands, "vms"));
		assertEquals(1, Errors.distance("lsit", "list"));
	}

	@Test
	void aTieAtTheFourthNameKeepsEveryNameAsNear() {
		Set<String> commands = Set.of("policy:list", "qemu:list", "scr:list", "smmu:list", "vm:list", "smmu:lists", "vm:lst");
		// five exact names tie at the fourth place: all five, and none of the nearer-than-limit but farther ones
		assertEquals(List.of("policy:list", "qemu:list", "scr:list", "smmu:list", "vm:list"), Errors.nearest(commands, "list"));
		// the exact name first, then four at distance 1 tying at the fourth place
		Set<String> five = Set.of("d:lisst", "a:list", "b:list", "c:list", "e:list");
		assertEquals(List.of("d:lisst", "a:list", "b:list", "c:list", "e:list"), Errors.nearest(five, "lisst"));
	}
}
