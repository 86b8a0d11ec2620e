/**
 * The stage-2 policy SPI: which vSMMUs of a VM share a stage-2 page table. Policy bundles implement
 * {@link smmu.accel.policy.Stage2Policy} as DS components; they can be installed, swapped and removed
 * while VMs run.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package smmu.accel.policy;
