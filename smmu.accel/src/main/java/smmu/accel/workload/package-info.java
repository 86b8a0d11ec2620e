/**
 * DMA workloads run by a VM's device models: a {@link smmu.accel.workload.Workloads} service starts a
 * {@link smmu.accel.workload.WorkloadSpec} on a VM's devices, one thread per device, at a rate and for a
 * duration or a number of I/Os: streaming and random DMA over buffers the guest maps once, and map/unmap
 * churn as a NIC or storage driver does it through the DMA API, with strict (per-unmap TLBI + CMD_SYNC)
 * or lazy (flush queue: one TLBI_NH_ASID + CMD_SYNC per batch) invalidation. Each running
 * {@link smmu.accel.workload.Workload} counts what it did ({@link smmu.accel.workload.WorkloadStats}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package smmu.accel.workload;
