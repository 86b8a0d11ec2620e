package smmu.hw;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One SMMUv3 instance. Software changes it only through its registers ({@link SmmuRegisters}) and the
 * structures it writes to {@link #memory()}; devices send it transactions through
 * {@link #translate(TranslationRequest)}. Guest garbage never throws: it ends as event records and
 * GERROR bits, as the architecture says. Safe for concurrent translations and register accesses.
 */
@ProviderType
public interface Smmu extends SmmuRegisters {

	SmmuSpec spec();

	default String id() {
		return spec().id();
	}

	/** The memory its table walks, queue accesses and structure fetches go to. */
	PhysicalMemory memory();

	/** Translates one transaction: config cache, TLB, walks; records events for faults. */
	TranslationResult translate(TranslationRequest request);

	/**
	 * Translates one transaction while tracing every memory read, without using or filling the caches
	 * (not even the stage-2 walk cache that one nested walk of {@link #translate} keeps for itself, so the
	 * trace holds every descriptor read of the architecture's walk) and without recording events or
	 * counting statistics.
	 */
	Walk walk(TranslationRequest request);

	/** The STE the SMMU finds for {@code sid} now (through the stream table registers), uncached. */
	TableEntry readSte(int sid);

	/** The CD the SMMU finds for {@code sid}/{@code ssid} now (through stage 2 when nested), uncached. */
	TableEntry readCd(int sid, int ssid);

	SmmuStats stats();

	void resetStats();

	/** Connects the wired interrupt lines; null disconnects. */
	void connect(InterruptSink sink);
}
