package smmu.accel.service;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;

import smmu.accel.Dma;
import smmu.accel.GuestBuffer;
import smmu.accel.Topology;
import smmu.accel.VirtualMachine;
import smmu.accel.VmException;
import smmu.accel.config.OnOffAuto;
import smmu.accel.config.VmConfigException;
import smmu.accel.config.VmConfigParser;
import smmu.accel.config.VmDescription;
import smmu.accel.config.VmDescription.Device;
import smmu.accel.config.VmDescription.EmulatedPci;
import smmu.accel.config.VmDescription.PxbPcie;
import smmu.accel.config.VmDescription.RootPort;
import smmu.accel.config.VmDescription.Smmuv3;
import smmu.accel.config.VmDescription.VfioPci;
import smmu.accel.guest.DmaBuffer;
import smmu.accel.vm.Vm;
import smmu.accel.vm.VirtMemoryMap;
import smmu.accel.vsmmu.AccelVsmmu;
import smmu.hw.Event;
import smmu.hw.HostPlatform;
import smmu.hw.PciEndpoint;
import smmu.hw.arch.Regs;
import smmu.iommufd.Iommufd;
import smmu.iommufd.IommufdContext;
import smmu.vfio.DmaResult;

/**
 * A VM built from its description: each {@code -device} of the parsed description is applied to the
 * {@link Vm} in creation order. Later devices are validated by parsing the whole command line again with
 * the new option appended, so QEMU's checks see the VM as it is.
 */
final class VmInstance implements VirtualMachine {
	private final String name;
	private final HostPlatform host;
	private final Vm vm;
	private final List<String> args;
	private VmDescription desc;
	private final Map<String, String> busKinds = new HashMap<>();
	private final Map<String, Smmuv3> smmus = new LinkedHashMap<>();
	private volatile boolean closed;
	private final List<Runnable> onClose = new ArrayList<>();

	private VmInstance(String name, HostPlatform host, Vm vm, List<String> args, VmDescription desc) {
		this.name = name;
		this.host = host;
		this.vm = vm;
		this.args = args;
		this.desc = desc;
		busKinds.put("pcie.0", "root");
	}

	static VmInstance create(String name, String commandLine, HostPlatform host, Iommufd iommufd, BinaryOperator<String> keys) {
		return create(name, commandLine, host, iommufd, keys, smmu.accel.vm.GuestRam.DEFAULT_CHUNK);
	}

	static VmInstance create(String name, String commandLine, HostPlatform host, Iommufd iommufd, BinaryOperator<String> keys, long ramPage) {
		List<String> args = new ArrayList<>();
		List<String> given;
		try {
			given = VmConfigParser.shellSplit(commandLine == null ? "" : commandLine);
		} catch (VmConfigException e) {
			throw new VmException(e.option(), e.getMessage(), e);
		}
		// model: the machine is always virt under KVM unless the line says otherwise
		if (!given.contains("-machine") && !given.contains("-M") && !given.contains("--machine")) {
			args.addAll(List.of("-machine", "virt"));
		}
		if (!given.contains("-accel") && !given.contains("--accel") && !given.contains("-enable-kvm")) {
			args.addAll(List.of("-accel", "kvm"));
		}
		args.addAll(given);
		VmDescription d = parse(args, host.msiController().kind() == smmu.hw.irq.MsiController.Kind.GICV3_ITS);
		for (Device dev : d.devices()) {
			modelled(d, dev, optionOf(args, d, dev));
		}
		long ram = d.memory().size();
		if (Long.remainderUnsigned(ram, ramPage) != 0) {
			throw new VmException("-m", String.format("model: guest RAM of %d KiB: this model backs guest RAM with host pages of %d KiB, so the size must be a multiple of %d KiB (QEMU itself takes any multiple of 8 KiB)",
					ram >>> 10, ramPage >> 10, ramPage >> 10), null);
		}
		Vm vm = new Vm(name, host, iommufd, host.allocator(), ram, iommufd::awaitEvents, keys, ramPage);
		vm.virtualMsiDoorbell(d.machine().gicVersion() >= 3 && d.machine().its() ? VirtMemoryMap.GITS_TRANSLATER : VirtMemoryMap.GICV2M_SETSPI);
		VmInstance i = new VmInstance(name, host, vm, args, d);
		try {
			for (Device dev : d.devices()) {
				i.apply(d, dev);
			}
		} catch (RuntimeException e) {
			vm.close();
			throw e;
		}
		return i;
	}

