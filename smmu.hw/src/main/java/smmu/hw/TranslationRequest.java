package smmu.hw;

/**
 * A transaction arriving at the SMMU from a device.
 *
 * @param sid StreamID
 * @param ssid SubstreamID, or {@link Event#NO_SSID}
 * @param iova input address
 * @param write a write (otherwise a read)
 */
public record TranslationRequest(int sid, int ssid, long iova, boolean write) {

	public static TranslationRequest read(int sid, long iova) {
		return new TranslationRequest(sid, Event.NO_SSID, iova, false);
	}

	public static TranslationRequest write(int sid, long iova) {
		return new TranslationRequest(sid, Event.NO_SSID, iova, true);
	}
}
