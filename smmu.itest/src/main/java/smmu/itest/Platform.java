package smmu.itest;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.function.Predicate;

import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/** Reconfigures the host platform and the host kernel through Config Admin and waits for the new services. */
final class Platform {
	private Platform() {}

	static void configure(ConfigurationAdmin cm, String pid, Object... keyValues) throws Exception {
		Dictionary<String, Object> props = new Hashtable<>();
		for (int i = 0; i < keyValues.length; i += 2) {
			props.put((String) keyValues[i], keyValues[i + 1]);
		}
		Configuration c = cm.getConfiguration(pid, "?");
		c.update(props);
	}

	static void reset(ConfigurationAdmin cm, String... pids) throws Exception {
		for (String pid : pids) {
			Configuration[] cs = cm.listConfigurations("(service.pid=" + pid + ")");
			if (cs != null) {
				for (Configuration c : cs) {
					c.delete();
				}
			}
		}
	}

	/** The highest service.id registered for {@code type} now (0 if none). */
	static long newestId(BundleContext context, Class<?> type) throws Exception {
		long max = 0;
		var refs = context.getServiceReferences(type.getName(), null);
		if (refs != null) {
			for (var r : refs) {
				max = Math.max(max, (Long) r.getProperty("service.id"));
			}
		}
		return max;
	}

	/** A {@code type} service registered after {@code afterId}, waiting up to 10 s. */
	static <T> T awaitNewer(BundleContext context, Class<T> type, long afterId) throws Exception {
		long deadline = System.nanoTime() + 10_000_000_000L;
		while (System.nanoTime() < deadline) {
			var refs = context.getServiceReferences(type, null);
			for (var r : refs) {
				if ((Long) r.getProperty("service.id") > afterId) {
					T s = context.getService(r);
					if (s != null) {
						return s;
					}
				}
			}
			Thread.sleep(20);
		}
		throw new AssertionError("no new " + type.getSimpleName() + " was registered");
	}

	/** The service of {@code type} that satisfies {@code ready}, waiting up to 10 s for it to be registered. */
	static <T> T await(BundleContext context, Class<T> type, Predicate<T> ready) throws InterruptedException {
		ServiceTracker<T, T> tracker = new ServiceTracker<>(context, type, null);
		tracker.open();
		try {
			long deadline = System.nanoTime() + 10_000_000_000L;
			while (System.nanoTime() < deadline) {
				for (T s : tracker.getTracked().values()) {
					if (ready.test(s)) {
						return s;
					}
				}
				Thread.sleep(20);
			}
			throw new AssertionError("no " + type.getSimpleName() + " became ready");
		} finally {
			tracker.close();
		}
	}
}
