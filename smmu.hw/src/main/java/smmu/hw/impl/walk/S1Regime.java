package smmu.hw.impl.walk;

/**
 * A stage-1 translation regime as decoded from a CD (already validated by the decoder).
 *
 * @param asid CD.ASID
 * @param tt0 the TTB0 region (low addresses)
 * @param tt1 the TTB1 region (high addresses)
 * @param oasBits effective output (IPA) size: min(CD.IPS, IDR5.OAS), capped at 48 unless 64K
 * @param tbi0 top byte ignore for TTB0 addresses
 * @param tbi1 top byte ignore for TTB1 addresses
 * @param affd access flag faults disabled (CD.AFFD)
 * @param recordFaults CD.R: record F_TRANSLATION/ADDR_SIZE/ACCESS/PERMISSION events
 */
public record S1Regime(int asid, TableRegime tt0, TableRegime tt1, int oasBits, boolean tbi0, boolean tbi1, boolean affd, boolean recordFaults) {}
