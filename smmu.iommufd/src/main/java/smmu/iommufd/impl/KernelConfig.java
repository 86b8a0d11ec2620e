package smmu.iommufd.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

@ObjectClassDefinition(name = "SMMU host kernel", description = "The host's arm-smmu-v3 driver under iommufd")
public @interface KernelConfig {
	String PID = "smmu.kernel";

	@AttributeDefinition(description = "How paging domains relate to physical SMMUs", options = {
			@Option(label = "shared: a domain may be attached behind any SMMU that can share it (share-domain series)", value = "shared"),
			@Option(label = "per-smmu: a domain belongs to the SMMU it was allocated for (mainline)", value = "per-smmu") })
	String mode() default "shared";
}
