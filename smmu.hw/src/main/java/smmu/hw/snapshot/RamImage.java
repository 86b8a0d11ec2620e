package smmu.hw.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import smmu.hw.PhysicalMemory;
import smmu.hw.SparseMemory;

/**
 * A raw RAM image as QEMU's HMP {@code pmemsave <addr> <size> <file>} writes it (the bytes of guest
 * physical memory from {@code addr}, nothing else), plain or gzip-compressed, loaded at its base
 * address. Loading streams the image in 4 KiB pages and skips all-zero pages, so a
 * {@link SparseMemory} only backs the pages that hold data.
 */
public final class RamImage {
	private RamImage() {}

	/** The unit the image is read and checked for zeros in. */
	public static final int PAGE = 4096;

	private static final byte[] ZERO = new byte[PAGE];

	/**
	 * Loads an image into a new sparse memory of {@code addressBits} bits.
	 *
	 * @throws IllegalArgumentException if the image does not fit below {@code 1 << addressBits}
	 */
	public static SparseMemory load(Path image, long base, int addressBits) throws IOException {
		SparseMemory memory = new SparseMemory(addressBits);
		load(image, base, memory);
		return memory;
	}

	/**
	 * Loads an image (plain or gzip) at {@code base} into {@code memory}; zero pages of the image are
	 * zeroed in memory, which costs a sparse memory nothing.
	 *
	 * @return the size of the (uncompressed) image in bytes
	 * @throws IllegalArgumentException if the image does not fit the memory's address space, checked
	 *         before anything is written for a plain image
	 */
	public static long load(Path image, long base, PhysicalMemory memory) throws IOException {
		try (InputStream in = Texts.openStream(image)) {
			checkBase(base, memory);
			if (!isGzip(image)) {
				checkFits(base, Files.size(image), memory, "");
			}
			return load(in, base, memory);
		} catch (IllegalArgumentException e) {
			throw new IllegalArgumentException(image + ": " + e.getMessage(), e);
		}
	}

	/**
	 * Loads an uncompressed image from a stream at {@code base} into {@code memory}.
	 *
	 * @return the number of bytes read
	 * @throws IllegalArgumentException when the image reaches beyond the memory's address space; the
	 *         pages before that point are loaded
	 */
	public static long load(InputStream in, long base, PhysicalMemory memory) throws IOException {
		checkBase(base, memory);
		byte[] page = new byte[PAGE];
		long offset = 0;
		while (true) {
			int n = in.readNBytes(page, 0, PAGE);
			if (n == 0) {
				return offset;
			}
			checkFits(base, offset + n, memory, "at least ");
			if (Arrays.mismatch(page, 0, n, ZERO, 0, n) < 0) {
				memory.zero(base + offset, n);
			} else {
				memory.write(base + offset, page, 0, n);
			}
			offset += n;
			if (n < PAGE) {
				return offset;
			}
		}
	}

	private static boolean isGzip(Path image) throws IOException {
		try (InputStream in = Files.newInputStream(image)) {
			return in.read() == 0x1f && in.read() == 0x8b;
		}
	}

	private static long limit(PhysicalMemory memory) {
		return memory.addressBits() >= 63 ? Long.MAX_VALUE : 1L << memory.addressBits();
	}

	private static void checkBase(long base, PhysicalMemory memory) {
		if (base < 0 || base >= limit(memory)) {
			throw new IllegalArgumentException(String.format("base 0x%x is outside the %d-bit physical address space",
					base, memory.addressBits()));
		}
	}

	private static void checkFits(long base, long size, PhysicalMemory memory, String atLeast) {
		long limit = limit(memory);
		if (size > limit - base) {
			throw new IllegalArgumentException(String.format(
					"an image of %s%d bytes at 0x%x ends at 0x%x, beyond the %d-bit physical address space (limit 0x%x)",
					atLeast, size, base, base + size, memory.addressBits(), limit));
		}
	}
}
