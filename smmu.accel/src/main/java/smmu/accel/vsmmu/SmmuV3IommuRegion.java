package smmu.accel.vsmmu;

import java.util.ArrayList;
import java.util.List;

import smmu.vfio.AddressSpace;
import smmu.vfio.VfioException;

/**
 * The IOMMU memory region of an emulated (accel=off) SMMUv3 as VFIO's IOMMU listener meets it: QEMU's
 * {@code smmuv3_notify_flag_changed} refuses MAP notifiers, so a vfio-pci device behind an emulated
 * SMMUv3 cannot be realized. VFIO always asks for MAP and UNMAP events, so every registration fails.
 */
public final class SmmuV3IommuRegion implements AddressSpace.IommuRegion {
	private final List<AddressSpace.IommuNotifier> notifiers = new ArrayList<>();

	@Override
	public synchronized void registerNotifier(AddressSpace.IommuNotifier notifier, int bus, int devfn) {
		throw new VfioException(String.format("device %02x.%02x.%x requires iommu MAP notifier which is not currently supported", bus, devfn >> 3,
				devfn & 7));
	}

	@Override
	public synchronized void unregisterNotifier(AddressSpace.IommuNotifier notifier) {
		notifiers.remove(notifier);
	}

	@Override
	public void replay(AddressSpace.IommuNotifier notifier) {
	}
}
