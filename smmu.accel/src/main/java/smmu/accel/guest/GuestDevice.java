package smmu.accel.guest;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import smmu.hw.driver.CdTable;
import smmu.hw.driver.IoPageTable;

/**
 * A device (vSID) behind a vSMMU attached to its own stage-1 DMA domain: an ASID, a CD table, a
 * stage-1 io-pgtable and an IOVA space, all in guest RAM. Its state is guarded by the kernel.
 */
public final class GuestDevice {
	private final GuestSmmu smmu;
	private final int vsid;
	private final int asid;
	private final CdTable cdTable;
	private final IoPageTable pageTable;
	final IovaAllocator iovas;
	/** iova -> buffer. */
	final TreeMap<Long, DmaBuffer> buffers = new TreeMap<>();
	boolean attached = true;
	/** iommu_dma_get_msi_page: doorbell GPA page -> its IOVA in this domain. */
	final java.util.Map<Long, Long> msiPages = new java.util.HashMap<>();
	/** vector -> interrupts the driver received. */
	final java.util.Map<Integer, Long> interrupts = new TreeMap<>();
	/** Buffers unmapped without invalidation, waiting for the next flush (the IOVA flush queue). */
	final List<DmaBuffer> deferred = new ArrayList<>();

	GuestDevice(GuestSmmu smmu, int vsid, int asid, CdTable cdTable, IoPageTable pageTable, IovaAllocator iovas) {
		this.smmu = smmu;
		this.vsid = vsid;
		this.asid = asid;
		this.cdTable = cdTable;
		this.pageTable = pageTable;
		this.iovas = iovas;
	}

	/** Interrupts received per vector. */
	public synchronized java.util.Map<Integer, Long> interrupts() {
		return new TreeMap<>(interrupts);
	}

	/** The IOVA of each doorbell page mapped for MSIs in this domain (GPA page -> IOVA). */
	public synchronized java.util.Map<Long, Long> msiPages() {
		return new TreeMap<>(msiPages);
	}

	public GuestSmmu smmu() {
		return smmu;
	}

	/** The StreamID the guest sees (QEMU's PCI_BUILD_BDF of the device). */
	public int vsid() {
		return vsid;
	}

	public int asid() {
		return asid;
	}

	public CdTable cdTable() {
		return cdTable;
	}

	public IoPageTable pageTable() {
		return pageTable;
	}

	public synchronized boolean attached() {
		return attached;
	}

	/** The buffers mapped now, by IOVA. */
	public synchronized List<DmaBuffer> buffers() {
		return new ArrayList<>(buffers.values());
	}

	@Override
	public String toString() {
		return String.format("GuestDevice[%s vsid 0x%x asid %d%s]", smmu.name(), vsid, asid, attached ? "" : " detached");
	}
}
