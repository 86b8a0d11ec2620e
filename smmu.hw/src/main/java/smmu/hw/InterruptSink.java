package smmu.hw;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives the SMMU's wired interrupts (edge pulses), as a GIC would. */
@ConsumerType
public interface InterruptSink {

	enum Line {
		EVENTQ, PRIQ, CMD_SYNC, GERROR
	}

	void pulse(Smmu smmu, Line line);
}
