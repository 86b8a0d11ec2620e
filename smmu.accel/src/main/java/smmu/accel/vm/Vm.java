package smmu.accel.vm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;

import smmu.accel.guest.DmaBuffer;
import smmu.accel.guest.GuestDevice;
import smmu.accel.guest.GuestKernel;
import smmu.accel.guest.GuestSmmu;
import smmu.accel.Msi;
import smmu.accel.MsiDesign;
import smmu.accel.vsmmu.AccelVsmmu;
import smmu.hw.irq.MsiController;
import smmu.vfio.MsiResult;
import smmu.hw.Event;
import smmu.hw.FrameAllocator;
import smmu.hw.HostPlatform;
import smmu.hw.driver.DriverException;
import smmu.iommufd.Iommufd;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.VmmAddressSpace;
import smmu.vfio.AddressSpace;
import smmu.vfio.DmaResult;
import smmu.vfio.PciIommuOps;
import smmu.vfio.UserBuffer;
import smmu.vfio.Vfio;
import smmu.vfio.VfioPciDevice;

/**
 * One QEMU {@code virt} VM with accelerated vSMMUs: the VMM process's address space with guest RAM,
 * its iommufd context and VFIO state, the PCIe topology (pcie.0 = bus 0 and pxb-pcie root buses, an
 * accel vSMMU on a pxb's primary bus, vfio-pci devices on the buses with vSID = PCI_BUILD_BDF(bus,
 * devfn)), the system AddressSpaces of its accel vSMMUs (one per stage-2 key: vSMMUs with equal keys
 * share one, hence one IOAS; QEMU itself gives them all one), and the guest kernel. Devices plugged
 * before {@link #boot} are cold-plugged; later ones are hot-plugged and attached by the guest at once.
 * Not thread-safe for topology changes; DMA may run from any thread.
 */
public final class Vm implements AutoCloseable {
	/** Where the VMM maps guest RAM, and its page for ioctl structs. */
	public static final long RAM_VA = 0x7f00_0000_0000L, SCRATCH_VA = 0x7e00_0000_0000L;

	/** A PCIe root bus: pcie.0 or a pxb-pcie with its bus_nr, with the accel vSMMU whose primary bus it is. */
	public record Bus(String id, int number, AccelVsmmu vsmmu, String parent) {}

	/** A plugged vfio-pci device. */
	public record Device(String id, VfioPciDevice vfio, Bus bus, int devfn) {
		/** The guest's StreamID: PCI_BUILD_BDF(bus, devfn). */
		public int vsid() {
			return bus.number() << 8 | devfn;
		}
	}

	private final String name;
	private final VmmAddressSpace mm;
	private final FrameAllocator userPages;
	private final GuestRam ram;
	private final IommufdContext iommufd;
	private final long scratchPa;
	private final UserBuffer scratch;
	private final Vfio vfio;
	private final AddressSpace sysmem, memory;
	private BinaryOperator<String> keys;
	private Map<String, AddressSpace> spaces = new LinkedHashMap<>();
	private Map<String, String> keyOf = new LinkedHashMap<>();
	private int serial;
	private final GuestKernel kernel;
	private final Runnable hostEvents;
	private final Map<String, Bus> buses = new LinkedHashMap<>();
	private final List<AccelVsmmu> vsmmus = new ArrayList<>();
	private final Map<String, Device> devices = new LinkedHashMap<>();
	private final Map<String, GuestSmmu> guestSmmus = new LinkedHashMap<>();
	private final Map<String, GuestDevice> guestDevices = new LinkedHashMap<>();
	private boolean booted;

	/**
	 * Creates the VM: the VMM's address space over host memory, guest RAM of {@code ramSize} bytes from
	 * {@code userPages} at {@link #RAM_VA}, a new iommufd context, and bus pcie.0.
	 *
	 * @param userPages the host pages anonymous VMM memory comes from
	 * @param hostEvents waits until the host kernel has delivered the events its SMMUs recorded (run before
	 *        the vEVENTQs are read)
	 */
	public Vm(String name, HostPlatform host, Iommufd iommufdDevice, FrameAllocator userPages, long ramSize, Runnable hostEvents) {
		this(name, host, iommufdDevice, userPages, ramSize, hostEvents, SHARED);
	}

