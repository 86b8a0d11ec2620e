package smmu.iommufd.impl;

import java.util.List;

import smmu.iommufd.ObjectType;
import smmu.iommufd.arm.ArmNestedDomain;

/** A HWPT_NESTED object allocated through a vIOMMU: a guest STE over the vIOMMU's nest parent. */
final class HwptNested extends Obj {
	final Viommu viommu;
	final ArmNestedDomain domain;

	@Override
	protected String detail() {
		long[] v = domain.vste();
		return String.format("vSTE %s ste[0]=0x%x ste[1]=0x%x", smmu.hw.arch.Ste.configName(domain.config()), v[0], v[1]);
	}

	HwptNested(Viommu viommu, ArmNestedDomain domain) {
		super(ObjectType.HWPT_NESTED, List.of(viommu));
		this.viommu = viommu;
		this.domain = domain;
	}

	@Override
	protected void destroyed() {
	}
}
