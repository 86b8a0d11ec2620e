package smmu.iommufd;

/**
 * {@code struct iommu_ioas_map_file}: IOMMU_IOAS_MAP_FILE (0x8f). Maps {@code length} bytes of the
 * file the process has open as {@code fd}, from byte {@code start}, into the IOAS, at {@code iova}
 * with {@link IoasMap#FIXED_IOVA}, else at an IOVA the kernel chooses and writes back into
 * {@code iova}. Flags are those of {@link IoasMap}.
 */
public record IoasMapFile(int flags, int ioasId, int fd, long start, long length, long iova) {
	public IoasMapFile withIova(long newIova) {
		return new IoasMapFile(flags, ioasId, fd, start, length, newIova);
	}
}