	/** One AddressSpace per VM: every vSMMU's key is the VM's name (what QEMU does). */
	public static final BinaryOperator<String> SHARED = (vm, vsmmu) -> vm;

	/**
	 * @param keys the stage-2 key of a vSMMU given (VM name, vSMMU id): equal keys share an AddressSpace
	 */
	public Vm(String name, HostPlatform host, Iommufd iommufdDevice, FrameAllocator userPages, long ramSize, Runnable hostEvents,
			BinaryOperator<String> keys) {
		this(name, host, iommufdDevice, userPages, ramSize, hostEvents, keys, GuestRam.DEFAULT_CHUNK);
	}

	/**
	 * @param ramPage the host page size backing guest RAM (4 KiB, 2 MiB transparent huge pages, 1 GiB
	 *        hugetlbfs pages): host-contiguous, aligned runs that stage 2 can map as blocks
	 */
	public Vm(String name, HostPlatform host, Iommufd iommufdDevice, FrameAllocator userPages, long ramSize, Runnable hostEvents,
			BinaryOperator<String> keys, long ramPage) {
		this.name = name;
		this.keys = keys;
		this.userPages = userPages;
		this.hostEvents = hostEvents;
		this.mm = new VmmAddressSpace(host.memory());
		this.ram = new GuestRam(mm, userPages, RAM_VA, ramSize, ramPage);
		this.iommufd = iommufdDevice.open(mm, true);
		this.scratchPa = userPages.allocate(VmmAddressSpace.PAGE_SIZE);
		this.scratch = new UserBuffer(mm, SCRATCH_VA, scratchPa);
		this.vfio = new Vfio(host, iommufd, scratch);
		this.sysmem = AddressSpace.ram("smmuv3-accel-as-sysmem", List.of(new AddressSpace.RamSection(ram.base(), ram.size(), ram.userVa(), false)));
		this.memory = AddressSpace.ram("memory", sysmem.ramSections());
		this.kernel = new GuestKernel(ram.memory(), ram.pageAllocator(ramSize / 2, ramSize / 2));
		buses.put("pcie.0", new Bus("pcie.0", 0, null, null));
	}

	public String name() {
		return name;
	}

	public GuestRam ram() {
		return ram;
	}

	public IommufdContext iommufd() {
		return iommufd;
	}

	public Vfio vfio() {
		return vfio;
	}

	public GuestKernel kernel() {
		return kernel;
	}

	/** The AddressSpace of the first stage-2 key (with the shared policy: the one every accel vSMMU gives). */
	public AddressSpace sharedAddressSpace() {
		return spaces.isEmpty() ? sysmem : spaces.values().iterator().next();
	}

	/** The stage-2 key of every vSMMU, in creation order. */
	public Map<String, String> stage2Keys() {
		return new LinkedHashMap<>(keyOf);
	}

	/** The AddressSpaces by stage-2 key. */
	public Map<String, AddressSpace> addressSpaces() {
		return new LinkedHashMap<>(spaces);
	}

	/**
	 * Applies new stage-2 keys live. When they group the vSMMUs as the current ones do nothing moves;
	 * otherwise each vSMMU's devices move to a new AddressSpace of its new key (a new IOAS with guest RAM
	 * mapped, new stage-2 HWPTs, a new vIOMMU with abort/bypass HWPTs and vEVENTQ, vDEVICEs moved,
	 * nested HWPTs rebuilt from the guest's STEs, attach with replace), the vSMMU's pending events are
	 * delivered to the guest before its old vEVENTQ goes, and the old objects are freed. DMA keeps
	 * translating throughout.
	 *
	 * @return the devices moved
	 */
	public int restage(BinaryOperator<String> newKeys) {
		Map<String, String> nk = new LinkedHashMap<>();
		for (AccelVsmmu v : vsmmus) {
			nk.put(v.id(), newKeys.apply(name, v.id()));
		}
		keys = newKeys;
		if (samePartition(keyOf, nk)) {
			Map<String, AddressSpace> ns = new LinkedHashMap<>();
			for (AccelVsmmu v : vsmmus) {
				ns.put(nk.get(v.id()), v.addressSpace());
			}
			spaces = ns;
			keyOf = nk;
			return 0;
		}
		Map<String, AddressSpace> ns = new LinkedHashMap<>();
		for (AccelVsmmu v : vsmmus) {
			ns.computeIfAbsent(nk.get(v.id()), k -> AddressSpace.ram(sysmem.name() + "-" + serial++, sysmem.ramSections()));
		}
		int moved = 0;
		for (AccelVsmmu v : vsmmus) {
			AddressSpace as = ns.get(nk.get(v.id()));
			hostEvents.run();
			v.pollEvents();
			v.beginMove(as);
			try {
				for (Device d : devices.values()) {
					if (d.bus().vsmmu() == v) {
						d.vfio().moveTo(as, v.liveSwitch(d.bus().number(), d.devfn()));
						moved++;
					}
				}
			} finally {
				vfio.quiesce();
				hostEvents.run();
				v.pollEvents();
				v.finishMove();
			}
		}
		vfio.collect();
		spaces = ns;
		keyOf = nk;
		return moved;
	}

