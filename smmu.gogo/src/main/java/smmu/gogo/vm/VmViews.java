package smmu.gogo.vm;

import smmu.gogo.format.ShellError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import smmu.accel.Dma;
import smmu.accel.Topology;
import smmu.accel.VirtualMachine;
import smmu.accel.VmException;
import smmu.accel.VmManager;
import smmu.gogo.format.Formatter;
import smmu.gogo.format.Hex;

/** The records the vm:* and dma:* commands print, and what both need. */
public final class VmViews {
	private VmViews() {}

	public record VmRow(String name, String state, @Hex long ram, int vsmmus, int devices) {
		static VmRow of(VirtualMachine vm) {
			Topology t = vm.topology();
			return new VmRow(vm.name(), t.state().name().toLowerCase(), t.ramSize(), t.vsmmus().size(), t.devices().size());
		}
	}

	public record BusRow(String bus, String kind, @Hex int number, String parent, String vsmmu) {}

	public record VsmmuRow(String vsmmu, String primaryBus, @Hex long mmio, String spis, String physicalSmmu, Map<String, String> properties) {}

	public record DeviceRow(String device, String bus, String guestBdf, @Hex int vsid, String vsmmu, String hostBdf, @Hex int psid, String physicalSmmu) {}

	public record TopologyView(String vm, String state, @Hex long ram, String tree, List<BusRow> buses, List<VsmmuRow> vsmmus, List<DeviceRow> devices) {}

	public record MapRow(String device, @Hex long iova, @Hex long gpa, @Hex long size) {}

	public record EventRow(int n, String event) {}

	public record DmaRow(String device, @Hex long iova, int bytes, String data, String hostPages, String result) {}

	static VirtualMachine vm(VmManager manager, String name) {
		return manager.get(name).orElseThrow(() -> {
			List<String> have = new ArrayList<>();
			for (VirtualMachine v : manager.list()) {
				have.add(v.name());
			}
			return new ShellError("no VM named '" + name + "' (have: " + (have.isEmpty() ? "none" : String.join(", ", have)) + ")");
		});
	}

