package smmu.vfio;

import org.osgi.annotation.versioning.ProviderType;

import smmu.iommufd.IommufdException;
import smmu.iommufd.UserProcess;

/**
 * One open of the host kernel's vfio-pci device file ({@code /dev/vfio/devices/vfioX}) for one host
 * PCI function, as a process (real QEMU, through a bridge) uses it: the ioctls of
 * {@code include/uapi/linux/vfio.h} on byte-level structs with their {@code argsz} rules, and
 * pread/pwrite on the regions at {@code index << 40} ({@link VfioIoctls#regionOffset}). Failures
 * are {@link IommufdException}s carrying the errno Linux returns; a failed call changes nothing.
 * Thread-safe.
 */
@ProviderType
public interface VfioCdev extends AutoCloseable {
	/** The PCI function this file opens. */
	String bdf();

	/**
	 * The raw ioctl: {@code cmd} one of {@link VfioIoctls}, {@code arg} the user VA of its struct in
	 * {@code proc}'s memory. Returns the ioctl's non-negative result (0 for every modelled request).
	 * BIND_IOMMUFD resolves its iommufd fd through {@link UserProcess#iommufd}; SET_IRQS keeps the
	 * eventfds and signals them with {@link UserProcess#signalEventfd} when the function raises INTx.
	 * Unknown requests: ENOTTY.
	 */
	long ioctl(int cmd, long arg, UserProcess proc);

	/**
	 * pread(2) at {@code offset} (region index in bits 40 and up): the bytes read into {@code dst}.
	 * The CONFIG region is the function's configuration space as vfio-pci virtualizes it; the BAR
	 * regions reach the device model behind the BARs (EIO while the function's memory decoding is
	 * off). EINVAL for an offset outside every region.
	 */
	int pread(long offset, byte[] dst);

	/** pwrite(2) at {@code offset}: the bytes written from {@code src}; as {@link #pread}. */
	int pwrite(long offset, byte[] src);

	/**
	 * The last close of the file (vfio_device_fops_release): INTx eventfds are dropped, the device
	 * is reset, and its iommufd bind is released (detach, vDEVICE gone, DEVICE object destroyed).
	 * Later calls throw EBADF. Idempotent.
	 */
	@Override
	void close();
}
