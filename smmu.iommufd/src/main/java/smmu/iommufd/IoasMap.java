package smmu.iommufd;

/**
 * {@code struct iommu_ioas_map}: IOMMU_IOAS_MAP (0x85). Maps {@code length} bytes of the VMM's
 * memory at {@code user_va} into the IOAS, at {@code iova} with {@link #FIXED_IOVA}, else at an IOVA
 * the kernel chooses and writes back into {@code iova}.
 */
public record IoasMap(int flags, int ioasId, long userVa, long length, long iova) {
	public static final int FIXED_IOVA = 1 << 0, WRITEABLE = 1 << 1, READABLE = 1 << 2;

	public IoasMap withIova(long newIova) {
		return new IoasMap(flags, ioasId, userVa, length, newIova);
	}
}
