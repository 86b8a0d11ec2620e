package smmu.iommufd.impl;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import smmu.iommufd.ObjectType;
import smmu.iommufd.arm.ArmSmmuV3;
import smmu.iommufd.arm.ArmSmmuV3Kernel;
import smmu.iommufd.arm.ArmVsmmu;

/**
 * A VIOMMU object of type ARM_SMMUV3: a vSMMU on one physical SMMU ({@code iommu_dev}) over a
 * nest-parent HWPT, with its vDEVICEs by virt_id and its vEVENTQs by type.
 */
final class Viommu extends Obj {
	final HwptPaging parent;
	final ArmVsmmu vsmmu;
	final ArmSmmuV3 iommuDev;
	final Map<Long, Vdevice> vdevs = new HashMap<>();
	final Map<Integer, Veventq> veventqs = new HashMap<>();
	private final ArmSmmuV3Kernel kernel;

	@Override
	protected String detail() {
		return vsmmu.smmu().id() + " vmid " + vsmmu.vmid();
	}

	Viommu(HwptPaging parent, ArmVsmmu vsmmu, ArmSmmuV3Kernel kernel) {
		super(ObjectType.VIOMMU, List.of(parent));
		this.parent = parent;
		this.vsmmu = vsmmu;
		this.iommuDev = vsmmu.smmu();
		this.kernel = kernel;
	}

	@Override
	protected void destroyed() {
		kernel.vsmmuDestroy(vsmmu);
	}
}
