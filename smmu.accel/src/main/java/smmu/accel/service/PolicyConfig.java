package smmu.accel.service;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Which stage-2 policy service the VM manager plumbs VMs with. */
@ObjectClassDefinition(name = "SMMU stage-2 policy", description = "The stage-2 policy running and new VMs use")
public @interface PolicyConfig {
	String PID = "smmu.policy";

	@AttributeDefinition(description = "The policy.name of the Stage2Policy service to use (shared, per-instance, ...)")
	String active() default "shared";
}
