/**
 * The SMMUv3 hardware model's API: physical memory (RAM, and files mapped into it as
 * {@link smmu.hw.FileRegion}s of the {@link smmu.hw.HostMemory}), SMMU instances, transactions,
 * events and counters, and the host's PCI functions ({@link smmu.hw.PciFunction}). Architectural
 * state lives as bytes in {@link smmu.hw.PhysicalMemory}.
 * <p>
 * Counters: {@link smmu.hw.Smmu#stats()} gives an instance's totals ({@link smmu.hw.SmmuStats});
 * {@link smmu.hw.Smmu#streamStats(int...)} gives the share of given StreamIDs ({@link smmu.hw.StreamStats}:
 * translations, micro-TLB and main-TLB hits, misses and walks, configuration cache hits and misses, STE/CD
 * fetches, table reads, faults and events), so a VM's share of an SMMU is the sum over its devices' StreamIDs.
 * Commands, invalidations and cache occupancy are per instance only. {@link smmu.hw.Smmu#resetStats()} zeroes
 * both; {@link smmu.hw.Smmu#resetStreamStats(int...)} zeroes the given streams only (since 1.4).
 * <p>
 * Device models translate through {@link smmu.hw.Smmu#translateCached} (the caches' hit path, no allocation)
 * and, per DMA thread and stream, a {@link smmu.hw.StreamPort} (the same with the stream fixed; since 1.5).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.5.0")
package smmu.hw;
