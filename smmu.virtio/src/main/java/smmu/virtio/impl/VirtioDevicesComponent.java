package smmu.virtio.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import smmu.hw.HostPlatform;
import smmu.hw.EndpointDma;
import smmu.hw.PciHeader;
import smmu.virtio.VirtioDeviceInfo;
import smmu.virtio.VirtioDevices;

/**
 * The host's virtio devices, from configuration {@value #PID} ({@code devices}: "BDF=virtio-blk:IMAGE"
 * entries) and {@link #attach} at run time. Each device's DMA goes through its endpoint's physical SMMU
 * to the host's physical memory.
 */
@Component(service = VirtioDevices.class, immediate = true, configurationPid = VirtioDevicesComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = VirtioDevicesComponent.Config.class)
public class VirtioDevicesComponent implements VirtioDevices {
	public static final String PID = "smmu.virtio";

	@ObjectClassDefinition(name = "Virtio devices of the host")
	public @interface Config {
		@AttributeDefinition(description = "BDF=virtio-blk:IMAGE: the function on BDF becomes a virtio-blk device over the image file")
		String[] devices() default {};
	}

	private final HostPlatform host;
	private final Map<String, VirtioPciDevice> devices = new ConcurrentHashMap<>();

	@Activate
	public VirtioDevicesComponent(@Reference HostPlatform host, Config config) {
		this.host = host;
		for (String d : config.devices()) {
			int eq = d.indexOf('='), colon = d.indexOf(':', eq + 1);
			if (eq < 0 || colon < 0) {
				throw new IllegalArgumentException("devices entry '" + d + "': BDF=KIND:IMAGE expected");
			}
			attach(d.substring(0, eq).trim(), d.substring(eq + 1, colon).trim(), Path.of(d.substring(colon + 1).trim()));
		}
	}

	@Deactivate
	void deactivate() {
		for (String bdf : List.copyOf(devices.keySet())) {
			detach(bdf);
		}
	}

	@Override
	public List<String> kinds() {
		return List.of("virtio-blk");
	}

	@Override
	public synchronized VirtioDeviceInfo attach(String bdf, String kind, Path image) {
		if (!kinds().contains(kind)) {
			throw new IllegalArgumentException("unknown device kind '" + kind + "' (known: " + String.join(", ", kinds()) + ")");
		}
		EndpointDma port = EndpointDma.of(host, bdf);
		if (devices.containsKey(bdf)) {
			throw new IllegalArgumentException(bdf + " is a " + kind + " device already");
		}
		if (!Files.isRegularFile(image) || !Files.isReadable(image) || !Files.isWritable(image)) {
			throw new IllegalArgumentException("no readable and writable image file " + image);
		}
		VirtioPciDevice dev;
		try {
			dev = new VirtioPciDevice(bdf, image, new Dma(port));
		} catch (IOException e) {
			throw new IllegalArgumentException("image " + image + ": " + e.getMessage());
		}
		dev.connect(host.installFunction(bdf, VirtioPciDevice.header()));
		devices.put(bdf, dev);
		return dev.info();
	}

	@Override
	public synchronized boolean detach(String bdf) {
		VirtioPciDevice dev = devices.remove(bdf);
		if (dev == null) {
			return false;
		}
		dev.close();
		host.installFunction(bdf, PciHeader.testDevice());
		return true;
	}

	@Override
	public List<VirtioDeviceInfo> devices() {
		List<VirtioDeviceInfo> l = new ArrayList<>();
		devices.values().forEach(d -> l.add(d.info()));
		l.sort((a, b) -> a.bdf().compareTo(b.bdf()));
		return l;
	}

	@Override
	public Optional<VirtioDeviceInfo> device(String bdf) {
		VirtioPciDevice d = devices.get(bdf);
		return d == null ? Optional.empty() : Optional.of(d.info());
	}
}