	private static boolean samePartition(Map<String, String> a, Map<String, String> b) {
		for (String x : a.keySet()) {
			for (String y : a.keySet()) {
				if (a.get(x).equals(a.get(y)) != b.get(x).equals(b.get(y))) {
					return false;
				}
			}
		}
		return true;
	}

	/** QEMU's {@code address_space_memory}: what a device with no vIOMMU above it gets (RAM, another AddressSpace). */
	public AddressSpace memoryAddressSpace() {
		return memory;
	}

	/** {@code -device pxb-pcie,id=ID,bus_nr=N,bus=pcie.0}. */
	public Bus addPxb(String id, int busNr) {
		if (buses.containsKey(id) || busNr <= 0 || busNr > 0xff || buses.values().stream().anyMatch(b -> b.number() == busNr)) {
			throw new IllegalArgumentException("bad pxb-pcie " + id + " bus_nr " + busNr);
		}
		Bus b = new Bus(id, busNr, null, "pcie.0");
		buses.put(id, b);
		return b;
	}

	/**
	 * {@code -device pcie-root-port,id=ID,bus=PARENT}: its secondary bus numbered {@code secondaryNumber}
	 * (as firmware enumerates it) sits behind the vSMMU of its parent bus, decided now as QEMU does.
	 */
	public Bus addRootPort(String id, String parentBus, int secondaryNumber) {
		Bus p = buses.get(parentBus);
		if (p == null || buses.containsKey(id) || secondaryNumber <= 0 || secondaryNumber > 0xff) {
			throw new IllegalArgumentException("bad pcie-root-port " + id + " on " + parentBus);
		}
		Bus b = new Bus(id, secondaryNumber, p.vsmmu(), p.id());
		buses.put(id, b);
		return b;
	}

	/** The buses: pcie.0, then pxb-pcie and root-port buses in creation order. */
	public List<Bus> buses() {
		return List.copyOf(buses.values());
	}

	/** {@code -device arm-smmuv3,primary-bus=BUS,id=ID,accel=on,...}: on the platform bus in creation order. */
	public AccelVsmmu addVsmmu(String id, String primaryBus, AccelVsmmu.Properties props) {
		Bus b = buses.get(primaryBus);
		if (b == null) {
			throw new IllegalArgumentException("no bus " + primaryBus);
		}
		// A second arm-smmuv3 on the same primary bus is accepted as QEMU accepts it: pci_setup_iommu_per_bus
		// overwrites the bus's IOMMU ops, so the later vSMMU serves every device of the bus and the earlier
		// one stays with none (the guest still probes it).
		String key = keys.apply(name, id);
		AddressSpace as = spaces.get(key);
		if (as == null) {
			as = serial == 0 ? sysmem : AddressSpace.ram(sysmem.name() + "-" + serial, sysmem.ramSections());
			serial++;
			spaces.put(key, as);
		}
		AccelVsmmu v = new AccelVsmmu(id, VirtMemoryMap.smmuMmio(vsmmus.size()), props, ram.memory(), as, iommufd, scratch);
		keyOf.put(id, key);
		vsmmus.add(v);
		buses.put(primaryBus, new Bus(b.id(), b.number(), v, b.parent()));
		if (booted) {
			GuestSmmu g = kernel.probe(id, v.smmu());
			kernel.addRmr(g, VirtMemoryMap.RMR_BASE, VirtMemoryMap.RMR_SIZE);
			guestSmmus.put(id, g);
		}
		return v;
	}

	public List<AccelVsmmu> vsmmus() {
		return List.copyOf(vsmmus);
	}

