package smmu.hw;

/**
 * One memory read made while translating: a stream table or CD table fetch, or a translation table
 * descriptor.
 *
 * @param what "L1STD", "STE", "L1CD", "CD", or "S1" / "S2" for table descriptors
 * @param level the translation table level (0-3), or -1 for configuration fetches
 * @param address the physical address read
 * @param value the first 64-bit word read (the descriptor)
 * @param note a short decoding (table, block, page, invalid, ...)
 */
public record WalkStep(String what, int level, long address, long value, String note) {}
