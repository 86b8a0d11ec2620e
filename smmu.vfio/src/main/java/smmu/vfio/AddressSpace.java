package smmu.vfio;

import java.util.List;

/**
 * A QEMU AddressSpace as VFIO's memory listener sees it. Identity matters: devices realized on the
 * same instance share one VFIOAddressSpace, container and IOAS (equality is identity). It is either
 * RAM ({@link #ram}: sections mapped with IOVA = guest physical address) or the output of an IOMMU
 * memory region ({@link #iommu}: the vIOMMU's mappings are shadowed through notifiers, their
 * translated addresses resolved in a RAM AddressSpace).
 */
public final class AddressSpace {

	/** What backs a RAM-like section ({@code memory_region_is_ram} holds for each). */
	public enum Kind {
		/** guest RAM */
		RAM,
		/** a ROM ({@code memory_region_init_rom}: a PCI option ROM, a firmware blob), always read-only */
		ROM,
		/** an mmap of a device's MMIO ({@code memory_region_init_ram_device_ptr}: a vfio-pci BAR); a failed map is only reported */
		RAM_DEVICE
	}

	/**
	 * A RAM-like section: guest physical [gpa, gpa + size) backed by the VMM's memory at userVa.
	 *
	 * @param readOnly mapped without IOMMU_IOAS_MAP WRITEABLE
	 * @param kind what backs it
	 */
	public record RamSection(long gpa, long size, long userVa, boolean readOnly, Kind kind) {
		public RamSection {
			if (kind == null) {
				throw new IllegalArgumentException("kind");
			}
			readOnly |= kind == Kind.ROM;
		}

		/** Guest RAM. */
		public RamSection(long gpa, long size, long userVa, boolean readOnly) {
			this(gpa, size, userVa, readOnly, Kind.RAM);
		}

		/** The VMM address of guest physical {@code gpa} if it lies in this section, else -1. */
		public long userVa(long addr) {
			return addr - gpa >= 0 && addr - gpa < size && addr >= gpa ? userVa + (addr - gpa) : -1;
		}
	}

	/**
	 * An IOTLB entry of a notification ({@code IOMMUTLBEntry} with its event type).
	 *
	 * @param iova first input address, aligned to {@code addrMask + 1}
	 * @param translatedAddr output (guest physical) address for MAP, ignored for UNMAP
	 * @param addrMask size - 1, a power of two minus one
	 * @param writable the mapping allows writes (IOMMU_RW rather than IOMMU_RO)
	 * @param map a MAP notification (else UNMAP)
	 */
	public record IotlbEvent(long iova, long translatedAddr, long addrMask, boolean writable, boolean map) {}

	/** A listener of an IOMMU region ({@code IOMMUNotifier} for IOMMU_NOTIFIER_IOTLB_EVENTS). */
	@FunctionalInterface
	public interface IommuNotifier {
		void notify(IotlbEvent event);
	}

	/** The IOMMU memory region behind an {@link #iommu} AddressSpace: the vIOMMU's side. */
	public interface IommuRegion {
		/**
		 * {@code memory_region_register_iommu_notifier} for MAP and UNMAP events.
		 *
		 * @param device the PCI function on whose behalf (bus, devfn), for messages
		 * @throws VfioException the vIOMMU's refusal (QEMU's SMMUv3 refuses MAP notifiers)
		 */
		void registerNotifier(IommuNotifier notifier, int bus, int devfn);

		void unregisterNotifier(IommuNotifier notifier);

		/** {@code memory_region_iommu_replay}: MAP notifications for every mapping present now. */
		void replay(IommuNotifier notifier);
	}

	private final String name;
	private final List<RamSection> ram;
	private final IommuRegion iommu;
	private final AddressSpace target;

	private AddressSpace(String name, List<RamSection> ram, IommuRegion iommu, AddressSpace target) {
		this.name = name;
		this.ram = ram;
		this.iommu = iommu;
		this.target = target;
	}

	/** An AddressSpace of RAM sections. */
	public static AddressSpace ram(String name, List<RamSection> sections) {
		return new AddressSpace(name, List.copyOf(sections), null, null);
	}

	/** The AddressSpace of an IOMMU region whose outputs are addresses of the RAM AddressSpace {@code target}. */
	public static AddressSpace iommu(String name, IommuRegion region, AddressSpace target) {
		if (target.isIommu()) {
			throw new IllegalArgumentException("the target of an IOMMU region must be RAM");
		}
		return new AddressSpace(name, List.of(), region, target);
	}

	public String name() {
		return name;
	}

	public boolean isIommu() {
		return iommu != null;
	}

	/** The RAM sections (empty for an IOMMU AddressSpace). */
	public List<RamSection> ramSections() {
		return ram;
	}

	/** The IOMMU region, or null. */
	public IommuRegion iommuRegion() {
		return iommu;
	}

	/** Where an IOMMU region's outputs go, or null. */
	public AddressSpace target() {
		return target;
	}

	/** The VMM address of RAM at guest physical {@code gpa}, or -1 when no RAM section holds it. */
	public long userVa(long gpa) {
		for (RamSection s : ram) {
			long va = s.userVa(gpa);
			if (va != -1) {
				return va;
			}
		}
		return -1;
	}

	/** Whether a RAM section holding {@code gpa} is read-only. */
	public boolean readOnly(long gpa) {
		for (RamSection s : ram) {
			if (s.userVa(gpa) != -1) {
				return s.readOnly();
			}
		}
		return false;
	}

	@Override
	public String toString() {
		return "AddressSpace[" + name + (iommu != null ? " iommu" : " ram " + ram.size() + " sections") + "]";
	}
}
