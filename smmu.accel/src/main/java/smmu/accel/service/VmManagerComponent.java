package smmu.accel.service;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import smmu.accel.VirtualMachine;
import smmu.accel.VmException;
import smmu.accel.VmManager;
import smmu.hw.HostPlatform;
import smmu.iommufd.Iommufd;

/** The host's VMs. Destroys them when the host platform or its iommufd goes away. */
@Component(service = VmManager.class, immediate = true)
public final class VmManagerComponent implements VmManager {
	private final HostPlatform host;
	private final Iommufd iommufd;
	private final Map<String, VmInstance> vms = new LinkedHashMap<>();

	@Activate
	public VmManagerComponent(@Reference(name = "host") HostPlatform host, @Reference(name = "iommufd") Iommufd iommufd) {
		this.host = host;
		this.iommufd = iommufd;
	}

	@Override
	public synchronized VirtualMachine create(String name, String commandLine) {
		if (name == null || name.isBlank()) {
			throw new VmException("a VM needs a name");
		}
		if (vms.containsKey(name)) {
			throw new VmException("a VM named '" + name + "' exists");
		}
		VmInstance vm = VmInstance.create(name, commandLine, host, iommufd);
		vms.put(name, vm);
		return vm;
	}

	@Override
	public synchronized List<VirtualMachine> list() {
		return new ArrayList<>(vms.values());
	}

	@Override
	public synchronized Optional<VirtualMachine> get(String name) {
		return Optional.ofNullable(vms.get(name));
	}

	@Override
	public synchronized boolean destroy(String name) {
		VmInstance vm = vms.remove(name);
		if (vm == null) {
			return false;
		}
		vm.close();
		return true;
	}

	@Deactivate
	synchronized void deactivate() {
		for (VmInstance vm : vms.values()) {
			vm.close();
		}
		vms.clear();
	}
}
