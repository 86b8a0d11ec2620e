package smmu.hw;

/**
 * A structure the SMMU found in memory: an STE or a CD, with its physical address, or the event that
 * stopped the lookup.
 *
 * @param address physical address of the entry (-1 if not found)
 * @param words its eight 64-bit words, or null if not found
 * @param error the event the lookup raised, or null
 */
public record TableEntry(long address, long[] words, Event error) {

	public boolean found() {
		return words != null;
	}
}
