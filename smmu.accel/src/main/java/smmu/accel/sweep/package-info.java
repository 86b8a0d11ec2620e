/**
 * Sweeps: a scenario (VMs with K accel vSMMUs over K physical SMMUs, booted, optionally running a
 * {@link smmu.accel.workload.WorkloadSpec workload}) measured over the cartesian product of parameter
 * ranges ({@link smmu.accel.sweep.SweepSpec}), each point on a fresh host (its own host platform and host
 * kernel, never the framework's), points in parallel. A {@link smmu.accel.sweep.Sweeper} runs them; a
 * {@link smmu.accel.sweep.Sweep} reports progress; the {@link smmu.accel.sweep.SweepResult} holds each
 * point's parameters and metrics and renders as CSV or JSON.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package smmu.accel.sweep;
