package smmu.iommufd;

/**
 * {@code struct iommu_hwpt_pgfault} (40 bytes), one fault of a group read from a FAULT object:
 * {@code flags} (PASID_VALID 1, LAST_PAGE 2), the DEVICE's {@code dev_id}, {@code pasid}, the PRI
 * group {@code grpid}, {@code perm} (READ 1, WRITE 2, EXEC 4, PRIV 8), {@code addr}, {@code length}
 * (always 0) and the {@code cookie} a response names.
 */
public record PageFault(int flags, int devId, int pasid, int grpid, int perm, long addr, int length, int cookie) {
	public static final int BYTES = 40;
	public static final int FLAG_PASID_VALID = 1 << 0, FLAG_LAST_PAGE = 1 << 1;
	public static final int PERM_READ = 1 << 0, PERM_WRITE = 1 << 1, PERM_EXEC = 1 << 2, PERM_PRIV = 1 << 3;
}
