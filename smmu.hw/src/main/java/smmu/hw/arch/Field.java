package smmu.hw.arch;

/**
 * A bit field of a structure made of little-endian 64-bit words (STE, CD, command, event record,
 * descriptor): word index, lowest bit and width, as the architecture tables give them.
 */
public record Field(String name, int word, int lo, int width) {

	public Field {
		if (word < 0 || lo < 0 || width < 1 || lo + width > 64) {
			throw new IllegalArgumentException(name + ": bad field " + word + ":" + lo + "+" + width);
		}
	}

	/** A field of word {@code word} covering bits {@code hi} down to {@code lo}, inclusive. */
	public static Field of(String name, int word, int hi, int lo) {
		return new Field(name, word, lo, hi - lo + 1);
	}

	public long mask() {
		return width == 64 ? -1L : ((1L << width) - 1) << lo;
	}

	public long get(long[] words) {
		return (words[word] & mask()) >>> lo;
	}

	public boolean isSet(long[] words) {
		return get(words) != 0;
	}

	/** Sets the field, checking that the value fits. */
	public void set(long[] words, long value) {
		long max = width == 64 ? -1L : (1L << width) - 1;
		if (width < 64 && (value & ~max) != 0) {
			throw new IllegalArgumentException(name + ": value 0x" + Long.toHexString(value) + " does not fit " + width + " bits");
		}
		words[word] = (words[word] & ~mask()) | (value << lo);
	}

	/** Gets the field from a single word (for registers). */
	public long get(long word) {
		return (word & mask()) >>> lo;
	}

	/** Returns {@code word} with the field replaced by {@code value}. */
	public long with(long word, long value) {
		return (word & ~mask()) | ((value << lo) & mask());
	}
}
