package smmu.hw.impl.walk;

import smmu.hw.PhysicalMemory;

/** TEMP placeholder so the xlate branch compiles until the walker branch lands. Deleted before merging it. */
public final class PageTableWalker {
	public PageTableWalker(PhysicalMemory memory) {}

	public WalkResult translate(S1Regime s1, S2Regime s2, long iova, boolean write, WalkListener listener) {
		throw new UnsupportedOperationException("placeholder");
	}

	public WalkResult translateS2(S2Regime s2, long ipa, boolean write, int faultClass, WalkListener listener) {
		throw new UnsupportedOperationException("placeholder");
	}
}