	private static final java.util.regex.Pattern BDF = java.util.regex.Pattern.compile("\\b[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]\\b");
	private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9_.-]*");

	/** A VM name as QEMU's ids: a letter, then letters, digits, '-', '.', '_' (so an option cannot become a name). */
	static void checkName(String name) {
		if (name == null || !NAME.matcher(name).matches()) {
			throw new ShellError("vm:create: '" + name + "' is not a VM name (a letter, then letters, digits, '-', '.', '_'); usage: vm:create <name> <options...>");
		}
	}

	/**
	 * A description refused: QEMU's line; when a host device is busy because one of our VMs holds it, the
	 * line also names that VM and how to free the device.
	 */
	static IllegalArgumentException refused(VmException e, VmManager manager) {
		String line = e.qemuLine();
		if (line != null && line.contains("EBUSY")) {
			java.util.regex.Matcher m = BDF.matcher(line.substring(line.indexOf("EBUSY")));
			java.util.regex.Matcher any = BDF.matcher(line);
			String bdf = m.find() ? m.group() : any.find() ? any.group() : null;
			if (bdf != null) {
				String holder = holder(manager, bdf);
				if (holder != null) {
					line += " (held by " + holder + ")";
				}
			}
		}
		return new ShellError(line, e);
	}

	/** "VM vm0 as dev0: vm:unplug vm0 dev0 or vm:destroy vm0 frees it", or null. */
	static String holder(VmManager manager, String bdf) {
		for (VirtualMachine v : manager.list()) {
			for (Topology.Device d : v.topology().devices()) {
				if (bdf.equalsIgnoreCase(d.hostBdf())) {
					return "VM " + v.name() + " as " + d.id() + ": 'vm:unplug " + v.name() + " " + d.id() + "' or 'vm:destroy " + v.name() + "' frees it";
				}
			}
		}
		return null;
	}

	static TopologyView topology(Topology t) {
		List<BusRow> buses = new ArrayList<>();
		for (Topology.Bus b : t.buses()) {
			buses.add(new BusRow(b.id(), b.kind(), b.number(), b.parent(), b.vsmmu()));
		}
		List<VsmmuRow> vsmmus = new ArrayList<>();
		for (Topology.Vsmmu v : t.vsmmus()) {
			vsmmus.add(new VsmmuRow(v.id(), v.primaryBus(), v.mmioBase(), v.firstSpi() + "-" + (v.firstSpi() + 3), v.physicalSmmu(), v.properties()));
		}
		List<DeviceRow> devices = new ArrayList<>();
		for (Topology.Device d : t.devices()) {
			devices.add(new DeviceRow(d.id(), d.bus(), d.guestBdf(), d.vsid(), d.vsmmu(), d.hostBdf(), d.psid(), d.physicalSmmu()));
		}
		return new TopologyView(t.vm(), t.state().name().toLowerCase(), t.ramSize(), tree(t), buses, vsmmus, devices);
	}

	/**
	 * The PCI tree: pcie.0, the buses below their parent (pxb-pcie under pcie.0, root ports under the bus
	 * they plug into), each with its vSMMU (and the physical SMMU behind) and devices (vSID -> pSID).
	 */
	private static String tree(Topology t) {
		StringBuilder sb = new StringBuilder();
		java.util.Set<String> ids = new java.util.HashSet<>();
		for (Topology.Bus b : t.buses()) {
			ids.add(b.id());
		}
		for (Topology.Bus b : t.buses()) {
			if (b.parent() == null || !ids.contains(b.parent())) {
				bus(sb, t, b, 1, new java.util.HashSet<>());
			}
		}
		return sb.toString();
	}

	private static void bus(StringBuilder sb, Topology t, Topology.Bus b, int depth, java.util.Set<String> seen) {
		if (!seen.add(b.id())) {
			return;
		}
		String indent = "  ".repeat(depth);
		sb.append('\n').append(indent).append(b.id()).append(String.format(" (bus 0x%02x, %s)", b.number(), b.kind()));
		for (Topology.Vsmmu v : t.vsmmus()) {
			if (v.primaryBus().equals(b.id())) {
				sb.append(" <- ").append(v.id()).append(" on ").append(v.physicalSmmu() == null ? "no physical SMMU yet" : v.physicalSmmu());
			}
		}
		for (Topology.Device d : t.devices()) {
			if (d.bus().equals(b.id())) {
				sb.append('\n').append(indent).append("  ").append(d.guestBdf()).append(' ').append(d.id()).append(String.format(" vSID 0x%x -> %s %s pSID 0x%x",
						d.vsid(), d.hostBdf(), d.physicalSmmu(), d.psid()));
			}
		}
		for (Topology.Bus c : t.buses()) {
			if (b.id().equals(c.parent())) {
				bus(sb, t, c, depth + 1, seen);
			}
		}
	}

	/**
	 * A VM's MSI design and what its routes cost the VMM so far: routes set up, the software stage-1 walks
	 * the VMM did for them and the descriptors those read (none with msi-gpa).
	 */
	public record MsiDesignRow(String vm, String design, long routes, long vmmWalks, long vmmReads) {}

	static MsiDesignRow msiDesign(String vm, smmu.accel.MsiRouteCost c) {
		return new MsiDesignRow(vm, c.design().shellName(), c.routes(), c.vmmWalks(), c.vmmReads());
	}

	/** One MSI: the three addresses of its message, where the physical write went, and the outcome. */
	public record MsiRow(String device, int vector, @Hex long guestAddress, @Hex long routeAddress, @Hex long hostAddress, String hostPa,
			String result) {}

	static MsiRow msi(smmu.accel.Msi m) {
		String result = m.delivered() ? "delivered to " + m.deliveredTo()
				: m.fault() != null ? Formatter.eventLine(m.fault()) : "not delivered (" + m.reason() + ")";
		return new MsiRow(m.device(), m.vector(), m.guestAddress(), m.routeAddress(), m.hostAddress(), m.hostPa() < 0 ? "-" : Formatter.hex(m.hostPa()),
				result);
	}

	static DmaRow dma(String device, long iova, Dma r, boolean read) {
		StringBuilder data = new StringBuilder();
		if (read) {
			byte[] b = r.data();
			for (int i = 0; i < b.length; i++) {
				data.append(i == 0 ? "" : " ").append(String.format("%02x", b[i] & 0xff));
			}
		}
		StringBuilder pages = new StringBuilder();
		for (long pa : r.hostPas()) {
			pages.append(pages.length() == 0 ? "" : ", ").append(Formatter.hex(pa));
		}
		String result = r.ok() ? "ok" : r.fault() != null ? Formatter.eventLine(r.fault()) : "abort (" + r.reason() + ")";
		return new DmaRow(device, iova, r.bytes(), read ? (data.length() == 0 ? "-" : data.toString()) : null, pages.length() == 0 ? "-" : pages.toString(), result);
	}
}
