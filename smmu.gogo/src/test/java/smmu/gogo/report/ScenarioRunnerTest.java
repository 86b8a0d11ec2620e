package smmu.gogo.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScenarioRunnerTest {
	@TempDir
	Path dir;

	@Test
	void runsEveryStatementInOrderAndEchoes() throws Exception {
		Path f = dir.resolve("two.gosh");
		Files.writeString(f, "# a comment\n\nvm:create a -m 64M\neach [1 2] {\n  echo $it\n}\nvm:boot a\n");
		List<String> seen = new ArrayList<>();
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ScenarioRunner.Outcome o = ScenarioRunner.run(ScenarioRunner.statements(f), s -> seen.add(s), new PrintStream(out, true));
		assertEquals(List.of("vm:create a -m 64M", "each [1 2] {\n  echo $it\n}", "vm:boot a"), seen);
		assertEquals(new ScenarioRunner.Outcome(3, null, null), o);
		assertTrue(o.ok());
		assertEquals("g! vm:create a -m 64M\ng! each [1 2] {\n  echo $it\n}\ng! vm:boot a\n", out.toString().replace("\r", ""));
	}

	@Test
	void stopsAtTheFirstFailureWithItsMessage() {
		List<String> seen = new ArrayList<>();
		ScenarioRunner.Outcome o = ScenarioRunner.run(List.of("a", "b", "c"), s -> {
			seen.add(s);
			if (s.equals("b")) {
				throw new IllegalStateException("wrapped", new IllegalArgumentException("no VM named 'x'"));
			}
			return null;
		}, null);
		assertEquals(List.of("a", "b"), seen);
		assertEquals(new ScenarioRunner.Outcome(1, "b", "wrapped"), o);
		ScenarioRunner.Outcome bare = ScenarioRunner.run(List.of("z"), s -> {
			throw new RuntimeException(null, new IllegalArgumentException("inner"));
		}, null);
		assertEquals("inner", bare.error());
	}

	@Test
	void resolvesNamesInTheFolderAndPaths() throws Exception {
		Files.writeString(dir.resolve("b.gosh"), "x\n");
		Files.writeString(dir.resolve("a.gosh"), "y\n");
		Files.writeString(dir.resolve("notes.txt"), "z\n");
		assertEquals(dir.resolve("a.gosh"), ScenarioRunner.resolve("a", dir.toString()));
		assertEquals(dir.resolve("b.gosh"), ScenarioRunner.resolve("b.gosh", dir.toString()));
		assertEquals(dir.resolve("notes.txt"), ScenarioRunner.resolve(dir.resolve("notes.txt").toString(), null));
		assertEquals(List.of("a", "b"), ScenarioRunner.names(dir.toString()));
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScenarioRunner.resolve("c", dir.toString()));
		assertTrue(e.getMessage().startsWith("no scenario 'c'") && e.getMessage().endsWith("have: a, b)"), e.getMessage());
		assertEquals(List.of(), ScenarioRunner.names(dir.resolve("missing").toString()));
	}

	@Test
	void unreadableScenarioSaysSo() {
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScenarioRunner.statements(dir.resolve("none.gosh")));
		assertTrue(e.getMessage().startsWith("cannot read scenario"), e.getMessage());
		assertNull(ScenarioRunner.run(List.of(), s -> null, null).failed());
	}
}
