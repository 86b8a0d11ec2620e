package smmu.hw.impl.walk;

/**
 * A stage-2 translation regime as decoded from an STE (already validated by the decoder).
 *
 * @param vmid S2VMID
 * @param granuleShift 12, 14 or 16
 * @param t0sz S2T0SZ: input (IPA) size is 64 - t0sz bits
 * @param sl0 S2SL0 as encoded (start level = 2 - sl0 for 4K, 3 - sl0 for 16K/64K)
 * @param psBits effective output size in bits: min(S2PS, IDR5.OAS), capped at 48 unless 64K
 * @param vttb S2TTB (physical address of the start table, possibly concatenated)
 * @param affd S2AFFD: access flag faults disabled
 * @param recordFaults S2R: record F_TRANSLATION/ADDR_SIZE/ACCESS/PERMISSION events
 */
public record S2Regime(int vmid, int granuleShift, int t0sz, int sl0, int psBits, long vttb, boolean affd, boolean recordFaults) {}
