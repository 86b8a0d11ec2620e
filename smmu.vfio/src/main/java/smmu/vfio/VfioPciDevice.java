package smmu.vfio;

import java.util.Arrays;

import smmu.hw.Event;
import smmu.hw.MemoryAbort;
import smmu.hw.PciEndpoint;
import smmu.hw.PhysicalMemory;
import smmu.hw.Smmu;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.irq.MsiController;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;

/**
 * A host PCI function opened as a VFIO cdev by QEMU's vfio-pci ({@code -device vfio-pci,host=BDF,
 * iommufd=...}). {@link #realize} runs the IOMMU part of {@code vfio_pci_realize}; the device's DMA
 * ({@link #dmaRead}, {@link #dmaWrite}, {@link #msiWrite}) goes through its physical SMMU with its
 * StreamID, whatever the software state. Thread-safe.
 */
public final class VfioPciDevice {
	private static final long PAGE = 4096;
	private final Vfio vfio;
	private final PciEndpoint endpoint;
	private final Smmu smmu;
	private final PhysicalMemory memory;
	private int devId;
	private HostIommuDevice hiod;
	private PciIommuOps ops;
	private int bus, devfn;
	/** Guarded by the Vfio lock. */
	Vfio.Container container;
	Vfio.Hwpt hwpt;
	/** MSI-X vector -> {address, data} the host programmed. */
	private final java.util.Map<Integer, long[]> msi = new java.util.TreeMap<>();

	VfioPciDevice(Vfio vfio, PciEndpoint endpoint, Smmu smmu) {
		this.vfio = vfio;
		this.endpoint = endpoint;
		this.smmu = smmu;
		this.memory = vfio.host().memory();
	}

	public String bdf() {
		return endpoint.bdf();
	}

	public PciEndpoint endpoint() {
		return endpoint;
	}

	/** The DEVICE id while bound, else 0. */
	public synchronized int devId() {
		return devId;
	}

	/** The host IOMMU device handed to the vIOMMU, or null when not realized. */
	public synchronized HostIommuDevice hostIommuDevice() {
		return hiod;
	}

	public synchronized boolean realized() {
		return hiod != null;
	}

	/**
	 * {@code vfio_pci_realize}'s IOMMU steps: VFIO_DEVICE_BIND_IOMMUFD; the VFIOAddressSpace of {@code as}
	 * and a container of it (an existing one whose HWPT the device can attach to, EINVAL meaning try the
	 * next, else a new IOAS with a HWPT_ALLOC, NEST_PARENT when {@code ops} wants nesting); the memory
	 * listener of a new container (RAM sections IOAS_MAPped at IOVA = GPA, or the IOMMU notifier and its
	 * replay); the HostIOMMUDevice from IOMMU_GET_HW_INFO; then {@code set_iommu_device}. Any failure
	 * undoes every step and throws with QEMU's message ({@code "vfio BDF: "} prefix; a vIOMMU refusal
	 * reads {@code "vfio BDF: Failed to set vIOMMU: ..."}).
	 *
	 * @param ops the vIOMMU's callbacks, or null for a device with no vIOMMU above it (QEMU's
	 *        {@code address_space_memory}: a plain paging HWPT, no {@code set_iommu_device})
	 * @param bus the bus number the device sits on
	 * @param devfn its devfn
	 */
	public synchronized void realize(AddressSpace as, PciIommuOps ops, int bus, int devfn) {
		if (devId != 0) {
			throw new IllegalStateException(bdf() + " is realized already");
		}
		IommufdContext ctx = vfio.iommufd();
		try {
			devId = ctx.bindDevice(bdf());
		} catch (IommufdException e) {
			throw new VfioException(prefix() + "error bind device to iommufd: " + e.getMessage(), e);
		}
		try {
			vfio.attach(this, as, ops, bus, devfn);
			HostIommuDevice h = new HostIommuDevice(bdf(), ctx, devId, hwpt.id, vfio.hwInfo(devId));
			try {
				if (ops != null) {
					ops.setIommuDevice(bus, devfn, h);
				}
			} catch (VfioException e) {
				throw e.prepend("Failed to set vIOMMU: ");
			}
			this.hiod = h;
			this.ops = ops;
			this.bus = bus;
			this.devfn = devfn;
		} catch (VfioException e) {
			vfio.detach(this);
			ctx.unbindDevice(devId);
			devId = 0;
			throw e.prepend(prefix());
		} catch (RuntimeException e) {
			vfio.detach(this);
			ctx.unbindDevice(devId);
			devId = 0;
			throw e;
		}
	}

