package smmu.gogo.vm;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import smmu.accel.GuestBuffer;
import smmu.accel.Topology;
import smmu.accel.VirtualMachine;
import smmu.accel.VmException;
import smmu.accel.VmManager;
import smmu.gogo.format.Args;
import smmu.gogo.format.Formatter;
import smmu.gogo.format.ShellError;
import smmu.gogo.vm.VmViews.EventRow;
import smmu.gogo.vm.VmViews.MapRow;
import smmu.gogo.vm.VmViews.TopologyView;
import smmu.gogo.vm.VmViews.VmRow;
import smmu.hw.Event;

/**
 * The vm:* commands: VMs with accel vSMMUs described with QEMU's options (the rest of the line after the
 * name). Refused descriptions print QEMU's error line.
 */
@Component(service = VmCommands.class, immediate = true)
@GogoCommand(scope = "vm", function = { "create", "check", "add", "list", "topology", "boot", "map", "unmap", "events", "msidesign", "unplug", "destroy" })
public class VmCommands {
	private final VmManager manager;
	private int checks;

	@Activate
	public VmCommands(@Reference VmManager manager) {
		this.manager = manager;
	}

	@Descriptor("create a VM from QEMU options (-m, -object iommufd, -device pxb-pcie / pcie-root-port / arm-smmuv3,accel=on / vfio-pci,host=BDF); the machine is virt under KVM")
	public TopologyView create(@Descriptor("the VM's name") String name,
			@Descriptor("QEMU options, the rest of the line (or one quoted string)") String... options) {
		VmViews.checkName(name);
		try {
			return VmViews.topology(manager.create(name, String.join(" ", options)).topology());
		} catch (VmException e) {
			throw VmViews.refused(e, manager);
		} catch (IllegalStateException e) {
			if (e.getMessage() != null && e.getMessage().startsWith("out of memory")) {
				// say who holds the host's memory: the VMs and their guest RAM
				List<String> holders = new ArrayList<>();
				for (VirtualMachine v : manager.list()) {
					holders.add(v.name() + " " + Formatter.hex(v.topology().ramSize()));
				}
				throw new ShellError("vm:create " + name + ": host " + e.getMessage() + "; VMs holding guest RAM: "
						+ (holders.isEmpty() ? "none" : String.join(", ", holders)), e);
			}
			throw e;
		}
	}

	@Descriptor("try a VM description: builds the VM and destroys it again; prints QEMU's error line instead of failing")
	public String check(@Descriptor("QEMU options, the rest of the line (or one quoted string)") String... options) {
		String name;
		synchronized (this) {
			name = "check-" + ++checks;
		}
		try {
			Topology t = manager.create(name, String.join(" ", options)).topology();
			return "accepted: " + t.vsmmus().size() + " vSMMUs, " + t.devices().size() + " vfio-pci devices, " + t.buses().size() + " buses";
		} catch (VmException e) {
			return VmViews.refused(e, manager).getMessage();
		} finally {
			manager.destroy(name);
		}
	}

	@Descriptor("-device before boot (pxb-pcie, pcie-root-port, arm-smmuv3, vfio-pci), device_add after it (vfio-pci: the guest attaches it)")
	public String add(@Descriptor("VM") String vm, @Descriptor("the -device option, e.g. vfio-pci,host=0000:01:00.1,id=dev1,bus=rp1,iommufd=iommufd0") String option) {
		try {
			return "added " + VmViews.vm(manager, vm).addDevice(option);
		} catch (VmException e) {
			throw VmViews.refused(e, manager);
		}
	}

	@Descriptor("list the VMs")
	public Object list() {
		List<VmRow> rows = new ArrayList<>();
		for (VirtualMachine vm : manager.list()) {
			rows.add(VmRow.of(vm));
		}
		return rows.isEmpty() ? "no VMs" : rows;
	}

	@Descriptor("the VM's PCI tree: buses, each vSMMU with its MMIO, SPIs and the physical SMMU behind it, each device with vSID and pSID")
	public TopologyView topology(@Descriptor("VM") String vm) {
		return VmViews.topology(VmViews.vm(manager, vm).topology());
	}

	@Descriptor("boot the guest kernel: it probes every vSMMU and attaches every device to a stage-1 DMA domain")
	public String boot(@Descriptor("VM") String vm) {
		VirtualMachine v = VmViews.vm(manager, vm);
		v.boot();
		Topology t = v.topology();
		return vm + " running: " + t.vsmmus().size() + " vSMMUs probed, " + t.devices().size() + " devices attached";
	}

	@Descriptor("the guest kernel allocates a DMA buffer and maps it for the device (dma_alloc_coherent)")
	public MapRow map(@Descriptor("VM") String vm, @Descriptor("device id") String device, @Descriptor("bytes (rounded up to pages)") String size) {
		GuestBuffer b = VmViews.vm(manager, vm).guestMap(device, Args.size("size", size));
		return new MapRow(device, b.iova(), b.gpa(), b.size());
	}

	@Descriptor("the guest kernel unmaps an IOVA range of the device's domain (TLBI + CMD_SYNC on its vSMMU)")
	public String unmap(@Descriptor("VM") String vm, @Descriptor("device id") String device, @Descriptor("IOVA") String iova,
			@Descriptor("bytes") String size) {
		long n = VmViews.vm(manager, vm).guestUnmap(device, Args.number("iova", iova), Args.size("size", size));
		return "unmapped " + Formatter.hex(n) + " bytes";
	}

	@Descriptor("the guest's new event records of a vSMMU (StreamID = vSID)")
	public Object events(@Descriptor("VM") String vm, @Descriptor("vSMMU id") String vsmmu) {
		List<Event> events = VmViews.vm(manager, vm).guestEvents(vsmmu);
		if (events.isEmpty()) {
			return "no events";
		}
		List<EventRow> rows = new ArrayList<>();
		for (Event e : events) {
			rows.add(new EventRow(rows.size(), Formatter.eventLine(e)));
		}
		return rows;
	}

	@Descriptor("how KVM's MSI routes of the VM get their address: msi-gpa (QEMU as merged: the vSMMU's msi-gpa) or translate (seed 003's alternative: the VMM walks the guest's stage 1 per route set-up); without a design, show the design and what the routes cost so far")
	public VmViews.MsiDesignRow msidesign(@Descriptor("VM") String vm, @Descriptor("msi-gpa or translate (omit to show)") String... design) {
		VirtualMachine v = VmViews.vm(manager, vm);
		if (design.length > 1) {
			throw new ShellError("vm:msidesign takes one design, msi-gpa or translate");
		}
		if (design.length == 1) {
			smmu.accel.MsiDesign d = smmu.accel.MsiDesign.ofShellName(design[0]);
			if (d == null) {
				throw new ShellError("no MSI design '" + design[0] + "' (have: msi-gpa, translate)");
			}
			v.msiDesign(d);
		}
		return VmViews.msiDesign(vm, v.msiRouteCost());
	}

	@Descriptor("device_del: the guest detaches the device, VFIO unrealizes it")
	public String unplug(@Descriptor("VM") String vm, @Descriptor("device id") String device) {
		VmViews.vm(manager, vm).unplug(device);
		return "unplugged " + device;
	}

	@Descriptor("destroy a VM: unplug its devices, close its iommufd, release its RAM")
	public String destroy(@Descriptor("VM") String vm) {
		VmViews.vm(manager, vm);
		manager.destroy(vm);
		return "destroyed " + vm;
	}
}
