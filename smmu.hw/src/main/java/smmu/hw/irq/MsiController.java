package smmu.hw.irq;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A host MSI controller. A GICv3 ITS has its translation register page (GITS_TRANSLATER at offset 0x40 of
 * the frame at ITS base + 64 KiB) and identifies the sender by the DeviceID the SMMU passes along with the
 * write (for PCIe behind an SMMU, the StreamID); the data is the EventID. A GICv2m frame has MSI_SETSPI_NS
 * at offset 0x40 and takes the SPI number as data, whoever writes it. Thread-safe.
 */
public final class MsiController {
	/** The interrupt controller's kind. */
	public enum Kind {
		/** GICv3 with an ITS (the default host). */
		GICV3_ITS("gicv3-its"),
		/** GICv2 with a GICv2m MSI frame. */
		GICV2M("gicv2m");

		private final String label;

		Kind(String label) {
			this.label = label;
		}

		public String label() {
			return label;
		}

		/** "gicv3-its" or "gicv2m". */
		public static Kind of(String label) {
			for (Kind k : values()) {
				if (k.label.equals(label)) {
					return k;
				}
			}
			throw new IllegalArgumentException("MSI controller '" + label + "': expected gicv3-its or gicv2m");
		}
	}

	/** Where an interrupt goes: a VM's vector (through VFIO's eventfd and KVM's irqfd route). */
	public record Target(String owner, int vector) {}

	/**
	 * One doorbell write and what became of it.
	 *
	 * @param deviceId the DeviceID (the requester's StreamID; -1 for GICv2m, which ignores it)
	 * @param data the 32-bit data written (EventID or SPI)
	 * @param target where it was delivered, or null when nothing was registered for it (dropped)
	 */
	public record Delivery(int deviceId, int data, Target target) {}

	/** GITS_TRANSLATER and MSI_SETSPI_NS sit at offset 0x40 of their 4 KiB page. */
	public static final long DOORBELL_OFFSET = 0x40;
	/** The ITS translation register frame follows the control frame. */
	public static final long ITS_TRANSLATION_FRAME = 0x1_0000;

	private final Kind kind;
	private final long base;
	private final Map<Long, Target> routes = new ConcurrentHashMap<>();
	private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

	/**
	 * @param kind the controller
	 * @param base the ITS base (GITS_CTLR) or the GICv2m frame base, 64 KiB aligned
	 */
	public MsiController(Kind kind, long base) {
		if ((base & 0xffff) != 0) {
			throw new IllegalArgumentException(String.format("MSI controller base 0x%x not 64 KiB aligned", base));
		}
		this.kind = kind;
		this.base = base;
	}

	public Kind kind() {
		return kind;
	}

	public long base() {
		return base;
	}

	/** The physical address a device must write: GITS_TRANSLATER or MSI_SETSPI_NS. */
	public long doorbell() {
		return doorbellPage() + DOORBELL_OFFSET;
	}

	/** The 4 KiB page holding the doorbell (what an IOMMU maps for MSIs). */
	public long doorbellPage() {
		return kind == Kind.GICV3_ITS ? base + ITS_TRANSLATION_FRAME : base;
	}

	/** Whether {@code pa} is the doorbell register. */
	public boolean isDoorbell(long pa) {
		return pa == doorbell();
	}

	/** Whether {@code pa} lies in the doorbell's page (MMIO: never RAM). */
	public boolean claims(long pa) {
		return (pa & ~0xfffL) == doorbellPage();
	}

	/**
	 * Registers a target: for an ITS the (DeviceID, EventID) pair (MAPD/MAPTI of the host's ITS driver), for
	 * a GICv2m the SPI ({@code deviceId} ignored).
	 */
	public void route(int deviceId, int data, Target target) {
		routes.put(key(deviceId, data), target);
	}

	/** Removes a registration. */
	public void unroute(int deviceId, int data) {
		routes.remove(key(deviceId, data));
	}

	/** The registered targets. */
	public Map<Long, Target> routes() {
		return Map.copyOf(routes);
	}

	/**
	 * A 32-bit write that reached the doorbell: delivered to the registered target, or dropped (a Delivery
	 * without target: the ITS finds no mapping and discards it, as the architecture says for an unmapped
	 * DeviceID/EventID).
	 */
	public Delivery write(int deviceId, int data) {
		Target t = routes.get(key(deviceId, data));
		Delivery d = new Delivery(kind == Kind.GICV3_ITS ? deviceId : -1, data, t);
		deliveries.add(d);
		return d;
	}

	/** Every doorbell write so far, in order. */
	public List<Delivery> deliveries() {
		return new ArrayList<>(deliveries);
	}

	private long key(int deviceId, int data) {
		return kind == Kind.GICV3_ITS ? (long) deviceId << 32 | Integer.toUnsignedLong(data) : Integer.toUnsignedLong(data);
	}

	@Override
	public String toString() {
		return String.format("%s@0x%x doorbell 0x%x", kind.label(), base, doorbell());
	}
}