	private boolean hostGicv3() {
		return host.msiController().kind() == smmu.hw.irq.MsiController.Kind.GICV3_ITS;
	}

	private static VmDescription parse(List<String> args, boolean hostGicv3) {
		try {
			return VmConfigParser.parse(args, hostGicv3);
		} catch (VmConfigException e) {
			throw new VmException(e.option(), e.getMessage(), e);
		}
	}

	/** The {@code -device} option as written for the n-th device of the description. */
	private static String optionOf(List<String> args, VmDescription d, Device dev) {
		int n = d.devices().indexOf(dev), k = 0;
		for (int i = 0; i + 1 < args.size(); i++) {
			if (args.get(i).equals("-device") || args.get(i).equals("--device")) {
				if (k++ == n) {
					return "-device " + args.get(i + 1);
				}
			}
		}
		return null;
	}

	/** What the model can run: accel vSMMUs, pxb-pcie and root-port buses, vfio-pci endpoints. */
	private static void modelled(VmDescription d, Device dev, String option) {
		if (d.machine().legacySmmuv3()) {
			throw new VmException(null, "model: the machine-wide iommu=smmuv3 is not modelled; use -device arm-smmuv3,accel=on", null);
		}
		if (dev instanceof Smmuv3 s && !s.accel()) {
			throw new VmException(option, "model: only accel=on arm-smmuv3 devices are modelled", null);
		}
		if (dev instanceof EmulatedPci e && e.type().equals("virtio-iommu-pci")) {
			throw new VmException(option, "model: virtio-iommu-pci is not modelled", null);
		}
		// An emulated endpoint outside every vSMMU's hierarchy (virtio-net-pci on pcie.0) is accepted as QEMU
		// accepts it; the model keeps it in the description and topology but runs nothing for it (no DMA).
		// Behind an accel vSMMU QEMU itself refuses it ("Emulated endpoint devices are not allowed ...").
		if (dev instanceof EmulatedPci e && (e.smmu() >= 0 || e.legacySmmu())) {
			throw new VmException(option, "model: emulated PCI devices behind an IOMMU are not modelled; pass a host device with vfio-pci", null);
		}
	}

	private void apply(VmDescription d, Device dev) {
		String option = optionOf(args, d, dev);
		try {
			if (dev instanceof PxbPcie p) {
				String bus = p.secondaryBus() != null ? p.secondaryBus() : p.id();
				vm.addPxb(bus, p.busNr());
				busKinds.put(bus, "pxb-pcie");
			} else if (dev instanceof RootPort r) {
				vm.addRootPort(r.secondaryBus(), r.bus(), r.secondaryNumber());
				busKinds.put(r.secondaryBus(), "root-port");
			} else if (dev instanceof Smmuv3 s) {
				vm.addVsmmu(s.id(), s.primaryBus(), properties(d, s));
				smmus.put(s.id(), s);
			} else if (dev instanceof VfioPci v) {
				vm.plug(v.id() != null ? v.id() : "vfio-pci@" + v.guestBdf(), v.host(), v.bus(), v.devfn());
			}
		} catch (VmException e) {
			throw e;
		} catch (RuntimeException e) {
			throw new VmException(option, e.getMessage(), e);
		}
	}

	/**
	 * The vSMMU's properties; {@code auto} ones are taken from the physical SMMU of its first vfio-pci
	 * device in the description (QEMU: from the host at the first cold-plugged device), or the emulated
	 * defaults when it has none.
	 */
	private AccelVsmmu.Properties properties(VmDescription d, Smmuv3 s) {
		AccelVsmmu.Properties def = AccelVsmmu.Properties.DEFAULT;
		int[] idr = null;
		List<VfioPci> behind = d.vfioBehind(s);
		if (!behind.isEmpty()) {
			for (PciEndpoint ep : host.endpoints()) {
				if (ep.bdf().equals(behind.get(0).host())) {
					idr = host.smmu(ep.smmu()).map(x -> x.spec().idr()).orElse(null);
				}
			}
		}
		int oas = s.oas() != VmDescription.AUTO ? s.oas() : idr == null ? def.oas() : field(Regs.IDR5_OAS, idr[5]) >= 5 ? 48 : 44;
		boolean ats = resolve(s.ats(), idr == null ? def.ats() : field(Regs.IDR0_ATS, idr[0]) != 0);
		boolean ril = resolve(s.ril(), idr == null ? def.ril() : field(Regs.IDR3_RIL, idr[3]) != 0);
		int ssid = s.ssidsize() != VmDescription.AUTO ? s.ssidsize() : idr == null ? def.ssidsize() : Math.min(20, field(Regs.IDR1_SSIDSIZE, idr[1]));
		return new AccelVsmmu.Properties(oas, ats, ril, ssid, s.msiGpa());
	}

