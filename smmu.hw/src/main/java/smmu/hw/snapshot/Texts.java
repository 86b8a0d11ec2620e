package smmu.hw.snapshot;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opening snapshot files, plain or gzip-compressed (told apart by the gzip magic number). */
final class Texts {
	private Texts() {}

	static InputStream openStream(Path file) throws IOException {
		InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
		try {
			in.mark(2);
			int b0 = in.read(), b1 = in.read();
			in.reset();
			if (b0 == 0x1f && b1 == 0x8b) {
				return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
			}
			return in;
		} catch (IOException | RuntimeException e) {
			in.close();
			throw e;
		}
	}

	static BufferedReader open(Path file) throws IOException {
		return new BufferedReader(new InputStreamReader(openStream(file), StandardCharsets.UTF_8));
	}
}
