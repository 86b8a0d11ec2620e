package smmu.hw.impl.xlate;

import smmu.hw.Event;

/** Where the translation engine sends the events it records: the SMMU's event queue. */
@FunctionalInterface
public interface EventSink {
	void record(Event event);
}
