package smmu.hw.snapshot;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import smmu.hw.SparseMemory;

/**
 * Randomized inputs for the snapshot parsers, from a fixed seed: the committed QEMU snapshot's
 * texts mutated (bytes flipped, inserted, deleted, lines swapped and truncated) and plain garbage.
 * Each parse either succeeds or ends as {@link IllegalArgumentException} whose message names the
 * line (the RAM image: IllegalArgumentException or IOException for a truncated or corrupt gzip);
 * nothing else escapes. {@code -Dsmmu.fuzz.iterations=N} runs longer (docs/iommufd.md).
 */
class SnapshotFuzzTest {
	static final long SEED = Long.getLong("smmu.fuzz.seed", 0x5eed_10_6L);
	static final int ITERATIONS = Integer.getInteger("smmu.fuzz.iterations", 600);

	static String mutate(Random r, String text) {
		StringBuilder b = new StringBuilder(text);
		int edits = 1 + r.nextInt(8);
		for (int e = 0; e < edits && b.length() > 0; e++) {
			int at = r.nextInt(b.length());
			switch (r.nextInt(7)) {
				case 0 -> b.setCharAt(at, (char) r.nextInt(128));
				case 1 -> b.insert(at, "0x" + Long.toHexString(r.nextLong()));
				case 2 -> b.delete(at, Math.min(b.length(), at + 1 + r.nextInt(40)));
				case 3 -> b.setLength(at);
				case 4 -> b.insert(at, pick(r, "=", " ", "\n", "#", "size: 0x", "val:0x", "addr: 0x", "sid=", "perm=0x", "(", "-1)",
						"smmuv3_write_mmio ", "smmuv3_translate_success ", "_", "\u00e9", "\t"));
				case 5 -> b.setCharAt(at, Character.forDigit(r.nextInt(16), 16));
				default -> b.insert(at, String.valueOf(r.nextLong()));
			}
		}
		return b.toString();
	}

	static String pick(Random r, String... s) {
		return s[r.nextInt(s.length)];
	}

	static String garbage(Random r) {
		byte[] b = new byte[r.nextInt(300)];
		r.nextBytes(b);
		return new String(b, StandardCharsets.ISO_8859_1);
	}

	/** Runs {@code parse}; only success or an IllegalArgumentException naming its line is allowed. */
	static void clear(String input, Consumer<String> parse, int i) {
		try {
			parse.accept(input);
		} catch (IllegalArgumentException e) {
			assertTrue(e.getMessage() != null && (e.getMessage().startsWith("line ") || e.getMessage().startsWith("no ")),
					"iteration " + i + ": unclear message " + e.getMessage());
		} catch (RuntimeException e) {
			fail("iteration " + i + " (seed " + SEED + "): " + e + " for input:\n" + input, e);
		}
	}

	@Test
	void registerStateAndTranslationParsersEndInAClearError() throws IOException {
		String trace = Files.readString(Fixture.file("regs.trace"));
		String txt = Files.readString(Fixture.file("regs.txt"));
		String ids = Files.readString(Fixture.file("idregs.txt"));
		String translations = Files.readString(Fixture.file("translations.trace"));
		Random r = new Random(SEED);
		for (int i = 0; i < ITERATIONS; i++) {
			String base = switch (i % 4) {
				case 0 -> trace;
				case 1 -> txt;
				case 2 -> ids;
				default -> translations;
			};
			String input = r.nextInt(10) == 0 ? garbage(r) : mutate(r, base);
			clear(input, RegisterState::parse, i);
			clear(input, QemuTranslations::parse, i);
		}
	}

	@Test
	void ramImagesTruncatedOrCorruptEndInAClearError(@TempDir Path dir) throws IOException {
		byte[] image = new byte[3 * RamImage.PAGE + 100];
		Random r = new Random(SEED);
		r.nextBytes(image);
		ByteArrayOutputStream gz = new ByteArrayOutputStream();
		try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
			out.write(image);
		}
		byte[] gzip = gz.toByteArray();
		int runs = Math.max(50, ITERATIONS / 10);
		for (int i = 0; i < runs; i++) {
			byte[] in = (i % 2 == 0 ? gzip : image).clone();
			int cut = r.nextInt(in.length + 1);
			byte[] cutIn = java.util.Arrays.copyOf(in, cut);
			for (int k = r.nextInt(4); k > 0 && cutIn.length > 2; k--) {
				cutIn[2 + r.nextInt(cutIn.length - 2)] ^= (byte) (1 << r.nextInt(8));
			}
			Path file = dir.resolve("ram" + i + ".img");
			Files.write(file, cutIn);
			long base = r.nextBoolean() ? 0x4000_0000L : (1L << 36) - r.nextInt(4 * RamImage.PAGE);
			try {
				RamImage.load(file, base, 36);
			} catch (IllegalArgumentException | IOException e) {
				assertTrue(e.getMessage() != null, "iteration " + i + ": " + e);
			} catch (RuntimeException e) {
				fail("iteration " + i + " (seed " + SEED + "): " + e, e);
			}
			try (InputStream s = new ByteArrayInputStream(cutIn)) {
				RamImage.load(s, base, new SparseMemory(36));
			} catch (IllegalArgumentException | IOException e) {
				assertTrue(e.getMessage() != null, "iteration " + i + ": " + e);
			} catch (RuntimeException e) {
				fail("iteration " + i + " (seed " + SEED + "): " + e, e);
			}
		}
	}
}
