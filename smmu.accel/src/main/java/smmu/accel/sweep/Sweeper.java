package smmu.accel.sweep;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/** Runs sweeps, each point on a fresh host, and keeps the sweeps it ran. */
@ProviderType
public interface Sweeper {
	/**
	 * Starts a sweep.
	 *
	 * @param parallelism points at once (0: the machine's processors)
	 * @param progress    called (from the worker threads) after each point
	 * @throws IllegalArgumentException for a parameter value that cannot be run (checked before any point runs)
	 */
	Sweep start(SweepSpec spec, int parallelism, Consumer<SweepPoint> progress);

	/** The sweeps started, oldest first. */
	List<Sweep> list();

	Optional<Sweep> get(int id);
}
