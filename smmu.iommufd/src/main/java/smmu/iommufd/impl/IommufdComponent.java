package smmu.iommufd.impl;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import smmu.iommufd.Iommufd;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.VmmAddressSpace;

/** The host's {@code /dev/iommu}: hands out one {@link Context} per open. */
@Component(service = Iommufd.class, immediate = true)
public class IommufdComponent implements Iommufd {
	private final List<Context> contexts = new CopyOnWriteArrayList<>();
	private final HostKernel host;

	/** An iommufd of a host without devices. */
	public IommufdComponent() {
		this(null);
	}

	/** The iommufd of the host kernel {@code host}, whose devices the contexts bind. */
	@Activate
	public IommufdComponent(@Reference(name = "kernel") HostKernel host) {
		this.host = host;
	}

	@Override
	public IommufdContext open(VmmAddressSpace mm, boolean capSysResource) {
		Context ctx = new Context(mm, capSysResource, host, contexts::remove);
		contexts.add(ctx);
		return ctx;
	}

	@Override
	public List<IommufdContext> contexts() {
		return List.copyOf(contexts);
	}

	@Override
	public boolean isBound(String bdf) {
		return host != null && host.bound(bdf);
	}

	@Override
	public void awaitEvents() {
		if (host != null) {
			host.awaitInterrupts();
		}
	}
}