	private static boolean resolve(OnOffAuto v, boolean auto) {
		return v == OnOffAuto.AUTO ? auto : v == OnOffAuto.ON;
	}

	private static int field(smmu.hw.arch.Field f, int reg) {
		return (int) f.get(Integer.toUnsignedLong(reg));
	}

	@Override
	public String name() {
		return name;
	}

	@Override
	public synchronized State state() {
		return vm.booted() ? State.RUNNING : State.CREATED;
	}

	@Override
	public synchronized String commandLine() {
		return desc.toCommandLine();
	}

	@Override
	public synchronized Topology topology() {
		List<Topology.Bus> buses = new ArrayList<>();
		for (Vm.Bus b : vm.buses()) {
			buses.add(new Topology.Bus(b.id(), busKinds.getOrDefault(b.id(), "pxb-pcie"), b.number(), b.vsmmu() == null ? null : b.vsmmu().id(),
					b.parent()));
		}
		List<Topology.Vsmmu> vsmmus = new ArrayList<>();
		for (AccelVsmmu v : vm.vsmmus()) {
			Smmuv3 s = smmus.get(v.id());
			String phys = null;
			for (Vm.Device dev : vm.devices()) {
				if (dev.bus().vsmmu() == v) {
					phys = dev.vfio().endpoint().smmu();
					break;
				}
			}
			AccelVsmmu.Properties p = v.properties();
			Map<String, String> props = new LinkedHashMap<>();
			props.put("oas", Integer.toString(p.oas()));
			props.put("ats", p.ats() ? "on" : "off");
			props.put("ril", p.ril() ? "on" : "off");
			props.put("ssidsize", Integer.toString(p.ssidsize()));
			props.put("msi-gpa", String.format("0x%x", p.msiGpa()));
			vsmmus.add(new Topology.Vsmmu(v.id(), s.primaryBus(), s.mmioBase(), s.firstSpi(), props, phys));
		}
		List<Topology.Device> devices = new ArrayList<>();
		for (Vm.Device dev : vm.devices()) {
			PciEndpoint ep = dev.vfio().endpoint();
			String bdf = String.format("%02x:%02x.%x", dev.bus().number(), dev.devfn() >> 3, dev.devfn() & 7);
			devices.add(new Topology.Device(dev.id(), dev.bus().id(), bdf, dev.vsid(), ep.bdf(), ep.sid(), ep.smmu(),
					dev.bus().vsmmu() == null ? null : dev.bus().vsmmu().id()));
		}
		return new Topology(name, state(), vm.ram().size(), buses, vsmmus, devices);
	}

	@Override
	public synchronized String addDevice(String deviceOption) {
		live();
		List<String> next = new ArrayList<>(args);
		next.add("-device");
		next.add(deviceOption);
		VmDescription nd = parse(next, hostGicv3());
		Device dev = nd.devices().get(nd.devices().size() - 1);
		String option = "-device " + deviceOption;
		if (vm.booted() && !(dev instanceof VfioPci) && !(dev instanceof EmulatedPci)) {
			// qdev_device_add: QERR_DEVICE_NO_HOTPLUG
			throw new VmException(null, "Device '" + dev.type() + "' does not support hotplugging", null);
		}
		modelled(nd, dev, option);
		apply(nd, dev);
		args.clear();
		args.addAll(next);
		desc = nd;
		return dev.id() != null ? dev.id() : "vfio-pci@" + ((VfioPci) dev).guestBdf();
	}

	@Override
	public synchronized void unplug(String deviceId) {
		live();
		call(() -> {
			vm.unplug(deviceId);
			return null;
		});
		for (int i = 0; i + 1 < args.size(); i++) {
			if (args.get(i).equals("-device") && deviceId.equals(idOf(args.get(i + 1)))) {
				args.remove(i + 1);
				args.remove(i);
				break;
			}
		}
		desc = parse(args, hostGicv3());
	}

	private static String idOf(String option) {
		for (String kv : option.split(",")) {
			if (kv.startsWith("id=")) {
				return kv.substring(3);
			}
		}
		return null;
	}

