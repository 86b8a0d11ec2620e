package smmu.iommufd.impl;

import java.util.List;

import smmu.iommufd.ObjectType;

/** A VDEVICE object: device {@code dev} known to its vIOMMU as {@code virtId} (the vSID). */
final class Vdevice extends Obj {
	final Viommu viommu;
	final Device dev;
	final long virtId;

	@Override
	protected String detail() {
		return String.format("vsid 0x%x", virtId);
	}

	Vdevice(Viommu viommu, Device dev, long virtId) {
		super(ObjectType.VDEVICE, List.of(viommu));
		this.viommu = viommu;
		this.dev = dev;
		this.virtId = virtId;
	}

	@Override
	protected void destroyed() {
		viommu.vdevs.remove(virtId);
		dev.vdev = null;
		viommu.vsmmu.vdeviceDestroy(virtId);
	}
}
