package smmu.hw;

/**
 * One Base Address Register of a PCI function: its size (a power of two, at least 16 bytes for
 * memory and 4 for I/O; 0: the BAR is not implemented) and kind. A 64-bit BAR takes the register
 * after it too, whose {@code PciBar} must then be {@link #NONE}.
 */
public record PciBar(long size, Kind kind, boolean prefetchable) {
	public enum Kind {
		MEM32, MEM64, IO
	}

	public static final PciBar NONE = new PciBar(0, Kind.MEM32, false);

	public PciBar {
		if (size != 0 && (Long.bitCount(size) != 1 || size < (kind == Kind.IO ? 4 : 16) || (kind != Kind.MEM64 && size > 1L << 31))) {
			throw new IllegalArgumentException("BAR size " + size + " for " + kind);
		}
	}

	public static PciBar mem32(long size) {
		return new PciBar(size, Kind.MEM32, false);
	}

	public static PciBar mem64(long size, boolean prefetchable) {
		return new PciBar(size, Kind.MEM64, prefetchable);
	}

	public boolean implemented() {
		return size != 0;
	}

	/** The low bits of the register: I/O space, 64-bit type, prefetchable (PCI_BASE_ADDRESS_*). */
	public int flags() {
		if (kind == Kind.IO) {
			return 1;
		}
		return (kind == Kind.MEM64 ? 4 : 0) | (prefetchable ? 8 : 0);
	}
}
