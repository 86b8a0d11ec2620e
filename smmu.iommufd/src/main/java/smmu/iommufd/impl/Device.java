package smmu.iommufd.impl;

import java.util.List;

import smmu.iommufd.ObjectType;
import smmu.iommufd.arm.Master;

/**
 * A DEVICE object as VFIO_DEVICE_BIND_IOMMUFD creates it ({@code struct iommufd_device}): the
 * host's master, the HWPT it is attached to (it holds a user of it) and its vDEVICE. The VFIO
 * driver holds one user of the device itself until unbind.
 */
final class Device extends Obj {
	final Master master;
	private final HostKernel host;
	Obj hwpt;
	Vdevice vdev;

	@Override
	protected String detail() {
		return master.name() + " on " + master.smmu().id() + " sid " + java.util.Arrays.stream(master.sids()).mapToObj(s -> String.format("0x%x", s))
				.collect(java.util.stream.Collectors.joining(","));
	}

	Device(Master master, HostKernel host) {
		super(ObjectType.DEVICE, List.of());
		this.master = master;
		this.host = host;
		users = 1;
	}

	@Override
	protected List<Obj> dynamicReferences() {
		return hwpt == null ? List.of() : List.of(hwpt);
	}

	@Override
	protected void destroyed() {
		host.release(master.name());
	}
}
