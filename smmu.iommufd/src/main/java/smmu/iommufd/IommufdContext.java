package smmu.iommufd;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One open file of {@code /dev/iommu}: its object table (IDs are u32, per context, never 0) and one
 * method per ioctl. A method returns the struct as the kernel wrote it back, or throws
 * {@link IommufdException} with the errno Linux returns; a failed call changes nothing, with one
 * exception that Linux makes too: the raw {@link #ioctl} of IOAS_MAP, IOAS_UNMAP, IOAS_COPY,
 * OPTION (set) and HWPT_INVALIDATE does its work before it copies the struct back, so when that
 * copy faults it returns EFAULT with the work done (the allocating ioctls undo theirs). Thread-safe.
 */
@ProviderType
public interface IommufdContext extends AutoCloseable {
	/** The VMM process's memory, whose pages IOAS_MAP pins. */
	VmmAddressSpace addressSpace();

	/** IOMMU_DESTROY (0x80): ENOENT for an unknown ID, EBUSY while other objects reference it. */
	void destroy(int id);

	/** IOMMU_IOAS_ALLOC (0x81). */
	IoasAlloc ioasAlloc(IoasAlloc cmd);

	/** IOMMU_IOAS_ALLOW_IOVAS (0x82). */
	void ioasAllowIovas(IoasAllowIovas cmd);

	/** IOMMU_IOAS_COPY (0x83). */
	IoasCopy ioasCopy(IoasCopy cmd);

	/**
	 * IOMMU_IOAS_IOVA_RANGES (0x84). When the capacity is too small it throws EMSGSIZE whose
	 * {@link IommufdException#response()} is the struct written back (required count, ranges up to
	 * the capacity, alignment).
	 */
	IoasIovaRanges ioasIovaRanges(IoasIovaRanges cmd);

	/** IOMMU_IOAS_MAP (0x85): pins the user pages; returns the struct with the IOVA used. */
	IoasMap ioasMap(IoasMap cmd);

	/** IOMMU_IOAS_UNMAP (0x86): returns the struct with the number of bytes unmapped in length. */
	IoasUnmap ioasUnmap(IoasUnmap cmd);

	/** IOMMU_OPTION (0x87): returns the struct with {@code val64} (the value read, or the one set). */
	Option option(Option cmd);

	/**
	 * IOMMU_VFIO_IOAS (0x88): GET returns the struct with the compat IOAS's ID (ENODEV when none is
	 * set); SET (ENOENT unless {@code ioas_id} is an IOAS) and CLEAR return it unchanged.
	 */
	VfioIoas vfioIoas(VfioIoas cmd);

	/** IOMMU_FAULT_QUEUE_ALLOC (0x8e): returns the struct with {@code out_fault_id} (and the ID as fd). */
	FaultAlloc faultQueueAlloc(FaultAlloc cmd);

	/**
	 * read() on a FAULT object's file: the faults of whole groups, oldest group first, that fit in
	 * {@code count} bytes ({@value PageFault#BYTES} each); a group read awaits its response. ESPIPE
	 * when {@code count} is not a multiple of {@value PageFault#BYTES}; ENOENT for an unknown FAULT.
	 */
	List<PageFault> faultRead(int faultId, int count);

	/**
	 * write() on a FAULT object's file: answers groups by cookie, in order, and returns how many
	 * responses were consumed. The first response with a code other than SUCCESS/INVALID, or a cookie
	 * no group read awaits, stops the write: EINVAL when it is the first, else the count so far.
	 */
	int faultRespond(int faultId, List<PageResponse> responses);

	/**
	 * VFIO_DEVICE_BIND_IOMMUFD on the VFIO cdev of PCI device {@code bdf}: creates the DEVICE object
	 * and returns its {@code devid}; the device's DMA is blocked until it is attached. ENODEV for a
	 * device the host kernel does not know, EBUSY when it is bound to any iommufd already. The VFIO
	 * driver holds a user of the DEVICE object: DESTROY gives EBUSY.
	 */
	int bindDevice(String bdf);

	/**
	 * VFIO_DEVICE_ATTACH_IOMMUFD_PT: attaches the device to {@code ptId}, a HWPT, or an IOAS (then an
	 * automatic paging HWPT of that IOAS the device can use is reused, else a new one is allocated;
	 * it is destroyed with its last device). Attaching an attached device replaces its HWPT. Returns
	 * the {@code pt_id} written back: the HWPT's ID. ENOENT for an unknown device or
	 * {@code ptId}, EINVAL for a {@code ptId} that is neither; driver errors propagate (EINVAL for a domain the device's
	 * SMMU cannot use).
	 */
	int attachDevice(int devId, int ptId);

	/** VFIO_DEVICE_DETACH_IOMMUFD_PT: the device's DMA is blocked again; a no-op when not attached. */
	void detachDevice(int devId);

	/**
	 * VFIO_DEVICE_ATTACH_IOMMUFD_PT with VFIO_DEVICE_ATTACH_PASID: attaches {@code pasid} of the
	 * device to {@code ptId}; pasid 0 (IOMMU_NO_PASID) is the plain {@link #attachDevice}. ENOENT for
	 * an unknown device or {@code ptId}; EINVAL for a HWPT allocated without IOMMU_HWPT_ALLOC_PASID
	 * (or while the device's RID attachment is such a HWPT), and for a device without the PASID
	 * capability, which every endpoint of the model is (so no PASID attach succeeds).
	 */
	int attachDevicePasid(int devId, int pasid, int ptId);

	/** VFIO_DEVICE_DETACH_IOMMUFD_PT with VFIO_DEVICE_ATTACH_PASID: a no-op for a pasid not attached. */
	void detachDevicePasid(int devId, int pasid);

	/**
	 * Closing the VFIO cdev: detaches the device, force-destroys its vDEVICE (whose ID then stays a
	 * tombstone: DESTROY gives ENOENT) and destroys the DEVICE object.
	 */
	void unbindDevice(int devId);

	/** IOMMU_HWPT_ALLOC (0x89): returns the struct with {@code out_hwpt_id}. */
	HwptAlloc hwptAlloc(HwptAlloc cmd);

	/** IOMMU_GET_HW_INFO (0x8a): fills the user buffer; returns the struct as written back. */
	HwInfo getHwInfo(HwInfo cmd);

	/**
	 * IOMMU_HWPT_INVALIDATE (0x8d): returns the struct with {@code entry_num} = entries handled; on
	 * failure the exception's {@link IommufdException#response()} is that struct too.
	 */
	HwptInvalidate hwptInvalidate(HwptInvalidate cmd);

	/** IOMMU_VIOMMU_ALLOC (0x90): returns the struct with {@code out_viommu_id}. */
	ViommuAlloc viommuAlloc(ViommuAlloc cmd);

	/** IOMMU_VDEVICE_ALLOC (0x91): returns the struct with {@code out_vdevice_id}. */
	VdeviceAlloc vdeviceAlloc(VdeviceAlloc cmd);

	/** IOMMU_VEVENTQ_ALLOC (0x93): returns the struct with {@code out_veventq_id}. */
	VeventqAlloc veventqAlloc(VeventqAlloc cmd);

	/**
	 * IOMMU_HW_QUEUE_ALLOC (0x94): the core's checks (flags, type DEFAULT: EOPNOTSUPP; length 0:
	 * EINVAL; IOVA range overflow: EOVERFLOW; unknown vIOMMU: ENOENT), then the driver's: the
	 * arm-smmu-v3 vSMMU without CMDQV has no HW queue ops (EOPNOTSUPP).
	 */
	HwQueueAlloc hwQueueAlloc(HwQueueAlloc cmd);

	/**
	 * read() on a vEVENTQ's file: the records, oldest first, that fit whole in {@code count} bytes
	 * (a LOST_EVENTS header takes {@value Vevent#HEADER_BYTES}); they leave the queue. ENOENT for an
	 * unknown queue.
	 */
	List<Vevent> veventqRead(int veventqId, int count);

	/**
	 * IOMMU_IOAS_MAP_FILE (0x8f): maps bytes [start, start + length) of the regular file
	 * {@code proc} has open as {@code fd}. The file's pages become host physical memory (a
	 * {@link smmu.hw.FileRegion} of the host, MAP_SHARED: device writes land in the file), pinned
	 * while an area maps them. Returns the struct with the IOVA used. EBADF when {@code fd} is not a
	 * regular file of the process.
	 */
	IoasMapFile ioasMapFile(IoasMapFile cmd, UserProcess proc);

	/**
	 * IOMMU_IOAS_CHANGE_PROCESS (0x92): makes {@code proc} the process the pinned pages are charged
	 * to. EINVAL (and nothing changed) while any IOAS holds an area of user-VA pages (IOAS_MAP):
	 * only file pages can change process.
	 */
	void ioasChangeProcess(UserProcess proc);

	/**
	 * Not an ioctl: what the host kernel does when a bound device's MSI is set up (VFIO_DEVICE_SET_IRQS
	 * makes the ITS driver call {@code iommu_dma_prepare_msi}, which for an iommufd-owned device is
	 * {@code iommufd_sw_msi}): the 4 KiB page of the doorbell at physical {@code msiAddr} is mapped
	 * (IOMMU_MMIO) at the next page of the SW MSI window (0x8000000, 1 MiB) in the paging domain the
	 * device is attached to, the nest parent for a nested HWPT, and in any domain it attaches to later.
	 *
	 * @return the IOVA to program as the device's MSI address (the page's IOVA plus the doorbell's offset)
	 * @throws IommufdException ENOENT for an unknown device, EINVAL when it is attached to nothing
	 */
	long prepareMsi(int devId, long msiAddr);

	/** Doorbell pages the SW MSI window has mapped into paging domains of this context so far. */
	long swMsiPages();

	/**
	 * The raw ioctl: {@code cmd} is one of {@link Ioctls}, {@code arg} the user VA of its struct in
	 * {@link #addressSpace()} (which needs backing memory); as {@link #ioctl(int, long, UserProcess)}
	 * for a process without files (MAP_FILE: EBADF; VEVENTQ_ALLOC: ENOTTY, there is no file table).
	 */
	void ioctl(int cmd, long arg);

	/**
	 * The raw ioctl from process {@code proc}: {@code cmd} is one of {@link Ioctls}, {@code arg} the
	 * user VA of its struct in {@code proc}'s memory. The struct is copied in with the uAPI's size
	 * rules (below the minimum: EINVAL; longer with non-zero tail: E2BIG; unreadable: EFAULT),
	 * {@code __reserved} fields are checked, the typed method runs and the struct is copied back.
	 * IOAS_MAP_FILE resolves its fd through {@link UserProcess#file}; VEVENTQ_ALLOC installs the
	 * queue's file ({@link UserFile}: read() gives whole records as {@link #veventqRead}) with
	 * {@link UserProcess#installFile} and writes its fd back. Unknown or not modelled requests:
	 * ENOTTY.
	 */
	void ioctl(int cmd, long arg, UserProcess proc);

	/** The live objects, by ascending ID. */
	List<IommufdObject> objects();

	/**
	 * Releases the file: unbinds the devices still bound (as if their VFIO cdevs were closed first),
	 * destroys every object and unpins every page. Later calls throw IllegalStateException.
	 */
	@Override
	void close();
}
