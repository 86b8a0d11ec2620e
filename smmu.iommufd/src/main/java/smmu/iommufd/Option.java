package smmu.iommufd;

/**
 * {@code struct iommu_option}: IOMMU_OPTION (0x87). Gets or sets {@code option_id} on
 * {@code object_id} (0 for the context-wide RLIMIT_MODE); the kernel writes back {@code val64}.
 */
public record Option(int optionId, int op, int objectId, long val64) {
	/** option_id values: global page accounting (0 per user, 1 per process); per-IOAS huge pages. */
	public static final int RLIMIT_MODE = 0, HUGE_PAGES = 1;
	/** op values. */
	public static final int OP_SET = 0, OP_GET = 1;

	public static Option get(int optionId, int objectId) {
		return new Option(optionId, OP_GET, objectId, 0);
	}

	public static Option set(int optionId, int objectId, long value) {
		return new Option(optionId, OP_SET, objectId, value);
	}
}