	/**
	 * Moves the realized device live to AddressSpace {@code as} (a stage-2 policy change): see
	 * {@link Vfio#move}. Its {@link #hostIommuDevice()} then names the new stage-2 HWPT.
	 *
	 * @return the new stage-2 HWPT
	 */
	public synchronized int moveTo(AddressSpace as, Vfio.LiveSwitch sw) {
		if (hiod == null) {
			throw new IllegalStateException(bdf() + " is not realized");
		}
		int id = vfio.move(this, as, sw);
		hiod = new HostIommuDevice(hiod.bdf(), hiod.iommufd(), hiod.devId(), id, hiod.caps());
		return id;
	}

	/** The AddressSpace of the device's container, or null. */
	public AddressSpace addressSpace() {
		synchronized (vfio) {
			return container == null ? null : container.as;
		}
	}

	/** {@code vfio_exitfn} and teardown: unset_iommu_device, detach (HWPT and container put), unbind. */
	public synchronized void unrealize() {
		if (hiod == null) {
			return;
		}
		if (ops != null) {
			ops.unsetIommuDevice(bus, devfn);
		}
		for (Integer v : new java.util.ArrayList<>(msi.keySet())) {
			disableMsi(v);
		}
		vfio.detach(this);
		vfio.iommufd().unbindDevice(devId);
		devId = 0;
		hiod = null;
		ops = null;
	}

	/**
	 * VFIO_DEVICE_SET_IRQS for MSI-X vector {@code vector} with an eventfd the VMM wired to {@code target}
	 * (KVM's irqfd), as the host kernel handles it: vfio-pci requests the host interrupt; the ITS driver
	 * maps the device's (DeviceID = StreamID, EventID = vector) to it (a GICv2m takes SPI
	 * {@link #GICV2M_FIRST_SPI} + vector) and calls {@code iommu_dma_prepare_msi} with the doorbell's
	 * physical address, which for an iommufd-owned device maps the doorbell page at the SW MSI window
	 * of its domain ({@link IommufdContext#prepareMsi}); the device's MSI address is programmed with the
	 * IOVA that returns, its data with the EventID.
	 *
	 * @return the physical MSI address programmed
	 * @throws IommufdException from the SW MSI mapping (nothing programmed then)
	 */
	public synchronized long enableMsi(int vector, MsiController.Target target) {
		if (devId == 0) {
			throw new IllegalStateException(bdf() + " is not bound");
		}
		if (vector < 0 || vector > 2047) {
			throw new IllegalArgumentException("MSI-X vector " + vector + " out of 0..2047");
		}
		MsiController ic = vfio.host().msiController();
		int data = ic.kind() == MsiController.Kind.GICV3_ITS ? vector : GICV2M_FIRST_SPI + vector;
		long address = vfio.iommufd().prepareMsi(devId, ic.doorbell());
		ic.route(endpoint.sid(), data, target);
		msi.put(vector, new long[] { address, data });
		return address;
	}

	/** VFIO_DEVICE_SET_IRQS with no eventfd for the vector: the host interrupt is freed. */
	public synchronized void disableMsi(int vector) {
		long[] m = msi.remove(vector);
		if (m != null) {
			vfio.host().msiController().unroute(endpoint.sid(), (int) m[1]);
		}
	}

	/** The MSI address and data the host programmed for {@code vector}, or null. */
	public synchronized long[] msiMessage(int vector) {
		long[] m = msi.get(vector);
		return m == null ? null : m.clone();
	}

