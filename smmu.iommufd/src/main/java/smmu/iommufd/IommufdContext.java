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
	 * The raw ioctl: {@code cmd} is one of {@link Ioctls}, {@code arg} the user VA of its struct in
	 * {@link #addressSpace()} (which needs backing memory). The struct is copied in with the uAPI's
	 * size rules (below the minimum: EINVAL; longer with non-zero tail: E2BIG; unreadable: EFAULT),
	 * {@code __reserved} fields are checked, the typed method runs and the struct is copied back.
	 * Unknown or not yet modelled requests: ENOTTY.
	 */
	void ioctl(int cmd, long arg);

	/** The live objects, by ascending ID. */
	List<IommufdObject> objects();

	/** Releases the file: destroys every object and unpins every page. Later calls throw IllegalStateException. */
	@Override
	void close();
}
