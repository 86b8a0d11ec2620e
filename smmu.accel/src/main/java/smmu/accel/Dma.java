package smmu.accel;

import java.util.List;

import smmu.hw.Event;

/**
 * A device DMA: the bytes transferred, the data (for a read), the host physical pages it touched, or the
 * fault that stopped it.
 *
 * @param bytes   the bytes transferred before the fault, all of them when {@link #ok()}
 * @param data    what a read returned (the first {@code bytes} valid), empty for a write
 * @param hostPas the host physical address of each granule-sized piece transferred
 * @param fault   the event the physical SMMU recorded (its StreamID is the pSID), null when none
 * @param reason  why the transaction stopped, null when it completed
 */
public record Dma(int bytes, byte[] data, List<Long> hostPas, Event fault, String reason) {
	public Dma {
		data = data.clone();
		hostPas = List.copyOf(hostPas);
	}

	public boolean ok() {
		return reason == null;
	}

	@Override
	public byte[] data() {
		return data.clone();
	}
}
