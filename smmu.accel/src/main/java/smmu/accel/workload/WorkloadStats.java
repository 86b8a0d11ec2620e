package smmu.accel.workload;

/**
 * What a workload did so far, over all its devices.
 *
 * @param ios        DMA transactions issued
 * @param bytes      bytes transferred
 * @param maps       guest DMA mappings made
 * @param unmaps     guest DMA mappings removed
 * @param flushes    lazy mode: flush-queue flushes (one TLBI_NH_ASID + CMD_SYNC each)
 * @param faults     transactions the physical SMMU stopped
 * @param elapsedNanos running time (until now, or until it ended)
 */
public record WorkloadStats(long ios, long bytes, long maps, long unmaps, long flushes, long faults, long elapsedNanos) {
	/** I/Os per second over the running time. */
	public double iosPerSecond() {
		return elapsedNanos <= 0 ? 0 : ios * 1e9 / elapsedNanos;
	}
}
