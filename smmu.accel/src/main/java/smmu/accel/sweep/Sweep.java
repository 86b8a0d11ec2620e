package smmu.accel.sweep;

import java.time.Duration;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** A sweep started: its progress while it runs, its result when done. Thread-safe. */
@ProviderType
public interface Sweep {
	/** Its number, from 1. */
	int id();

	SweepSpec spec();

	/** Points in all. */
	int total();

	/** Points finished (measured or failed). */
	int completed();

	/** The points finished so far, in point order. */
	List<SweepPoint> points();

	boolean running();

	/** Stops starting new points; those running finish. */
	void cancel();

	/** Waits for the end; false when the time ran out first. */
	boolean await(Duration timeout) throws InterruptedException;

	/** The result so far (every point once it has ended). */
	SweepResult result();
}
