package smmu.accel.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A validated QEMU {@code virt} VM: what {@link VmConfigParser} accepted, with the values QEMU and the
 * guest firmware derive from it (GIC version, MSI doorbell, platform-bus slots and SPIs of the vSMMUs,
 * guest bus numbers, the vSMMU each PCI device sits behind).
 *
 * @param machine      the {@code -machine} settings
 * @param accel        the accelerator
 * @param memory       the {@code -m} settings
 * @param otherOptions options kept verbatim and printed back (e.g. {@code -cpu}, {@code -bios}), in input order
 * @param iommufds     the {@code -object iommufd} backends, in input order
 * @param devices      every {@code -device}, in creation (command-line) order
 * @param buses        every PCI bus: pcie.0 first, then the buses of pxb-pcie and root ports in creation order
 * @param warnings     what QEMU would print as warnings, plus the model's own notes prefixed {@code model: }
 *                     (a guest bus number claimed twice, e.g. root ports on pcie.0 running into a pxb's bus_nr)
 */
public record VmDescription(Machine machine, Accel accel, Memory memory, List<Option> otherOptions,
		List<Iommufd> iommufds, List<Device> devices, List<Bus> buses, List<String> warnings) {

	/** VIRT_PLATFORM_BUS base; user-created SMMUs take 0x20000 slots from here in creation order. */
	public static final long PLATFORM_BUS_BASE = 0x0c000000L;
	public static final long SMMU_MMIO_SIZE = 0x20000L;
	/** First SPI of the platform bus (64 SPIs); each SMMU takes 4. GSIV in IORT = SPI + 32. */
	public static final int PLATFORM_BUS_FIRST_SPI = 112;
	public static final int PLATFORM_BUS_SPIS = 64;
	/** {@code ssidsize=auto} / {@code oas=auto}. */
	public static final int AUTO = -1;
	/** GITS_TRANSLATER of the virt ITS (0x08080000 + 0x10000 + 0x40). */
	public static final long ITS_DOORBELL = 0x08090040L;
	/** MSI_SETSPI_NS of the virt GICv2m (0x08020000 + 0x40). */
	public static final long GICV2M_DOORBELL = 0x08020040L;

	public VmDescription {
		otherOptions = List.copyOf(otherOptions);
		iommufds = List.copyOf(iommufds);
		devices = List.copyOf(devices);
		buses = List.copyOf(buses);
		warnings = List.copyOf(warnings);
	}

	/** An option kept verbatim: name without the dash, value null for a flag. */
	public record Option(String name, String value) {
	}

	/**
	 * The machine.
	 *
	 * @param type          {@code virt} or a versioned {@code virt-X.Y}
	 * @param props         the explicit properties as given (normalised), printed back
	 * @param gicVersion    the finalised GIC version (2, 3 or 4)
	 * @param legacySmmuv3  {@code iommu=smmuv3}: the machine-wide SMMUv3 at 0x09050000
	 * @param acpi          the {@code acpi} setting (auto means on for virt)
	 * @param its           the {@code its} setting
	 * @param defaultBusBypassIommu pcie.0's {@code bypass_iommu}
	 * @param firmwareLoaded whether the guest boots through firmware (UEFI, ACPI tables) rather than a DT kernel
	 */
	public record Machine(String type, Map<String, String> props, int gicVersion, boolean legacySmmuv3,
			OnOffAuto acpi, boolean its, boolean defaultBusBypassIommu, boolean firmwareLoaded) {
		public Machine {
			props = Collections.unmodifiableMap(new LinkedHashMap<>(props));
		}

		public boolean acpiEnabled() {
			return acpi != OnOffAuto.OFF;
		}

		/** The MSI doorbell virt.c gives accel SMMUs as {@code msi-gpa}: ITS, else GICv2m, else 0. */
		public long msiDoorbell() {
			if (gicVersion >= 3)
				return its ? ITS_DOORBELL : 0;
			return GICV2M_DOORBELL;
		}
	}

	/**
	 * The accelerator.
	 *
	 * @param type          {@code kvm} or {@code tcg}
	 * @param kernelIrqchip {@code on}, {@code off} or {@code split} as given, null when not given (on)
	 * @param props         other explicit accelerator properties
	 */
	public record Accel(String type, String kernelIrqchip, Map<String, String> props) {
		public Accel {
			props = Collections.unmodifiableMap(new LinkedHashMap<>(props));
		}

		public boolean kvm() {
			return "kvm".equals(type);
		}

		/** kvm_irqchip_in_kernel(). */
		public boolean irqchipInKernel() {
			return kvm() && !"off".equals(kernelIrqchip);
		}
	}

	/** Guest RAM: {@code size} in bytes, and any other {@code -m} properties (slots, maxmem). */
	public record Memory(long size, Map<String, String> props) {
		public Memory {
			props = Collections.unmodifiableMap(new LinkedHashMap<>(props));
		}
	}

	/** An {@code -object iommufd} backend. */
	public record Iommufd(String id, Map<String, String> props) {
		public Iommufd {
			props = Collections.unmodifiableMap(new LinkedHashMap<>(props));
		}
	}

	/** What kind of PCI bus. */
	public enum BusKind {
		/** pcie.0, the GPEX root bus. */
		ROOT,
		/** The root bus of a pxb-pcie (an extra root complex). */
		PXB_ROOT,
		/** The secondary bus of a pcie-root-port. */
		ROOT_PORT
	}

	/**
	 * A PCI bus.
	 *
	 * @param name        QEMU's bus name (the bridge's id)
	 * @param number      the guest bus number
	 * @param parentBus   the bus the bridge sits on, null for pcie.0
	 * @param bridge      the index in {@link #devices()} of the bridge, -1 for pcie.0
	 * @param bypassIommu the root complex's {@code bypass_iommu}
	 * @param smmu        the index in {@link #vsmmus()} of the user-created SMMU whose primary bus this is, or -1
	 */
	public record Bus(String name, BusKind kind, int number, String parentBus, int bridge, boolean bypassIommu,
			int smmu) {
	}

	/** A {@code -device}. {@code props} holds the explicit properties besides id and bus, normalised, canonical order. */
	public sealed interface Device permits PciDevice, Smmuv3 {
		String type();

		/** The id, or null. */
		String id();

		Map<String, String> props();
	}

	/** A device on a PCI bus. */
	public sealed interface PciDevice extends Device permits PxbPcie, RootPort, VfioPci, EmulatedPci {
		String bus();

		int busNumber();

		int devfn();

		/** Index in {@link VmDescription#vsmmus()} of the user-created vSMMU the device sits behind, or -1. */
		int smmu();

		/** Whether the device sits behind the machine-wide {@code iommu=smmuv3}. */
		boolean legacySmmu();

		/** The requester ID: bus number and devfn, the StreamID (vSID) the vSMMU sees. */
		default int bdf() {
			return busNumber() << 8 | devfn();
		}

		/** {@code BB:DD.F}, as the guest's lspci prints it. */
		default String guestBdf() {
			return String.format("%02x:%02x.%x", busNumber(), devfn() >> 3, devfn() & 7);
		}
	}

	/** A pxb-pcie extra root complex; its root bus is named after its id and numbered {@code busNr}. */
	public record PxbPcie(String id, String bus, int busNumber, int devfn, int busNr, String secondaryBus,
			boolean bypassIommu, int smmu, boolean legacySmmu, Map<String, String> props) implements PciDevice {
		public PxbPcie {
			props = Collections.unmodifiableMap(new LinkedHashMap<>(props));
		}

		@Override
		public String type() {
			return "pxb-pcie";
		}
	}

	/** A pcie-root-port; {@code secondaryNumber} is the bus number firmware gives its secondary bus. */
	public record RootPort(String id, String bus, int busNumber, int devfn, int chassis, int slot,
			String secondaryBus, int secondaryNumber, int smmu, boolean legacySmmu, Map<String, String> props)
			implements PciDevice {
		public RootPort {
			props = Collections.unmodifiableMap(new LinkedHashMap<>(props));
		}

		@Override
		public String type() {
			return "pcie-root-port";
		}
	}

	/** A vfio-pci passthrough device: {@code host} is the host BDF as given, {@code iommufd} the backend id or null. */
	public record VfioPci(String id, String bus, int busNumber, int devfn, String host, String iommufd, int smmu,
			boolean legacySmmu, Map<String, String> props) implements PciDevice {
		public VfioPci {
			props = Collections.unmodifiableMap(new LinkedHashMap<>(props));
		}

		@Override
		public String type() {
			return "vfio-pci";
		}
	}

	/** An emulated PCI endpoint (virtio-net-pci, e1000e, ...). */
	public record EmulatedPci(String type, String id, String bus, int busNumber, int devfn, int smmu,
			boolean legacySmmu, Map<String, String> props) implements PciDevice {
		public EmulatedPci {
			props = Collections.unmodifiableMap(new LinkedHashMap<>(props));
		}
	}

	/**
	 * A user-created {@code arm-smmuv3}, with the settings that shape its ID registers after N's rules.
	 *
	 * @param index      creation order among user-created SMMUs = platform-bus slot
	 * @param stage      the {@code stage} property as given, or null (stage 1)
	 * @param ril        IDR3.RIL: ON, OFF, or AUTO (taken from the host at the first cold-plugged device)
	 * @param ats        IDR0.ATS: ON, OFF or AUTO
	 * @param ssidsize   IDR1.SSIDSIZE 0..20, or {@link VmDescription#AUTO}
	 * @param oas        44 or 48 (IDR5.OAS 4 or 5)
	 * @param msiGpa     the MSI doorbell GPA (set by the machine when accel=on)
	 * @param mmioBase   the guest physical base of its 0x20000 register frame
	 * @param firstSpi   its first SPI: event, PRI, cmdq-sync, gerror are firstSpi..firstSpi+3
	 */
	public record Smmuv3(String id, int index, String primaryBus, boolean accel, String stage, OnOffAuto ril,
			OnOffAuto ats, int ssidsize, int oas, long msiGpa, long mmioBase, int firstSpi,
			Map<String, String> props) implements Device {
		public Smmuv3 {
			props = Collections.unmodifiableMap(new LinkedHashMap<>(props));
		}

		@Override
		public String type() {
			return "arm-smmuv3";
		}

		/** The IDR0.TTF-independent stage selection: "1", "2" or "nested" (anything else is stage 1). */
		public String effectiveStage() {
			return "2".equals(stage) || "nested".equals(stage) ? stage : "1";
		}

		public int eventqSpi() {
			return firstSpi;
		}

		public int priqSpi() {
			return firstSpi + 1;
		}

		public int cmdqSyncSpi() {
			return firstSpi + 2;
		}

		public int gerrorSpi() {
			return firstSpi + 3;
		}
	}

	/** The user-created SMMUs in creation order (index = platform-bus slot). */
	public List<Smmuv3> vsmmus() {
		List<Smmuv3> out = new ArrayList<>();
		for (Device d : devices)
			if (d instanceof Smmuv3 s)
				out.add(s);
		return out;
	}

	public List<VfioPci> vfioDevices() {
		List<VfioPci> out = new ArrayList<>();
		for (Device d : devices)
			if (d instanceof VfioPci v)
				out.add(v);
		return out;
	}

	public List<EmulatedPci> emulatedDevices() {
		List<EmulatedPci> out = new ArrayList<>();
		for (Device d : devices)
			if (d instanceof EmulatedPci e)
				out.add(e);
		return out;
	}

	public List<PxbPcie> pxbs() {
		List<PxbPcie> out = new ArrayList<>();
		for (Device d : devices)
			if (d instanceof PxbPcie p)
				out.add(p);
		return out;
	}

	public List<RootPort> rootPorts() {
		List<RootPort> out = new ArrayList<>();
		for (Device d : devices)
			if (d instanceof RootPort r)
				out.add(r);
		return out;
	}

	/** The device with this id. */
	public Optional<Device> device(String id) {
		for (Device d : devices)
			if (id.equals(d.id()))
				return Optional.of(d);
		return Optional.empty();
	}

	/** The first bus with this name (QEMU's qbus_find_recursive order). */
	public Optional<Bus> bus(String name) {
		for (Bus b : buses)
			if (b.name().equals(name))
				return Optional.of(b);
		return Optional.empty();
	}

	/** The user-created vSMMU a PCI device sits behind. */
	public Optional<Smmuv3> smmuOf(PciDevice d) {
		return d.smmu() < 0 ? Optional.empty() : Optional.of(vsmmus().get(d.smmu()));
	}

	/** The vfio-pci devices behind a vSMMU, in creation order. */
	public List<VfioPci> vfioBehind(Smmuv3 s) {
		List<VfioPci> out = new ArrayList<>();
		for (VfioPci v : vfioDevices())
			if (v.smmu() == s.index())
				out.add(v);
		return out;
	}

	/**
	 * The description as QEMU arguments in canonical order: -machine, -accel, -m, the kept options, the
	 * iommufd objects, then the devices in creation order (which fixes slots, SPIs and devfns).
	 */
	public List<String> toArgs() {
		List<String> a = new ArrayList<>();
		a.add("-machine");
		a.add(opts(machine.type(), null, machine.props()));
		a.add("-accel");
		Map<String, String> ap = new LinkedHashMap<>();
		if (accel.kernelIrqchip() != null)
			ap.put("kernel-irqchip", accel.kernelIrqchip());
		ap.putAll(accel.props());
		a.add(opts(accel.type(), null, ap));
		a.add("-m");
		if (memory.props().isEmpty()) {
			a.add(VmConfigParser.formatSize(memory.size()));
		} else {
			Map<String, String> mp = new LinkedHashMap<>();
			mp.put("size", VmConfigParser.formatSize(memory.size()));
			mp.putAll(memory.props());
			a.add(opts(null, null, mp));
		}
		for (Option o : otherOptions) {
			a.add("-" + o.name());
			if (o.value() != null)
				a.add(o.value());
		}
		for (Iommufd i : iommufds) {
			a.add("-object");
			a.add(opts("iommufd", i.id(), i.props()));
		}
		for (Device d : devices) {
			a.add("-device");
			Map<String, String> p = new LinkedHashMap<>();
			if (d instanceof PciDevice pd)
				p.put("bus", pd.bus());
			else if (d instanceof Smmuv3 s && s.primaryBus() != null)
				p.put("primary-bus", s.primaryBus());
			p.putAll(d.props());
			a.add(opts(d.type(), d.id(), p));
		}
		return a;
	}

	/** {@link #toArgs()} as one shell-quoted line, parseable by {@link VmConfigParser#parse(String)}. */
	public String toCommandLine() {
		StringBuilder sb = new StringBuilder();
		for (String s : toArgs()) {
			if (sb.length() > 0)
				sb.append(' ');
			sb.append(shellQuote(s));
		}
		return sb.toString();
	}

	private static String opts(String first, String id, Map<String, String> props) {
		StringBuilder sb = new StringBuilder();
		if (first != null)
			sb.append(escape(first));
		if (id != null)
			append(sb, "id", id);
		for (Map.Entry<String, String> e : props.entrySet())
			append(sb, e.getKey(), e.getValue());
		return sb.toString();
	}

	private static void append(StringBuilder sb, String k, String v) {
		if (sb.length() > 0)
			sb.append(',');
		sb.append(k).append('=').append(escape(v));
	}

	private static String escape(String v) {
		return v.replace(",", ",,");
	}

	static String shellQuote(String s) {
		if (!s.isEmpty() && s.matches("[A-Za-z0-9_.,=:/+@%^-]+"))
			return s;
		return "'" + s.replace("'", "'\\''") + "'";
	}
}
