/**
 * Snapshots of a real SMMUv3: load what QEMU saved of a guest (a raw RAM image as HMP
 * {@code pmemsave} writes it, the register state from a {@code smmuv3_write_mmio} trace or an
 * {@code offset=value} file) so that an SMMU model can be attached to it and inspected, and parse
 * QEMU's {@code smmuv3_translate_success} trace lines to compare translations.
 * <p>
 * {@link smmu.hw.snapshot.RamImage} fills a {@link smmu.hw.PhysicalMemory} with the image,
 * {@link smmu.hw.snapshot.RegisterState} gives register offset to value, ready for
 * {@link smmu.hw.HostPlatform#attachSnapshot}; {@link smmu.hw.snapshot.QemuTranslations} gives
 * what QEMU's own SMMU translated, {@link smmu.hw.snapshot.QemuIdRegisters} what its ID registers read, and {@link smmu.hw.snapshot.Replay} compares a model with it. Malformed input is reported as an
 * {@link java.lang.IllegalArgumentException} naming the line.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package smmu.hw.snapshot;
