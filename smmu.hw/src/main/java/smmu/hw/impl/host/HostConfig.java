package smmu.hw.impl.host;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "SMMU host platform", description = "The host's physical memory, SMMUv3 instances and PCI endpoints")
public @interface HostConfig {
	String PID = "smmu.host";

	@AttributeDefinition(description = "Physical SMMUs as id@mmio-base")
	String[] smmus() default { "smmu0@0x2b400000", "smmu1@0x2b500000" };

	@AttributeDefinition(description = "PCI endpoints as bdf@smmu-id:streamid")
	String[] endpoints() default { "0000:01:00.0@smmu0:0x100", "0000:01:00.1@smmu0:0x101", "0000:02:00.0@smmu1:0x200",
			"0000:02:00.1@smmu1:0x201" };

	@AttributeDefinition(description = "ID register values as [smmu-id:]NAME=value, NAME one of IDR0..IDR5, IIDR, AIDR (0x-hex); without an id for every SMMU. The default part is an Arm MMU-700 r1p1 (IIDR 0x4871143b)")
	String[] registers() default {};

	@AttributeDefinition(description = "The host's MSI controller as kind@base: gicv3-its@0x2f020000 (GITS_TRANSLATER at base + 0x10040) or gicv2m@0x2f000000 (MSI_SETSPI_NS at base + 0x40)")
	String msiController() default "gicv3-its@0x2f020000";

	@AttributeDefinition(description = "Physical address size of host memory in bits")
	int physicalAddressBits() default 48;

	@AttributeDefinition(description = "Host kernel page allocator window, start-end (exclusive), 0x-hex")
	String kernelMemory() default "0x80000000-0x100000000";

	@AttributeDefinition(description = "Host physical window for files mapped into host memory (IOMMU_IOAS_MAP_FILE), start-end (exclusive), 0x-hex, 1 GiB aligned")
	String fileMemory() default "0x4000000000-0x800000000000";

	@AttributeDefinition(description = "TLB entries of each TBU (16 per SMMU; 0 disables the TLBs)")
	int tlbEntries() default 1024;

	@AttributeDefinition(description = "Configuration cache entries per SMMU (0 disables it)")
	int configCacheEntries() default 256;

	@AttributeDefinition(description = "Probe and enable every SMMU with the driver library at start (stream table, queues, SMMUEN)")
	boolean probe() default true;
}
