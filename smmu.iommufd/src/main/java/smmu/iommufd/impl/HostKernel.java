package smmu.iommufd.impl;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

import smmu.hw.HostPlatform;
import smmu.hw.InterruptSink;
import smmu.iommufd.arm.ArmSmmuV3;
import smmu.iommufd.arm.ArmSmmuV3Kernel;
import smmu.iommufd.arm.KernelMode;

/**
 * The host kernel's arm-smmu-v3 driver as a component (configuration {@value KernelConfig#PID}):
 * an {@link ArmSmmuV3Kernel} over the {@link HostPlatform}, with every probed SMMU's wired
 * interrupts connected. An EVENTQ pulse wakes the event thread ({@code arm_smmu_evtq_thread}, a
 * threaded IRQ: pulses arrive with the SMMU's locks held), which drains that SMMU's event queue.
 * Also the registry of devices bound to some iommufd.
 */
@Component(service = HostKernel.class, immediate = true, configurationPid = KernelConfig.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = KernelConfig.class)
public final class HostKernel {
	private final ArmSmmuV3Kernel kernel;
	private final ExecutorService irqThread = Executors.newSingleThreadExecutor(r -> {
		Thread t = new Thread(r, "arm-smmu-v3-evtq");
		t.setDaemon(true);
		return t;
	});
	private final Set<String> bound = new HashSet<>();

	@Activate
	public HostKernel(@Reference(name = "host") HostPlatform host, KernelConfig config) {
		this(host, mode(config.mode()));
	}

	public HostKernel(HostPlatform host, KernelMode mode) {
		kernel = new ArmSmmuV3Kernel(host, mode);
		for (ArmSmmuV3 s : kernel.smmus()) {
			AtomicBoolean pending = new AtomicBoolean();
			s.smmu().connect((smmu, line) -> {
				if (line == InterruptSink.Line.EVENTQ && pending.compareAndSet(false, true)) {
					irqThread.execute(() -> {
						pending.set(false);
						kernel.handleEvents(s);
					});
				}
			});
		}
	}

	/** "shared" or "per-smmu". */
	static KernelMode mode(String mode) {
		return switch (mode) {
			case "shared" -> KernelMode.SHARED;
			case "per-smmu" -> KernelMode.PER_SMMU;
			default -> throw new IllegalArgumentException("smmu.kernel mode must be shared or per-smmu, not " + mode);
		};
	}

	public ArmSmmuV3Kernel kernel() {
		return kernel;
	}

	/** Waits until the event thread has handled every interrupt raised before the call. */
	public void awaitInterrupts() {
		try {
			irqThread.submit(() -> {}).get();
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		} catch (ExecutionException e) {
			throw new IllegalStateException(e.getCause());
		}
	}

	/** Marks a device bound to an iommufd; false when it already is. */
	synchronized boolean claim(String bdf) {
		return bound.add(bdf);
	}

	/** Whether a device is bound to an iommufd now. */
	public synchronized boolean bound(String bdf) {
		return bound.contains(bdf);
	}

	synchronized void release(String bdf) {
		bound.remove(bdf);
	}

	@Deactivate
	public void deactivate() {
		List<ArmSmmuV3> smmus = kernel.smmus();
		for (ArmSmmuV3 s : smmus) {
			s.smmu().connect(null);
		}
		irqThread.shutdown();
	}
}
