package smmu.vfio.impl;

import java.util.function.Consumer;

import smmu.hw.PciEndpoint;
import smmu.hw.PciFunction;
import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;
import smmu.iommufd.UserProcess;
import smmu.vfio.VfioCdev;

/** One open vfio-pci device file (vfio_device_file + vfio_pci_core_device). */
final class Cdev implements VfioCdev {
	private final PciEndpoint endpoint;
	private final PciFunction function;
	private final Consumer<Cdev> onClose;
	private boolean closed;

	Cdev(PciEndpoint endpoint, PciFunction function, Consumer<Cdev> onClose) {
		this.endpoint = endpoint;
		this.function = function;
		this.onClose = onClose;
	}

	@Override
	public String bdf() {
		return endpoint.bdf();
	}

	@Override
	public synchronized long ioctl(int cmd, long arg, UserProcess proc) {
		throw new IommufdException(Errno.ENOTTY, "not yet modelled");
	}

	@Override
	public synchronized int pread(long offset, byte[] dst) {
		throw new IommufdException(Errno.EINVAL, "not yet modelled");
	}

	@Override
	public synchronized int pwrite(long offset, byte[] src) {
		throw new IommufdException(Errno.EINVAL, "not yet modelled");
	}

	@Override
	public void close() {
		synchronized (this) {
			if (closed) {
				return;
			}
			closed = true;
		}
		onClose.accept(this);
	}
}
