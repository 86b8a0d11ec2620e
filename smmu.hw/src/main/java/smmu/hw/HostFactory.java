package smmu.hw;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Builds hosts of their own, next to the framework's {@link HostPlatform} service and sharing nothing
 * with it (memory, SMMUs, endpoints, allocator): what a sweep needs to run each point on a fresh machine.
 * The host is dropped by dropping the reference (it holds no thread).
 */
@ProviderType
public interface HostFactory {

	/**
	 * The shape of a host: SMMU {@code i} is {@code smmu<i>} at 0x2b400000 + i * 0x100000 (MMU-700-like,
	 * SMMUv3.2), probed and enabled; its endpoints are {@code 0000:BB:DD.F} with bus i + 1 and devfn f at
	 * StreamID 0x100 * (i + 1) + f.
	 *
	 * @param smmus physical SMMUs, at least 1
	 * @param endpointsPerSmmu PCI functions behind each, 1..256
	 * @param tlbEntries TLB entries of each of an SMMU's 16 TBUs (0 disables the TLBs)
	 * @param configCacheEntries configuration cache entries per SMMU (0 disables it)
	 * @param memoryBytes host memory for the kernel's pages and the VMs' RAM, from 0x80000000 (sparse:
	 *        only pages written take memory)
	 */
	record Spec(int smmus, int endpointsPerSmmu, int tlbEntries, int configCacheEntries, long memoryBytes) {
		public Spec {
			if (smmus < 1 || endpointsPerSmmu < 1 || endpointsPerSmmu > 256 || tlbEntries < 0 || configCacheEntries < 0
					|| memoryBytes < (1L << 24) || (memoryBytes & 0xfff) != 0) {
				throw new IllegalArgumentException(String.format("bad host: %d SMMUs, %d endpoints each, TLB %d, config cache %d, memory 0x%x", smmus,
						endpointsPerSmmu, tlbEntries, configCacheEntries, memoryBytes));
			}
		}

		/** The default host's caches (TLB 1024, config cache 256) and 16 GiB of memory. */
		public static Spec of(int smmus, int endpointsPerSmmu) {
			return new Spec(smmus, endpointsPerSmmu, 1024, 256, 1L << 34);
		}

		/** The BDF of function {@code fn} behind SMMU {@code smmu}. */
		public static String bdf(int smmu, int fn) {
			return String.format("0000:%02x:%02x.%d", smmu + 1, fn >> 3, fn & 7);
		}
	}

	/** A new host of that shape. */
	HostPlatform create(Spec spec);
}
