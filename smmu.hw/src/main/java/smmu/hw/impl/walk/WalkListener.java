package smmu.hw.impl.walk;

/** Told of every descriptor the walker reads (for statistics and for traced walks). */
@FunctionalInterface
public interface WalkListener {

	/**
	 * @param stage 1 or 2
	 * @param level 0..3
	 * @param address physical address of the descriptor
	 * @param descriptor the value read
	 */
	void descriptorRead(int stage, int level, long address, long descriptor);

	WalkListener NONE = (s, l, a, d) -> {};
}