	@Override
	public synchronized void boot() {
		live();
		call(() -> {
			vm.boot();
			return null;
		});
	}

	@Override
	public synchronized GuestBuffer guestMap(String deviceId, long size) {
		DmaBuffer b = call(() -> vm.dmaMap(deviceId, size));
		return new GuestBuffer(deviceId, b.iova(), b.gpa(), b.size());
	}

	@Override
	public synchronized long guestUnmap(String deviceId, long iova, long size) {
		return call(() -> vm.dmaUnmap(deviceId, new DmaBuffer(iova, 0, size)));
	}

	@Override
	public synchronized Dma dmaWrite(String deviceId, long iova, byte[] data) {
		DmaResult r = call(() -> vm.dmaWrite(deviceId, iova, data));
		return dma(r, new byte[0]);
	}

	@Override
	public synchronized Dma dmaRead(String deviceId, long iova, int length) {
		if (length < 0) {
			throw new VmException("a negative DMA length");
		}
		byte[] buf = new byte[length];
		DmaResult r = call(() -> vm.dmaRead(deviceId, iova, buf));
		return dma(r, Arrays.copyOf(buf, r.bytes()));
	}

	private static Dma dma(DmaResult r, byte[] data) {
		List<Long> pas = new ArrayList<>();
		for (long pa : r.hostPas()) {
			pas.add(pa);
		}
		return new Dma(r.bytes(), data, pas, r.fault() == null ? null : r.fault().event(), r.fault() == null ? null : r.fault().reason());
	}

	@Override
	public synchronized smmu.accel.Msi msi(String deviceId, int vector) {
		return call(() -> vm.msi(deviceId, vector));
	}

	@Override
	public synchronized List<Integer> msiVectors(String deviceId) {
		return call(() -> vm.msiRoutes().getOrDefault(deviceId, List.of()));
	}

	@Override
	public smmu.accel.MsiDesign msiDesign() {
		live();
		return vm.msiDesign();
	}

	@Override
	public synchronized void msiDesign(smmu.accel.MsiDesign design) {
		live();
		vm.msiDesign(java.util.Objects.requireNonNull(design, "design"));
	}

	@Override
	public smmu.accel.MsiRouteCost msiRouteCost() {
		live();
		return vm.msiRouteCost();
	}

	@Override
	public synchronized List<Event> guestEvents(String vsmmuId) {
		return call(() -> vm.guestEvents(vsmmuId));
	}

	@Override
	public IommufdContext iommufd() {
		live();
		return vm.iommufd();
	}

	@Override
	public synchronized byte[] readGuest(long gpa, int length) {
		return call(() -> {
			if (length < 0 || !vm.ram().contains(gpa, length)) {
				throw new IllegalArgumentException(String.format("[0x%x, +0x%x) is not guest RAM", gpa, length));
			}
			byte[] out = new byte[length];
			for (int i = 0; i < length; i++) {
				out[i] = vm.ram().memory().read8(gpa + i);
			}
			return out;
		});
	}

	private void live() {
		if (closed) {
			throw new VmException("VM " + name + " was destroyed");
		}
	}

	private <T> T call(java.util.function.Supplier<T> op) {
		live();
		try {
			return op.get();
		} catch (VmException e) {
			throw e;
		} catch (RuntimeException e) {
			throw new VmException(null, e.getMessage(), e);
		}
	}

	/** Re-plumbs the running VM for new stage-2 keys ({@link Vm#restage}); nothing when closed. */
	synchronized int restage(BinaryOperator<String> keys) {
		if (closed) {
			return 0;
		}
		return vm.restage(keys);
	}

	synchronized void close() {
		if (!closed) {
			List<Runnable> hooks;
			synchronized (onClose) {
				hooks = new ArrayList<>(onClose);
				onClose.clear();
			}
			for (Runnable r : hooks) {
				r.run();
			}
			closed = true;
			vm.close();
		}
	}

	/** The device model behind this VM, for the workload generators of this bundle. */
	Vm model() {
		live();
		return vm;
	}

	/** Runs {@code hook} before the VM is closed (workloads stop first); false when it is closed already. */
	boolean onClose(Runnable hook) {
		synchronized (onClose) {
			if (closed) {
				return false;
			}
			onClose.add(hook);
			return true;
		}
	}

	void removeOnClose(Runnable hook) {
		synchronized (onClose) {
			onClose.remove(hook);
		}
	}

	@Override
	public String toString() {
		return "VirtualMachine[" + name + " " + vm + "]";
	}
}
