package smmu.gogo.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.apache.felix.service.command.Function;
import org.junit.jupiter.api.Test;

import smmu.gogo.report.Comparison;

class FormatterTest {
	record Narrow(String bdf, String smmu, @Hex long sid) {}

	/** Nine columns of 12-character cells: 9 * 12 + 8 * 2 = 124 columns in one piece. */
	record Wide(String id, String a, String b, String c, String d, String e, String f, String g, String h) {}

	record Named(String name, String value) {}

	record Register(String name, @Hex long offset, @Hex long value, String decoded) {}

	static List<Wide> wide(int rows) {
		List<Wide> l = new ArrayList<>();
		for (int r = 0; r < rows; r++) {
			String[] v = new String[9];
			for (int c = 0; c < 9; c++) {
				v[c] = String.format("r%dc%d", r, c) + "-".repeat(8);
			}
			l.add(new Wide(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]));
		}
		return l;
	}

	static int occurrences(String text, String word) {
		int n = 0;
		for (int i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
			n++;
		}
		return n;
	}

	static void fits(String text, int width) {
		for (String line : text.split("\n")) {
			assertTrue(line.length() <= width, "longer than " + width + ": '" + line + "'");
		}
	}

	@Test
	void aTableThatFitsIsOnePieceAsBefore() {
		String text = new Formatter().inspect(List.of(new Narrow("0000:01:00.0", "smmu0", 0x100), new Narrow("0000:02:00.0", "smmu1", 0x200)));
		assertEquals("""
				bdf           smmu   sid
				0000:01:00.0  smmu0  0x100
				0000:02:00.0  smmu1  0x200""", text);
	}

	@Test
	void aWideTableIsStackedInPartsThatRepeatTheKeyColumn() {
		String text = new Formatter().inspect(wide(3));
		fits(text, 100);
		String[] parts = text.split("\n\n");
		assertEquals(2, parts.length, text);
		for (String part : parts) {
			String[] lines = part.split("\n");
			assertEquals(4, lines.length, part);
			assertTrue(lines[0].startsWith("id  "), part);
			for (int r = 0; r < 3; r++) {
				assertTrue(lines[r + 1].startsWith(String.format("r%dc0", r)), part);
			}
		}
		// 12 + 6 * (2 + 12) = 96 columns fit, a seventh column would make 110
		assertEquals("id            a             b             c             d             e             f", parts[0].split("\n")[0]);
		assertEquals("id            g             h", parts[1].split("\n")[0]);
		assertEquals("r2c0--------  r2c7--------  r2c8--------", parts[1].split("\n")[3]);
		for (int r = 0; r < 3; r++) {
			assertEquals(2, occurrences(text, String.format("r%dc0-", r)), "the key in each part");
			for (int c = 1; c < 9; c++) {
				assertEquals(1, occurrences(text, String.format("r%dc%d-", r, c)), "every other cell once");
			}
		}
		for (String h : new String[] { "  a  ", "  b  ", "  g  ", "  h" }) {
			assertEquals(1, occurrences(text, h), h);
		}
	}

	@Test
	void aColumnTooWideForAnyPartWrapsInPlaceUnderItsHeader() {
		StringBuilder fields = new StringBuilder();
		for (int i = 0; i < 20; i++) {
			fields.append(i == 0 ? "" : " ").append("FIELD").append(i).append("=1");
		}
		String text = new Formatter().inspect(List.of(new Register("IDR0", 0, 0x0d44101bL, fields.toString()), new Register("IDR1", 4, 0x02730010L, "SIDSIZE=16")));
		fits(text, 100);
		String[] lines = text.split("\n");
		assertEquals("name  offset  value      decoded", lines[0]);
		assertTrue(lines[1].startsWith("IDR0     0x0  0xd44101b  FIELD0=1 FIELD1=1 "), text);
		assertTrue(lines[2].startsWith(" ".repeat(25) + "FIELD"), "continued under decoded: " + text);
		assertEquals("IDR1     0x4  0x2730010  SIDSIZE=16", lines[lines.length - 1]);
		assertEquals(-1, text.indexOf("\n\n"), "one part");
		for (int i = 0; i < 20; i++) {
			assertEquals(1, occurrences(text, " FIELD" + i + "=1"), "FIELD" + i + " once");
		}
	}

	@Test
	void aComparisonRepeatsMetricAndUnit() {
		List<String> designs = new ArrayList<>();
		List<Double> values = new ArrayList<>();
		for (int d = 0; d < 8; d++) {
			designs.add("design-number-" + d);
			values.add(1000.0 + d);
		}
		String text = new Formatter().inspect(new Comparison("t", designs, List.of(new Comparison.Metric("stage2Bytes", "bytes", values))));
		fits(text, 100);
		String[] parts = text.substring(2).split("\n\n");
		assertTrue(parts.length >= 2, text);
		for (String part : parts) {
			assertTrue(part.startsWith("metric       unit "), part);
			assertTrue(part.split("\n")[1].startsWith("stage2Bytes  bytes"), part);
		}
		for (int d = 0; d < 8; d++) {
			assertEquals(1, occurrences(text, "design-number-" + d), text);
			assertEquals(1, occurrences(text, Long.toString(1000 + d)), text);
		}
	}

	@Test
	void widthComesFromTheSessionsColumns() throws Exception {
		CommandProcessorImpl processor = new CommandProcessorImpl(null);
		processor.addConverter(new GogoConverter());
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (CommandSession session = processor.createSession(InputStream.nullInputStream(), out, out)) {
			String plain = session.format(wide(2), Converter.INSPECT).toString();
			assertEquals(new Formatter(100).inspect(wide(2)), plain, "no COLUMNS: 100");
			session.put("COLUMNS", "130");
			assertEquals(1, session.format(wide(2), Converter.INSPECT).toString().split("\n\n").length, "COLUMNS as a string");
			// the console's terminal width, as Gogo's own console gives it: a function variable
			session.put("#COLUMNS", (Function) (s, a) -> 60);
			String narrow = session.format(wide(2), Converter.INSPECT).toString();
			fits(narrow, 60);
			assertEquals(3, narrow.split("\n\n").length, "12 + 3 * 14 = 54 columns a part: " + narrow);
			session.put("#COLUMNS", (Function) (s, a) -> 0);
			assertEquals(plain, session.format(wide(2), Converter.INSPECT).toString(), "a terminal that says 0: 100");
		}
		assertEquals(Formatter.MIN_WIDTH, new Formatter(5).width());
	}

	@Test
	void longNameValueLinesWrapUnderTheValue() {
		String words = "0000000000000001 0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000";
		String text = new Formatter().inspect(new Named("STE", words));
		assertEquals("""
				name   STE
				value  0000000000000001 0000000000000000 0000000000000000 0000000000000000 0000000000000000
				       0000000000000000 0000000000000000 0000000000000000""", text);
		String one = "x".repeat(120);
		assertEquals("name   a\nvalue  " + one, new Formatter().inspect(new Named("a", one)), "a word longer than the width stays whole");
		assertEquals("name   a\nvalue  short", new Formatter().inspect(new Named("a", "short")));
		// a multi-line value (vm:topology's tree): its lines as they are, a long one continued two columns in
		assertEquals("name   tree\nvalue\n  pcie.0\n    rp0", new Formatter().inspect(new Named("tree", "\n  pcie.0\n    rp0")));
		assertEquals("name   tree\nvalue\n  pcie.0\n    " + words.substring(0, 84) + "\n      " + words.substring(85),
				new Formatter().inspect(new Named("tree", "\n  pcie.0\n    " + words)));
	}
}
