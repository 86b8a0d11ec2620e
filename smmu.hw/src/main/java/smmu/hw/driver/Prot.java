package smmu.hw.driver;

/** IOMMU mapping permissions and attributes ({@code IOMMU_READ} ... {@code IOMMU_PRIV}), as int flags. */
public final class Prot {
	private Prot() {}

	public static final int READ = 1 << 0, WRITE = 1 << 1, CACHE = 1 << 2, NOEXEC = 1 << 3, MMIO = 1 << 4, PRIV = 1 << 5;
	public static final int RW = READ | WRITE;

	public static String toString(int prot) {
		StringBuilder b = new StringBuilder();
		String[] names = { "READ", "WRITE", "CACHE", "NOEXEC", "MMIO", "PRIV" };
		for (int i = 0; i < names.length; i++) {
			if ((prot & (1 << i)) != 0) {
				b.append(b.length() == 0 ? "" : "|").append(names[i]);
			}
		}
		return b.length() == 0 ? "0" : b.toString();
	}
}
