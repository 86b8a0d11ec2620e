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
		String[] smmus = new String[n], endpoints = new String[n];
		for (int i = 0; i < n; i++) {
			smmus[i] = String.format("smmu%d@0x%x", i, 0x2b40_0000L + 0x10_0000L * i);
			endpoints[i] = String.format("0000:%02x:00.0@smmu%d:0x%x", i + 1, i, 0x100 * (i + 1));
		}
		HostConfig config = (HostConfig) Proxy.newProxyInstance(HostConfig.class.getClassLoader(), new Class<?>[] { HostConfig.class },
				(proxy, method, args) -> switch (method.getName()) {
					case "smmus" -> smmus;
					case "endpoints" -> endpoints;
					case "kernelMemory" -> "0x80000000-0x800000000";
					default -> method.getDefaultValue();
				});
		return new HostPlatformComponent(config);
	}
}
