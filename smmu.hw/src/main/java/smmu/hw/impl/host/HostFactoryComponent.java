package smmu.hw.impl.host;

import java.lang.reflect.Proxy;

import org.osgi.service.component.annotations.Component;

import smmu.hw.HostFactory;
import smmu.hw.HostPlatform;

/** Fresh hosts: the platform component with a configuration built from the {@link HostFactory.Spec}. */
@Component(service = HostFactory.class)
public final class HostFactoryComponent implements HostFactory {
	static final long MEMORY_BASE = 0x8000_0000L;

	@Override
	public HostPlatform create(Spec spec) {
		int n = spec.smmus(), per = spec.endpointsPerSmmu();
		String[] smmus = new String[n], endpoints = new String[n * per];
		for (int i = 0; i < n; i++) {
			smmus[i] = String.format("smmu%d@0x%x", i, 0x2b40_0000L + 0x10_0000L * i);
			for (int f = 0; f < per; f++) {
				endpoints[i * per + f] = String.format("%s@smmu%d:0x%x", Spec.bdf(i, f), i, 0x100 * (i + 1) + f);
			}
		}
		String window = String.format("0x%x-0x%x", MEMORY_BASE, MEMORY_BASE + spec.memoryBytes());
		HostConfig config = (HostConfig) Proxy.newProxyInstance(HostConfig.class.getClassLoader(), new Class<?>[] { HostConfig.class },
				(proxy, method, args) -> switch (method.getName()) {
					case "smmus" -> smmus;
					case "endpoints" -> endpoints;
					case "kernelMemory" -> window;
					case "tlbEntries" -> spec.tlbEntries();
					case "configCacheEntries" -> spec.configCacheEntries();
					case "hashCode" -> System.identityHashCode(proxy);
					case "equals" -> proxy == args[0];
					case "toString" -> "HostConfig" + spec;
					default -> method.getDefaultValue();
				});
		return new HostPlatformComponent(config);
	}
}
