package smmu.iommufd;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One open file of {@code /dev/iommu}: its object table (IDs are u32, per context, never 0) and one
 * method per ioctl. A method returns the struct as the kernel wrote it back, or throws
 * {@link IommufdException} with the errno Linux returns; a failed call changes nothing. Thread-safe.
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
