/**
 * The SMMUv3 hardware model's API: physical memory (RAM, and files mapped into it as
 * {@link smmu.hw.FileRegion}s of the {@link smmu.hw.HostMemory}), SMMU instances, transactions,
 * events and counters, and the host's PCI functions ({@link smmu.hw.PciFunction}). Architectural
 * state lives as bytes in {@link smmu.hw.PhysicalMemory}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package smmu.hw;
