/**
 * The software side of the SMMUv3 programming model, as Linux's arm-smmu-v3 driver and io-pgtable-arm
 * implement it: VMSAv8-64 I/O page tables built in {@link smmu.hw.PhysicalMemory}, STE and CD make
 * functions, command encoders and the range-TLBI planner, and {@link smmu.hw.driver.SmmuDriver}, which
 * probes and enables any SMMUv3 through its registers, owns its stream table and queues, and updates
 * STEs and CDs with the hitless entry-writer algorithm. Used by both the host and the guest kernel
 * models; depends only on {@code smmu.hw} and {@code smmu.hw.arch}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package smmu.hw.driver;
