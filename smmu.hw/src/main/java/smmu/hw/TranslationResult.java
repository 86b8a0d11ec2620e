package smmu.hw;

/**
 * What the SMMU did with a transaction: {@link Translated} (an output address) or {@link Aborted}
 * (terminated, with the event recorded, if any).
 */
public sealed interface TranslationResult {

	/** How a transaction got its output address. */
	enum Path {
		/** SMMUEN = 0 and GBPA bypass. */
		GLOBAL_BYPASS,
		/** STE.Config = bypass (or S1DSS bypass). */
		BYPASS,
		/** Found in the TLB. */
		TLB_HIT,
		/** Walked the tables. */
		WALK
	}

	boolean ok();

	/**
	 * @param pa the output (physical) address
	 * @param path how it was obtained
	 */
	record Translated(long pa, Path path) implements TranslationResult {
		@Override
		public boolean ok() {
			return true;
		}
	}

	/**
	 * @param event the event the SMMU recorded or would record (null when the architecture records none,
	 *        e.g. STE.Config = abort or GBPA.ABORT)
	 * @param reason why, for display
	 */
	record Aborted(Event event, String reason) implements TranslationResult {
		@Override
		public boolean ok() {
			return false;
		}
	}
}
