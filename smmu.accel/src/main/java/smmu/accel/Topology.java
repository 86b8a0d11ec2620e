package smmu.accel;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A VM's PCI tree and what backs it on the host.
 *
 * @param vm      the VM's name
 * @param state   created or running
 * @param ramSize guest RAM bytes
 * @param buses   pcie.0, then the pxb-pcie root buses and root-port buses in creation order
 * @param vsmmus  the accel vSMMUs in creation order (= platform-bus slot)
 * @param devices the vfio-pci devices in plug order
 */
public record Topology(String vm, VirtualMachine.State state, long ramSize, List<Bus> buses, List<Vsmmu> vsmmus,
		List<Device> devices) {
	public Topology {
		buses = List.copyOf(buses);
		vsmmus = List.copyOf(vsmmus);
		devices = List.copyOf(devices);
	}

	/**
	 * A PCI bus.
	 *
	 * @param id     QEMU's bus name
	 * @param kind   {@code root} (pcie.0), {@code pxb-pcie} or {@code root-port}
	 * @param number the guest bus number
	 * @param vsmmu  the vSMMU devices on it sit behind, or null
	 * @param parent the bus it hangs off ({@code pcie.0} for a pxb-pcie, the {@code bus=} of a root port), or
	 *               null for pcie.0
	 */
	public record Bus(String id, String kind, int number, String vsmmu, String parent) {
		/** A bus whose parent is not known (as before 1.3.0). */
		public Bus(String id, String kind, int number, String vsmmu) {
			this(id, kind, number, vsmmu, null);
		}
	}

	/**
	 * An accel vSMMU.
	 *
	 * @param id           its id
	 * @param primaryBus   the bus it translates for
	 * @param mmioBase     the guest physical base of its register frame
	 * @param firstSpi     its event queue SPI; PRI, cmdq-sync and gerror follow
	 * @param properties   the resolved properties (oas, ats, ril, ssidsize, msi-gpa)
	 * @param physicalSmmu the physical SMMU backing it (that of its first device), or null without devices
	 */
	public record Vsmmu(String id, String primaryBus, long mmioBase, int firstSpi, Map<String, String> properties,
			String physicalSmmu) {
		public Vsmmu {
			properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
		}
	}

	/**
	 * A vfio-pci device.
	 *
	 * @param id           its id
	 * @param bus          the bus it sits on
	 * @param guestBdf     {@code BB:DD.F} as the guest sees it
	 * @param vsid         the StreamID the vSMMU sees (the guest's requester ID)
	 * @param hostBdf      the host function passed through
	 * @param psid         its StreamID on the physical SMMU
	 * @param physicalSmmu the physical SMMU
	 * @param vsmmu        the vSMMU above it, or null (no vIOMMU: DMA to guest physical addresses)
	 */
	public record Device(String id, String bus, String guestBdf, int vsid, String hostBdf, int psid,
			String physicalSmmu, String vsmmu) {
	}
}
