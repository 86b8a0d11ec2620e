package smmu.vfio.impl;

import java.util.ArrayList;
import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import smmu.hw.HostPlatform;
import smmu.hw.PciEndpoint;
import smmu.hw.PciFunction;
import smmu.iommufd.Errno;
import smmu.iommufd.Iommufd;
import smmu.iommufd.IommufdException;
import smmu.vfio.VfioCdev;
import smmu.vfio.VfioCdevs;

/** The host's vfio-pci driver: one device file per open of a host PCI function. */
@Component(service = VfioCdevs.class, immediate = true)
public final class VfioCdevsComponent implements VfioCdevs {
	private final HostPlatform host;
	private final Iommufd iommufd;
	private final List<Cdev> open = new ArrayList<>();

	@Activate
	public VfioCdevsComponent(@Reference(name = "host") HostPlatform host, @Reference(name = "iommufd") Iommufd iommufd) {
		this.host = host;
		this.iommufd = iommufd;
	}

	@Override
	public synchronized VfioCdev open(String bdf) {
		PciEndpoint ep = host.endpoints().stream().filter(e -> e.bdf().equals(bdf)).findFirst().orElse(null);
		PciFunction fn = ep == null ? null : host.function(bdf).orElse(null);
		if (fn == null) {
			throw new IommufdException(Errno.ENODEV, "no PCI function " + bdf);
		}
		for (Cdev c : open) {
			if (c.bdf().equals(bdf)) {
				throw new IommufdException(Errno.EBUSY, bdf + " is open already");
			}
		}
		if (iommufd.isBound(bdf)) {
			throw new IommufdException(Errno.EBUSY, bdf + " is bound to an iommufd already");
		}
		Cdev c = new Cdev(ep, fn, this::closed);
		open.add(c);
		return c;
	}

	private synchronized void closed(Cdev c) {
		open.remove(c);
	}

	@Override
	public synchronized List<VfioCdev> opened() {
		return List.copyOf(open);
	}
}
