package smmu.gogo.script;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.gogo.script.ScriptRunner.Unit;

class ScriptRunnerTest {
	@Test
	void splitsWithGogosParserQuotesAndLines() {
		String script = "# a comment\necho \"sad :(\"\nsmmu:list\n\nx = 1 ; y = 2\neach [1 2] {\n  echo $it\n}\na && b\n";
		assertEquals(List.of(new Unit(2, "echo \"sad :(\""), new Unit(3, "smmu:list"), new Unit(5, "x = 1"), new Unit(5, "y = 2"),
				new Unit(6, "each [1 2] {\n  echo $it\n}"), new Unit(9, "a && b")), ScriptRunner.units(script));
	}

	@Test
	void quotesAndBracketsInStringsDoNotJoinLines() {
		assertEquals(List.of("echo '{ ['", "smmu:list"), ScriptRunner.statements(List.of("echo '{ ['", "smmu:list")));
	}
}
