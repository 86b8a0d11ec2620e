package smmu.hw.impl.config;

import smmu.hw.impl.walk.WalkListener;

/** Told of every configuration structure read (stream table and CD table) and every table descriptor read. */
public interface FetchListener extends WalkListener {

	/** The configuration structures the SMMU fetches. */
	enum Kind {
		L1STD, STE, L1CD, CD
	}

	/**
	 * @param kind what was read
	 * @param address its physical address
	 * @param value its first 64-bit word
	 */
	void fetched(Kind kind, long address, long value);

	FetchListener NONE = new FetchListener() {
		@Override
		public void fetched(Kind kind, long address, long value) {}

		@Override
		public void descriptorRead(int stage, int level, long address, long descriptor) {}
	};
}
