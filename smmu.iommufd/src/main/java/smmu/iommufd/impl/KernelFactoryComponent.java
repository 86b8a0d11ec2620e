package smmu.iommufd.impl;

import org.osgi.service.component.annotations.Component;

import smmu.hw.HostPlatform;
import smmu.iommufd.Iommufd;
import smmu.iommufd.KernelFactory;

/** Host kernels for hosts of their own: a {@link HostKernel} and its {@link IommufdComponent}. */
@Component(service = KernelFactory.class)
public final class KernelFactoryComponent implements KernelFactory {
	@Override
	public Booted boot(HostPlatform host, String mode) {
		HostKernel kernel = new HostKernel(host, HostKernel.mode(mode));
		IommufdComponent fd = new IommufdComponent(kernel);
		return new Booted() {
			@Override
			public Iommufd iommufd() {
				return fd;
			}

			@Override
			public String mode() {
				return mode;
			}

			@Override
			public void close() {
				kernel.deactivate();
			}
		};
	}
}
