package smmu.hw.impl.walk;

/**
 * One of the two stage-1 translation tables of a CD (TTB0 or TTB1).
 *
 * @param enabled false when EPDx = 1 (walks through it fault)
 * @param ttb table base (an IPA when nested, else a PA)
 * @param tsz TxSZ: input size is 64 - tsz bits
 * @param granuleShift 12, 14 or 16
 * @param had hierarchical attribute disable (APTable ignored)
 */
public record TableRegime(boolean enabled, long ttb, int tsz, int granuleShift, boolean had) {}
