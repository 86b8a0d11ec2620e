package smmu.iommufd.arm;

/** How paging domains relate to physical SMMUs. */
public enum KernelMode {
	/**
	 * The "share domain across SMMU/vSMMU instances" series (v4, not merged): a domain may be attached to
	 * devices behind several SMMUs that pass {@link ArmSmmuV3Kernel#canShare}; every SMMU gets its own
	 * ASID/VMID tag, kept in the domain's invalidation array.
	 */
	SHARED,
	/**
	 * Current mainline: a domain is finalised for the SMMU of the device it was allocated for, and
	 * attaching a device behind another SMMU fails with EINVAL.
	 */
	PER_SMMU
}
