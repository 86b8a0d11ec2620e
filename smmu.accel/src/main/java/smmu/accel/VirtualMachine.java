package smmu.accel;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import smmu.hw.Event;
import smmu.iommufd.IommufdContext;

/**
 * One VM: QEMU (the VMM) with its accel vSMMUs and vfio-pci devices, and the guest kernel. Failures are
 * {@link VmException}s (QEMU's text where QEMU has one). Thread-safe: the operations on one VM run one at a
 * time.
 */
@ProviderType
public interface VirtualMachine {
	/** Whether the guest kernel runs. */
	enum State {
		CREATED, RUNNING
	}

	String name();

	State state();

	/** The QEMU options the VM was built from, with the devices added since (the unplugged ones removed). */
	String commandLine();

	Topology topology();

	/**
	 * {@code -device OPTION} before boot (pxb-pcie, pcie-root-port, arm-smmuv3, vfio-pci), QEMU's
	 * {@code device_add} after it (vfio-pci only: the guest attaches it at once).
	 *
	 * @return the device's id
	 */
	String addDevice(String deviceOption);

	/** {@code device_del} of a vfio-pci device: the guest detaches it, then VFIO unrealizes it. */
	void unplug(String deviceId);

	/** The guest kernel boots: it probes every vSMMU and attaches every device to a stage-1 DMA domain. */
	void boot();

	/** The guest kernel allocates a buffer in guest RAM and maps it for the device. */
	GuestBuffer guestMap(String deviceId, long size);

	/**
	 * The guest kernel unmaps [iova, iova + size) of the device's domain and invalidates its vSMMU's TLB.
	 *
	 * @return the bytes unmapped
	 */
	long guestUnmap(String deviceId, long iova, long size);

	/** The device writes {@code data} at {@code iova} through its physical SMMU. */
	Dma dmaWrite(String deviceId, long iova, byte[] data);

	/** The device reads {@code length} bytes at {@code iova}. */
	Dma dmaRead(String deviceId, long iova, int length);

	/**
	 * The device raises MSI-X vector {@code vector} (the guest driver requests it on first use): a real
	 * write of the host-programmed message through the physical SMMU's nested translation, ending as an
	 * interrupt delivered to this VM's vector, or as the architecture's fault event when the chain is
	 * broken.
	 */
	Msi msi(String deviceId, int vector);

	/** The MSI-X vectors of the device the guest has requested so far. */
	List<Integer> msiVectors(String deviceId);

	/** How KVM's MSI routes get their address ({@link MsiDesign#DIRECT_GPA} unless switched). */
	MsiDesign msiDesign();

	/**
	 * Switches the MSI route design. Routes set up before keep their address; the vectors the guest
	 * requests afterwards get routes of the new design.
	 */
	void msiDesign(MsiDesign design);

	/** What the VM's MSI routes cost its VMM so far. */
	MsiRouteCost msiRouteCost();

	/**
	 * The guest's event records of a vSMMU not read before (the host delivers its events first): the
	 * StreamID of each is the vSID.
	 */
	List<Event> guestEvents(String vsmmuId);

	/**
	 * The VMM's iommufd context, for inspection and measurement (its object graph, page-table bytes and
	 * IOTLB tags; the cost report's probes). The VM owns its objects: callers must not destroy them.
	 */
	IommufdContext iommufd();

	/** The data of {@code length} bytes of guest RAM at {@code gpa}, as the guest reads it. */
	byte[] readGuest(long gpa, int length);
}