	public AccelVsmmu vsmmu(String id) {
		for (AccelVsmmu v : vsmmus) {
			if (v.id().equals(id)) {
				return v;
			}
		}
		throw new IllegalArgumentException("no vSMMU " + id);
	}

	/**
	 * {@code -device vfio-pci,host=BDF,iommufd=...,bus=BUS,addr=devfn,id=ID} (or device_add): the
	 * vSMMU's supports_address_space check, then vfio-pci realize on the AddressSpace it gives. After
	 * boot the guest attaches the device to a DMA domain at once. On a bus without a vSMMU the device
	 * gets {@link #memoryAddressSpace()} and DMAs to guest physical addresses.
	 *
	 * @throws smmu.vfio.VfioException QEMU's error; nothing is left plugged
	 */
	public Device plug(String id, String hostBdf, String bus, int devfn) {
		Bus b = buses.get(bus);
		if (b == null || devices.containsKey(id) || devfn < 0 || devfn > 0xff) {
			throw new IllegalArgumentException("cannot plug " + id + " on " + bus + " devfn " + devfn);
		}
		for (Device d : devices.values()) {
			if (d.bus().number() == b.number() && d.devfn() == devfn) {
				throw new IllegalArgumentException(String.format("devfn 0x%x on %s is taken by %s", devfn, bus, d.id()));
			}
		}
		PciIommuOps ops = b.vsmmu();
		VfioPciDevice dev = vfio.open(hostBdf);
		if (ops == null) {
			dev.realize(memory, null, b.number(), devfn);
		} else {
			ops.supportsAddressSpace(b.number(), devfn, PciIommuOps.DeviceKind.VFIO_IOMMUFD);
			dev.realize(ops.getAddressSpace(b.number(), devfn), ops, b.number(), devfn);
		}
		Device d = new Device(id, dev, b, devfn);
		devices.put(id, d);
		if (booted && ops != null) {
			guestDevices.put(id, kernel.attach(guestSmmus.get(b.vsmmu().id()), d.vsid()));
		}
		return d;
	}

	/**
	 * device_del: the guest detaches the device (blocking STE; skipped when the guest's driver cannot
	 * reach its vSMMU any more, or the guest broke its own state), then vfio-pci unrealize.
	 */
	public void unplug(String id) {
		Device d = device(id);
		GuestDevice g = guestDevices.remove(id);
		if (g != null) {
			try {
				kernel.detach(g);
			} catch (DriverException e) {
				// the guest's driver cannot reach its vSMMU (reset or disabled): the unplug goes on
			} catch (RuntimeException e) {
				// the guest wrote garbage into its own structures or its vSMMU's registers (its page-table
				// walk leaves RAM or frees pages that are not its own, its driver finds its queue disabled):
				// the guest kernel oopses, and removing the device from the VM does not depend on the guest
			}
		}
		d.vfio().unrealize();
		devices.remove(id);
	}

	public Device device(String id) {
		Device d = devices.get(id);
		if (d == null) {
			throw new IllegalArgumentException("no device " + id);
		}
		return d;
	}

	public List<Device> devices() {
		return List.copyOf(devices.values());
	}

	/** Boots the guest: its kernel probes every vSMMU, then attaches every device to a DMA domain. */
	public void boot() {
		if (booted) {
			throw new IllegalStateException(name + " is running");
		}
		for (AccelVsmmu v : vsmmus) {
			GuestSmmu g = kernel.probe(v.id(), v.smmu());
			// QEMU's build_iort_rmr_nodes: one RMR per accel vSMMU, the SW MSI window identity-mapped
			kernel.addRmr(g, VirtMemoryMap.RMR_BASE, VirtMemoryMap.RMR_SIZE);
			guestSmmus.put(v.id(), g);
		}
		for (Device d : devices.values()) {
			if (d.bus().vsmmu() == null) {
				continue;
			}
			guestDevices.put(d.id(), kernel.attach(guestSmmus.get(d.bus().vsmmu().id()), d.vsid()));
		}
		booted = true;
	}

	public boolean booted() {
		return booted;
	}

	/** The guest's view of a device (its DMA domain), or null before boot. */
	public GuestDevice guestDevice(String id) {
		return guestDevices.get(id);
	}

