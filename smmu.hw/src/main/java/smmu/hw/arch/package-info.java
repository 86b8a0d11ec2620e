/**
 * Bit layouts of the SMMUv3 architecture (Arm IHI 0070) and VMSAv8-64 descriptors: register offsets
 * and fields, STE, CD, commands and translation table descriptors. Shared by hardware and software.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package smmu.hw.arch;
