package smmu.accel.workload;

import java.time.Duration;

import org.osgi.annotation.versioning.ProviderType;

/** A workload started on a VM's devices. Thread-safe. */
@ProviderType
public interface Workload {
	/** Where it is. */
	enum State {
		RUNNING, DONE, STOPPED, FAILED
	}

	/** Its number, from 1, unique in its {@link Workloads} service. */
	int id();

	/** The VM's name. */
	String vm();

	WorkloadSpec spec();

	/** The devices it runs on (one thread each). */
	java.util.List<String> devices();

	State state();

	WorkloadStats stats();

	/** Why it failed (the first device's error), or null. */
	String error();

	/** Asks every device thread to stop after its current I/O and waits for them (a lazy queue is flushed). */
	void stop();

	/** Waits until it is no longer running; false when the time ran out first. */
	boolean await(Duration timeout) throws InterruptedException;
}