	/** The guest kernel allocates and maps a DMA buffer for the device. */
	public DmaBuffer dmaMap(String device, long size) {
		return kernel.dmaMap(guest(device), size);
	}

	/** The guest kernel unmaps a buffer (TLBI_NH_VA + CMD_SYNC on the vSMMU). */
	public long dmaUnmap(String device, DmaBuffer buffer) {
		return kernel.dmaUnmap(guest(device), buffer.iova(), buffer.size());
	}

	private GuestDevice guest(String device) {
		GuestDevice g = guestDevices.get(device);
		if (g == null) {
			throw new IllegalStateException("device " + device + " is not attached by the guest");
		}
		return g;
	}

	public DmaResult dmaWrite(String device, long iova, byte[] data) {
		return device(device).vfio().dmaWrite(iova, data);
	}

	public DmaResult dmaRead(String device, long iova, byte[] data) {
		return device(device).vfio().dmaRead(iova, data);
	}

	/** The MSI doorbell GPA KVM routes the device's MSIs to (the vSMMU's msi-gpa). */
	public long msiRoute(String device) {
		Device d = device(device);
		if (d.bus().vsmmu() == null) {
			throw new IllegalArgumentException(device + " has no vIOMMU: its MSI address is the guest's own");
		}
		return d.bus().vsmmu().msiDirectGpa(d.bus().number(), d.devfn());
	}

	/**
	 * The guest physical doorbell of this VM's virtual MSI controller (KVM's vITS GITS_TRANSLATER
	 * 0x8090040 with a GICv3 ITS, the GICv2m SETSPI 0x8020040 otherwise): where a route must point for
	 * KVM to inject the interrupt.
	 */
	public void virtualMsiDoorbell(long gpa) {
		vgicDoorbell = gpa;
	}

	public long virtualMsiDoorbell() {
		return vgicDoorbell;
	}

	/** KVM's MSI routes: device -> vector -> {guest address, route address, data, host address}. */
	private final Map<String, Map<Integer, long[]>> routes = new LinkedHashMap<>();
	private long vgicDoorbell = VirtMemoryMap.GITS_TRANSLATER;
	private volatile MsiDesign msiDesign = MsiDesign.DIRECT_GPA;
	private long msiRoutesSetUp, vmmMsiWalks, vmmMsiWalkReads;

	/** Switches the MSI route design; routes set up before keep their address until set up again. */
	public void msiDesign(MsiDesign design) {
		msiDesign = design;
	}

	public MsiDesign msiDesign() {
		return msiDesign;
	}

	/** Software stage-1 walks the VMM did for MSI routes, and the descriptors they read. */
	public synchronized long[] vmmMsiWalks() {
		return new long[] { vmmMsiWalks, vmmMsiWalkReads };
	}

	/** The design now, the routes set up, the VMM's walks for them and the descriptors those read. */
	public synchronized smmu.accel.MsiRouteCost msiRouteCost() {
		return new smmu.accel.MsiRouteCost(msiDesign, msiRoutesSetUp, vmmMsiWalks, vmmMsiWalkReads);
	}

	/**
	 * The guest requests MSI-X vector {@code vector} of {@code device}, as the three parties do it: the
	 * guest's iommu-dma maps its vITS doorbell page in the device's stage-1 domain and writes the message
	 * (that IOVA, the vector) into the MSI-X table; QEMU's vfio-pci traps the write and adds a KVM route
	 * whose address {@code kvm_arch_fixup_msi_route} replaces with the vSMMU's msi-gpa
	 * ({@code get_msi_direct_gpa}); then VFIO_DEVICE_SET_IRQS with the route's irqfd makes the host map its
	 * physical doorbell at the SW MSI window of the nest parent and program the device.
	 *
	 * @return {guest address, route address, data, host address}
	 */
	public long[] msiEnable(String device, int vector) {
		Device d = device(device);
		GuestDevice g = guest(device);
		AccelVsmmu v = d.bus().vsmmu();
		long[] msg = kernel.msiCompose(g, vector, vgicDoorbell);
		long route;
		if (msiDesign == MsiDesign.DIRECT_GPA) {
			route = v.msiDirectGpa(d.bus().number(), d.devfn());
		} else {
			// kvm_arch_fixup_msi_route through the IOMMU AddressSpace: the vSMMU's emulation walks the guest's stage 1
			smmu.hw.Walk w = v.smmu().walk(smmu.hw.TranslationRequest.write(d.vsid(), msg[0]));
			synchronized (this) {
				vmmMsiWalks++;
				vmmMsiWalkReads += w.steps().size();
			}
			if (!(w.result() instanceof smmu.hw.TranslationResult.Translated t)) {
				throw new IllegalStateException(String.format("%s: MSI IOVA 0x%x does not translate through %s's stage 1: %s", device, msg[0],
						v.id(), w.result()));
			}
			route = t.pa();
		}
		long host = d.vfio().enableMsi(vector, new MsiController.Target(name + "/" + device, vector));
		synchronized (this) {
			msiRoutesSetUp++;
		}
		long[] r = { msg[0], route, msg[1], host };
		routes.computeIfAbsent(device, k -> new LinkedHashMap<>()).put(vector, r);
		return r.clone();
	}

