package smmu.bench;

import java.lang.reflect.Proxy;

import smmu.hw.HostPlatform;
import smmu.hw.impl.host.HostConfig;
import smmu.hw.impl.host.HostPlatformComponent;

/** Hosts of any size for benchmarks: the platform component with a configuration built in code. */
final class Hosts {
	private Hosts() {}

	/** {@code n} probed SMMUs "smmu0".., each with one endpoint "0000:0i:00.0" at StreamID 0x100 * (i + 1). */
	static HostPlatform create(int n) {
		return create(n, 1, "0x80000000-0x800000000");
	}

	/**
	 * {@code n} probed SMMUs, each with {@code perSmmu} endpoints "0000:BB:DD.F" (bus i + 1, devfn f) at
	 * StreamID 0x100 * (i + 1) + f; the host kernel's pages from {@code kernelMemory}.
	 */
	static HostPlatform create(int n, int perSmmu, String kernelMemory) {
		String[] smmus = new String[n], endpoints = new String[n * perSmmu];
		for (int i = 0; i < n; i++) {
			smmus[i] = String.format("smmu%d@0x%x", i, 0x2b40_0000L + 0x10_0000L * i);
			for (int f = 0; f < perSmmu; f++) {
				endpoints[i * perSmmu + f] = String.format("%s@smmu%d:0x%x", bdf(i, f), i, 0x100 * (i + 1) + f);
			}
		}
		HostConfig config = (HostConfig) Proxy.newProxyInstance(HostConfig.class.getClassLoader(), new Class<?>[] { HostConfig.class },
				(proxy, method, args) -> switch (method.getName()) {
					case "smmus" -> smmus;
					case "endpoints" -> endpoints;
					case "kernelMemory" -> kernelMemory;
					default -> method.getDefaultValue();
				});
		return new HostPlatformComponent(config);
	}

	static String bdf(int smmu, int fn) {
		return String.format("0000:%02x:%02x.%d", smmu + 1, fn >> 3, fn & 7);
	}
}
