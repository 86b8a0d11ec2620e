package smmu.vfio;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import smmu.iommufd.IommufdException;

/** The host kernel's vfio-pci driver: the device files of the host's PCI functions. */
@ProviderType
public interface VfioCdevs {
	/**
	 * open(2) of the device file of host PCI function {@code bdf}.
	 *
	 * @throws IommufdException ENODEV for a BDF the host does not have; EBUSY while the function is
	 *         held: open through another file, or bound to an iommufd by a VMM of the model
	 */
	VfioCdev open(String bdf);

	/** The device files open now, in opening order. */
	List<VfioCdev> opened();
}
