package smmu.vfio;

import smmu.hw.TranslationResult;

/**
 * What a device DMA did: it stops at the first page the SMMU does not translate.
 *
 * @param bytes bytes transferred before the fault (all of them when {@code fault} is null)
 * @param hostPas the host physical address of each piece transferred (one per page touched)
 * @param fault the SMMU's answer for the page that failed, or null
 */
public record DmaResult(int bytes, long[] hostPas, TranslationResult.Aborted fault) {
	public DmaResult {
		hostPas = hostPas.clone();
	}

	@Override
	public long[] hostPas() {
		return hostPas.clone();
	}

	public boolean ok() {
		return fault == null;
	}
}