	/**
	 * The device raises MSI-X vector {@code vector}: a 32-bit write of the programmed data at the
	 * programmed address, through its SMMU with its StreamID like any DMA. A write the SMMU sends to the
	 * host MSI controller's doorbell is delivered (or dropped when nothing is registered for it); one
	 * that lands anywhere else is a plain memory write and no interrupt.
	 *
	 * @throws IllegalStateException when the vector was never enabled
	 */
	public MsiResult raiseMsi(int vector) {
		long[] m = msiMessage(vector);
		if (m == null) {
			throw new IllegalStateException(bdf() + ": MSI-X vector " + vector + " is not enabled");
		}
		int data = (int) m[1];
		int e = vfio.gate.enter();
		try {
			TranslationResult r = smmu.translate(new TranslationRequest(endpoint.sid(), Event.NO_SSID, m[0], true));
			if (r instanceof TranslationResult.Aborted ab) {
				return new MsiResult(vector, m[0], data, -1, ab, null);
			}
			long pa = ((TranslationResult.Translated) r).pa();
			MsiController ic = vfio.host().msiController();
			if (ic.isDoorbell(pa)) {
				return new MsiResult(vector, m[0], data, pa, null, ic.write(endpoint.sid(), data));
			}
			if (!ic.claims(pa)) {
				try {
					memory.write32(pa, data);
				} catch (MemoryAbort x) {
					return new MsiResult(vector, m[0], data, pa, new TranslationResult.Aborted(null, x.getMessage()), null);
				}
			}
			return new MsiResult(vector, m[0], data, pa, null, null);
		} finally {
			vfio.gate.exit(e);
		}
	}

	/** The first SPI a GICv2m frame hands out for MSIs in this model. */
	public static final int GICV2M_FIRST_SPI = 80;

	/** A DMA read of {@code dst.length} bytes at {@code iova}, page by page through the SMMU. */
	public DmaResult dmaRead(long iova, byte[] dst) {
		return dma(iova, dst, false);
	}

	/** A DMA write of {@code src} at {@code iova}, page by page through the SMMU. */
	public DmaResult dmaWrite(long iova, byte[] src) {
		return dma(iova, src, true);
	}

	/** An MSI: the 32-bit little-endian {@code data} written at the doorbell address {@code iova}. */
	public DmaResult msiWrite(long iova, int data) {
		return dma(iova, new byte[] { (byte) data, (byte) (data >>> 8), (byte) (data >>> 16), (byte) (data >>> 24) }, true);
	}

	private DmaResult dma(long iova, byte[] buf, boolean write) {
		int e = vfio.gate.enter();
		try {
			return transfer(iova, buf, write);
		} finally {
			vfio.gate.exit(e);
		}
	}

	private DmaResult transfer(long iova, byte[] buf, boolean write) {
		long[] pas = new long[(int) ((buf.length + 2 * PAGE) / PAGE)];
		int k = 0;
		for (int done = 0; done < buf.length;) {
			long a = iova + done;
			int n = (int) Math.min(buf.length - done, PAGE - (a & (PAGE - 1)));
			TranslationResult r = smmu.translate(new TranslationRequest(endpoint.sid(), Event.NO_SSID, a, write));
			if (r instanceof TranslationResult.Aborted ab) {
				return new DmaResult(done, Arrays.copyOf(pas, k), ab);
			}
			long pa = ((TranslationResult.Translated) r).pa();
			try {
				if (write) {
					memory.write(pa, buf, done, n);
				} else {
					memory.read(pa, buf, done, n);
				}
			} catch (MemoryAbort e) {
				return new DmaResult(done, Arrays.copyOf(pas, k), new TranslationResult.Aborted(null, e.getMessage()));
			}
			pas[k++] = pa;
			done += n;
		}
		return new DmaResult(buf.length, Arrays.copyOf(pas, k), null);
	}

	private String prefix() {
		return "vfio " + bdf() + ": ";
	}

	@Override
	public String toString() {
		return "VfioPciDevice[" + bdf() + " sid 0x" + Integer.toHexString(endpoint.sid()) + (devId != 0 ? " devid " + devId : "") + "]";
	}
}
