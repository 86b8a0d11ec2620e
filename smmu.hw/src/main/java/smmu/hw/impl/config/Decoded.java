package smmu.hw.impl.config;

import smmu.hw.Event;

/**
 * The outcome of a configuration lookup: a {@link StreamConfig}, or the event that stopped it.
 *
 * @param config the configuration (null on error)
 * @param error the event (null on success)
 * @param record the event is recorded (false only for a stage-2 fault of a CD fetch with S2R = 0)
 * @param reason why, for display
 * @param cdAddress PA of the CD found, or -1
 * @param cd the CD words found (even if the CD is then rejected), or null
 */
public record Decoded(StreamConfig config, Event error, boolean record, String reason, long cdAddress, long[] cd) {

	public boolean ok() {
		return config != null;
	}

	static Decoded error(Event event, String reason) {
		return new Decoded(null, event, true, reason, -1, null);
	}
}
