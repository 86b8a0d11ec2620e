package smmu.hw;

/** An access outside a {@link PhysicalMemory}'s address size: the bus reports an external abort. */
public final class MemoryAbort extends RuntimeException {
	private static final long serialVersionUID = 1L;
	private final long address;

	public MemoryAbort(long address, String message) {
		super(message, null, false, false);
		this.address = address;
	}

	/** The first byte address that could not be accessed. */
	public long address() {
		return address;
	}
}
