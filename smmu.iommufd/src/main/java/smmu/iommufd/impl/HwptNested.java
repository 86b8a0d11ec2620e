package smmu.iommufd.impl;

import java.util.List;

import smmu.iommufd.ObjectType;
import smmu.iommufd.arm.ArmNestedDomain;

/** A HWPT_NESTED object allocated through a vIOMMU: a guest STE over the vIOMMU's nest parent. */
final class HwptNested extends Obj {
	final Viommu viommu;
	final ArmNestedDomain domain;

	HwptNested(Viommu viommu, ArmNestedDomain domain) {
		super(ObjectType.HWPT_NESTED, List.of(viommu));
		this.viommu = viommu;
		this.domain = domain;
	}

	@Override
	protected void destroyed() {
	}
}
