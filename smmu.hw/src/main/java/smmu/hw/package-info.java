/**
 * The SMMUv3 hardware model's API: physical memory, SMMU instances, transactions, events and
 * counters. Architectural state lives as bytes in {@link smmu.hw.PhysicalMemory}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package smmu.hw;