	/**
	 * The device raises MSI-X vector {@code vector} (enabled first if the guest has not yet): the
	 * physical write goes through the physical SMMU's nested translation (guest stage 1, where the IORT
	 * RMR keeps the SW MSI window identity-mapped, then the nest parent's stage 2, where the host mapped
	 * its doorbell); the host MSI controller delivers it to the vector's irqfd, and KVM injects it through
	 * the route if the route points at this VM's virtual doorbell.
	 */
	public Msi msi(String device, int vector) {
		Device d = device(device);
		long[] r = routes.getOrDefault(device, Map.of()).get(vector);
		int tr = 1;
		if (r == null) {
			r = msiEnable(device, vector);
			// the VMM's software walk that set the route up (seed 003's alternative design)
			tr += msiDesign == MsiDesign.TRANSLATE_STAGE1 ? 1 : 0;
		}
		MsiResult m = d.vfio().raiseMsi(vector);
		if (m.fault() != null) {
			return new Msi(device, vector, r[0], r[1], r[3], -1, m.fault().event(), null, m.fault().reason(), tr);
		}
		if (m.delivery() == null) {
			return new Msi(device, vector, r[0], r[1], r[3], m.pa(), null, null,
					String.format("the write reached 0x%x, not the host's MSI doorbell", m.pa()), tr);
		}
		if (m.delivery().target() == null) {
			return new Msi(device, vector, r[0], r[1], r[3], m.pa(), null, null, "the host MSI controller has no mapping for it", tr);
		}
		// irqfd -> KVM's MSI route -> the VM's vITS
		if (r[1] != vgicDoorbell) {
			return new Msi(device, vector, r[0], r[1], r[3], m.pa(), null, null,
					String.format("KVM's route points at 0x%x, not the VM's MSI doorbell 0x%x", r[1], vgicDoorbell), tr);
		}
		kernel.interrupt(guest(device), (int) r[2]);
		return new Msi(device, vector, r[0], r[1], r[3], m.pa(), null, name + ":" + r[2], null, tr);
	}

	/** MSI routes set up so far: device -> vectors. */
	public Map<String, List<Integer>> msiRoutes() {
		Map<String, List<Integer>> out = new LinkedHashMap<>();
		routes.forEach((k, v) -> out.put(k, List.copyOf(v.keySet())));
		return out;
	}

	/**
	 * The guest's event queue of a vSMMU after the host has delivered its events: the vEVENTQ is read
	 * into the guest's queue, then the guest's driver drains it.
	 */
	public List<Event> guestEvents(String vsmmu) {
		hostEvents.run();
		AccelVsmmu v = vsmmu(vsmmu);
		v.pollEvents();
		GuestSmmu g = guestSmmus.get(vsmmu);
		if (g == null) {
			throw new IllegalStateException(name + " has not booted");
		}
		return kernel.events(g);
	}

	/** Unplugs every device, closes the iommufd and frees the VMM's memory. */
	@Override
	public void close() {
		for (String id : new ArrayList<>(devices.keySet())) {
			unplug(id);
		}
		iommufd.close();
		mm.unmap(SCRATCH_VA, VmmAddressSpace.PAGE_SIZE);
		userPages.free(scratchPa, VmmAddressSpace.PAGE_SIZE);
		ram.release();
	}

	@Override
	public String toString() {
		return "Vm[" + name + " " + ram + ", " + vsmmus.size() + " vSMMUs, " + devices.size() + " devices]";
	}
}
