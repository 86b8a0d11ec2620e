package smmu.accel.sweep;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One measured point.
 *
 * @param index      its place in {@link SweepSpec#points()}
 * @param parameters every parameter's value
 * @param metrics    metric -> value ({@link SweepSpec#METRICS} names), empty when it failed
 * @param error      why it failed, or null
 * @param millis     wall time of the point (fresh host, kernel, VMs, workload)
 */
public record SweepPoint(int index, Map<String, String> parameters, Map<String, Double> metrics, String error, long millis) {
	public SweepPoint {
		parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
		metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
	}

	public boolean ok() {
		return error == null;
	}

	/** The metric's value, NaN when absent. */
	public double metric(String name) {
		Double v = metrics.get(name);
		return v == null ? Double.NaN : v;
	}
}
