package smmu.accel.guest;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

import smmu.hw.Event;
import smmu.hw.FrameAllocator;
import smmu.hw.PhysicalMemory;
import smmu.hw.SmmuRegisters;
import smmu.hw.arch.Ste;
import smmu.hw.driver.CdBuilder;
import smmu.hw.driver.CdTable;
import smmu.hw.driver.CommandQueueException;
import smmu.hw.driver.Commands;
import smmu.hw.driver.DriverException;
import smmu.hw.driver.Errno;
import smmu.hw.driver.Features;
import smmu.hw.driver.IoPageTable;
import smmu.hw.driver.Prot;
import smmu.hw.driver.SmmuDriver;
import smmu.hw.driver.SteBuilder;

/**
 * The guest kernel of one VM as far as its vSMMUs go: Linux's arm-smmu-v3 driver bound to each vSMMU
 * ({@link #probe}), with the stream table, CD tables, queues and page tables taken from the kernel's
 * page allocator in guest RAM; devices attached to stage-1 DMA domains ({@link #attach}); DMA buffers
 * allocated and mapped ({@link #dmaMap}) and unmapped with the TLB invalidation ({@link #dmaUnmap}) as
 * {@code iommu-dma} does; the event queue drained ({@link #events}). A command the vSMMU rejects is
 * skipped as Linux's {@code arm_smmu_cmdq_skip_err} does and logged in {@link #commandErrors()}; the
 * operation goes on. Thread-safe (one lock per kernel).
 */
public final class GuestKernel {
	/** The guest kernel's VA_BITS and PAGE_SIZE. */
	public static final int VA_BITS = 48, PAGE_SIZE = 4096;
	/** The DMA mask of the devices: IOVAs below 4 GiB. */
	public static final long DMA_LIMIT = 1L << 32;
	private boolean honourRmr = true;
	private static final int MAX_RETRIES = 16;

	private final PhysicalMemory memory;
	private final FrameAllocator pages;
	private final List<GuestSmmu> smmus = new ArrayList<>();
	/** ASIDs in use, shared by all SMMUs as arm_smmu_asid_xa; ASID 0 is reserved. */
	private final BitSet asids = new BitSet();
	private final List<CommandQueueException> commandErrors = new ArrayList<>();

	/**
	 * @param memory guest physical memory
	 * @param pages the kernel's page allocator over guest RAM (allocating from {@code memory})
	 */
	public GuestKernel(PhysicalMemory memory, FrameAllocator pages) {
		if (pages.memory() != memory) {
			throw new IllegalArgumentException("the page allocator must allocate from the guest memory");
		}
		this.memory = memory;
		this.pages = pages;
	}

	public PhysicalMemory memory() {
		return memory;
	}

	public FrameAllocator pages() {
		return pages;
	}

	/**
	 * Binds the driver to a vSMMU: reads IDR0..IDR5 through {@code regs}, allocates the stream table and
	 * queues in guest RAM and runs the reset sequence up to SMMUEN ({@code arm_smmu_device_probe}).
	 *
	 * @throws DriverException ENXIO for a vSMMU the driver cannot use, ETIMEDOUT if it does not respond
	 */
	public GuestSmmu probe(String name, SmmuRegisters regs) {
		return probe(name, regs, SmmuDriver.Options.DEFAULT);
	}

	public synchronized GuestSmmu probe(String name, SmmuRegisters regs, SmmuDriver.Options options) {
		SmmuDriver d = SmmuDriver.probe(regs, memory, pages, options);
		retrying(d::init);
		GuestSmmu s = new GuestSmmu(name, regs, d);
		smmus.add(s);
		return s;
	}

	public synchronized List<GuestSmmu> smmus() {
		return new ArrayList<>(smmus);
	}

	/** Commands the vSMMUs rejected (CMDQ_ERR), skipped and logged as Linux does, oldest first. */
	public synchronized List<CommandQueueException> commandErrors() {
		return new ArrayList<>(commandErrors);
	}

	/**
	 * Attaches device {@code vsid} to a new stage-1 DMA domain: allocates an ASID, a stage-1 io-pgtable
	 * (4 KiB granule, 48-bit input, the vSMMU's OAS), a CD table of one CD, writes the CD (CFGI_CD +
	 * CMD_SYNC) and then the cdtable STE (S1DSS = SSID0) with the entry writer, each step followed by
	 * CFGI_STE + CMD_SYNC, as {@code arm_smmu_attach_dev} does.
	 *
	 * @throws IllegalStateException if the device is attached already
	 * @throws DriverException ERANGE for a vSID beyond the vSMMU, ENOMEM without a free ASID or memory
	 */
	public synchronized GuestDevice attach(GuestSmmu smmu, int vsid) {
		requireOwn(smmu);
		if (smmu.devices.containsKey(vsid)) {
			throw new IllegalStateException(String.format("vSID 0x%x already attached on %s", vsid, smmu.name()));
		}
		SmmuDriver d = smmu.driver();
		Features f = d.features();
		if (Integer.toUnsignedLong(vsid) >= 1L << f.sidBits()) {
			throw new DriverException(Errno.ERANGE, String.format("vSID 0x%x beyond %d bits", vsid, f.sidBits()));
		}
		int asid = asids.nextClearBit(1);
		if (asid >= 1 << f.asidBits()) {
			throw new DriverException(Errno.ENOMEM, "no free ASID");
		}
		IoPageTable.Config cfg = new IoPageTable.Config(IoPageTable.Format.ARM_64_LPAE_S1, f.pgsizeBitmap(), Math.min(f.vax() ? 52 : 48, VA_BITS),
				f.oasBits(), f.coherent(), java.util.Set.of(), PAGE_SIZE);
		IoPageTable pt = IoPageTable.allocate(cfg, pages);
		CdTable cd;
		try {
			cd = d.allocCdTable(0);
		} catch (RuntimeException e) {
			pt.free();
			throw e;
		}
		asids.set(asid);
		GuestDevice dev = new GuestDevice(smmu, vsid, asid, cd, pt, new IovaAllocator(pt.granule(), DMA_LIMIT));
		// iommu_dma_get_resv_regions + iommu_create_device_direct_mappings: an IORT RMR is IOMMU_RESV_DIRECT
		// (flags 0: no remapping; device nGnRnE: IOMMU_MMIO), identity-mapped in the DMA domain and kept out
		// of the IOVA allocator. Kernels before RMR support (5.19) ignore them.
		if (honourRmr) {
			for (long[] r : smmu.rmrs) {
				pt.map(r[0], r[0], r[1], Prot.READ | Prot.WRITE | Prot.MMIO);
				dev.iovas.reserve(r[0], r[1]);
			}
		}
		smmu.devices.put(vsid, dev);
		long[] cdEntry = CdBuilder.s1(pt, asid, false);
		retrying(() -> d.writeCd(cd, 0, cdEntry, vsid));
		long[] ste = SteBuilder.cdTable(f, cd, Ste.S1DSS_SSID0, false, false);
		retrying(() -> d.writeSte(vsid, ste));
		return dev;
	}

	/** Whether attach honours IORT RMRs (Linux 5.19 and later); false models an older guest kernel. */
	public synchronized void honourRmr(boolean on) {
		honourRmr = on;
	}

	/** The IORT's RMR nodes for {@code smmu}: memory ranges its devices need identity-mapped. */
	public synchronized void addRmr(GuestSmmu smmu, long base, long size) {
		requireOwn(smmu);
		smmu.rmrs.add(new long[] { base, size });
	}

	/**
	 * The guest driver requests MSI-X vector {@code vector} of {@code dev}: {@code iommu_dma_prepare_msi}
	 * maps the doorbell's page (GICv3 ITS GITS_TRANSLATER or GICv2m SETSPI at guest physical
	 * {@code doorbellGpa}) once per domain at an IOVA of the domain (IOMMU_WRITE | NOEXEC | MMIO), and the
	 * message composed is that IOVA plus the doorbell's offset, with the vector as data.
	 *
	 * @return {address, data} the guest writes into the device's MSI-X table
	 */
	public synchronized long[] msiCompose(GuestDevice dev, int vector, long doorbellGpa) {
		requireAttached(dev);
		long page = doorbellGpa & -PAGE_SIZE;
		Long iova;
		synchronized (dev) {
			iova = dev.msiPages.get(page);
		}
		if (iova == null) {
			long a = dev.iovas.allocate(PAGE_SIZE);
			if (a < 0) {
				throw new DriverException(Errno.ENOMEM, "no IOVA for the MSI page");
			}
			dev.pageTable().map(a, page, PAGE_SIZE, Prot.WRITE | Prot.NOEXEC | Prot.MMIO);
			iova = a;
			synchronized (dev) {
				dev.msiPages.put(page, a);
			}
		}
		return new long[] { iova + (doorbellGpa & (PAGE_SIZE - 1)), vector };
	}

	/** The guest's interrupt handler ran for {@code vector} of {@code dev}. */
	public void interrupt(GuestDevice dev, int vector) {
		synchronized (dev) {
			dev.interrupts.merge(vector, 1L, Long::sum);
		}
	}

	/**
	 * Allocates a DMA buffer of {@code size} bytes (rounded up to pages, naturally aligned) in guest RAM
	 * and maps it read/write for the device at an IOVA from the domain's allocator ({@code iommu_dma_alloc}).
	 * No invalidation is needed for a new mapping.
	 *
	 * @throws IllegalStateException for a detached device
	 * @throws DriverException ENOMEM when guest RAM or the IOVA space is exhausted
	 */
	public synchronized DmaBuffer dmaMap(GuestDevice dev, long size) {
		requireAttached(dev);
		if (size <= 0) {
			throw new IllegalArgumentException("DMA size " + size);
		}
		long len = dev.iovas.align(size);
		long gpa;
		try {
			gpa = pages.allocate(len);
		} catch (IllegalStateException e) {
			throw new DriverException(Errno.ENOMEM, e.getMessage());
		}
		long iova = dev.iovas.allocate(len);
		if (iova < 0) {
			pages.free(gpa, len);
			throw new DriverException(Errno.ENOMEM, String.format("no IOVA space for 0x%x bytes", len));
		}
		int prot = Prot.READ | Prot.WRITE | (dev.smmu().driver().features().coherent() ? Prot.CACHE : 0);
		try {
			dev.pageTable().map(iova, gpa, len, prot);
		} catch (RuntimeException e) {
			dev.iovas.free(iova);
			pages.free(gpa, len);
			throw e;
		}
		DmaBuffer b = new DmaBuffer(iova, gpa, len);
		synchronized (dev) {
			dev.buffers.put(iova, b);
		}
		return b;
	}

	/**
	 * Unmaps the buffer mapped at {@code iova} ({@code size} as given to {@link #dmaMap}), invalidates the
	 * unmapped range in the vSMMU's TLB with TLBI_NH_VA (range commands when the vSMMU has RIL) per leaf
	 * size and a CMD_SYNC, as {@code iommu_unmap} with the IOTLB gather and {@code arm_smmu_iotlb_sync}
	 * do, then frees the IOVA and the guest pages.
	 *
	 * @return the bytes unmapped
	 * @throws IllegalArgumentException when no buffer of that size is mapped at {@code iova}
	 */
	public synchronized long dmaUnmap(GuestDevice dev, long iova, long size) {
		requireAttached(dev);
		DmaBuffer b;
		synchronized (dev) {
			b = dev.buffers.get(iova);
		}
		if (b == null || b.size() != dev.iovas.align(size) || size <= 0) {
			throw new IllegalArgumentException(String.format("no DMA buffer of 0x%x bytes at IOVA 0x%x", size, iova));
		}
		IoPageTable pt = dev.pageTable();
		List<long[]> runs = new ArrayList<>();
		long pos = iova, end = iova + b.size();
		while (pos < end) {
			IoPageTable.Leaf leaf = pt.lookup(pos);
			if (leaf == null) {
				break;
			}
			long bs = pt.blockSize(leaf.level());
			long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
			// iommu_iotlb_gather_add_page: a new page size starts a new gather
			if (last != null && last[2] == bs && last[0] + last[1] == pos) {
				last[1] += bs;
			} else {
				runs.add(new long[] { pos, bs, bs });
			}
			pos += bs;
		}
		long unmapped = pt.unmap(iova, b.size());
		SmmuDriver d = dev.smmu().driver();
		for (long[] r : runs) {
			retrying(() -> d.invalidateRange(Commands.TlbiKind.NH_VA, 0, dev.asid(), r[0], r[1], r[2], true, pt.granuleShift()));
		}
		synchronized (dev) {
			dev.buffers.remove(iova);
		}
		dev.iovas.free(iova);
		pages.free(b.gpa(), b.size());
		return unmapped;
	}

	/**
	 * Unmaps the buffer at {@code iova} without invalidating the TLB, as the DMA API does in lazy mode
	 * ({@code iommu.strict=0}): the page-table entries go at once, the IOVA and the pages wait in the flush
	 * queue ({@code iommu_dma_free_iova} into the IOVA flush queue) until {@link #flush}, so no new mapping
	 * can reuse an IOVA the TLB may still hold.
	 *
	 * @return the bytes unmapped
	 * @throws IllegalArgumentException when no buffer of that size is mapped at {@code iova}
	 */
	public synchronized long dmaUnmapDeferred(GuestDevice dev, long iova, long size) {
		requireAttached(dev);
		DmaBuffer b;
		synchronized (dev) {
			b = dev.buffers.get(iova);
		}
		if (b == null || b.size() != dev.iovas.align(size) || size <= 0) {
			throw new IllegalArgumentException(String.format("no DMA buffer of 0x%x bytes at IOVA 0x%x", size, iova));
		}
		long unmapped = dev.pageTable().unmap(iova, b.size());
		synchronized (dev) {
			dev.buffers.remove(iova);
			dev.deferred.add(b);
		}
		return unmapped;
	}

	/**
	 * Flushes the device's flush queue: one TLBI_NH_ASID of its domain and a CMD_SYNC ({@code fq_flush_iotlb}
	 * calls {@code arm_smmu_flush_iotlb_all}, i.e. {@code arm_smmu_tlb_inv_context}), then frees the queued IOVAs
	 * and pages.
	 *
	 * @return the buffers freed (0: nothing was queued and nothing is sent)
	 */
	public synchronized int flush(GuestDevice dev) {
		requireAttached(dev);
		List<DmaBuffer> q;
		synchronized (dev) {
			q = new ArrayList<>(dev.deferred);
			dev.deferred.clear();
		}
		if (q.isEmpty()) {
			return 0;
		}
		retrying(() -> dev.smmu().driver().submitAndSync(Commands.tlbiNhAsid(0, dev.asid())));
		for (DmaBuffer b : q) {
			dev.iovas.free(b.iova());
			pages.free(b.gpa(), b.size());
		}
		return q.size();
	}

	/** Reads the vSMMU's event queue up to EVENTQ_PROD ({@code arm_smmu_evtq_thread}). */
	public synchronized List<Event> events(GuestSmmu smmu) {
		requireOwn(smmu);
		return smmu.driver().drainEvents();
	}

	/**
	 * Detaches the device to the blocking domain: the abort STE (entry writer, CFGI_STE + CMD_SYNC), the
	 * CD cleared (CFGI_CD + CMD_SYNC), then the DMA domain freed: its buffers' pages, TLBI_NH_ASID +
	 * CMD_SYNC ({@code arm_smmu_tlb_inv_context} from {@code free_io_pgtable_ops}), the page tables, the
	 * CD table and the ASID.
	 */
	public synchronized void detach(GuestDevice dev) {
		requireAttached(dev);
		GuestSmmu smmu = dev.smmu();
		SmmuDriver d = smmu.driver();
		retrying(() -> d.writeSte(dev.vsid(), SteBuilder.abort()));
		retrying(() -> d.writeCd(dev.cdTable(), 0, CdBuilder.clear(), dev.vsid()));
		List<DmaBuffer> left;
		synchronized (dev) {
			dev.attached = false;
			left = new ArrayList<>(dev.buffers.values());
			left.addAll(dev.deferred);
			dev.buffers.clear();
			dev.deferred.clear();
		}
		retrying(() -> d.submitAndSync(Commands.tlbiNhAsid(0, dev.asid())));
		dev.pageTable().free();
		for (DmaBuffer b : left) {
			dev.iovas.free(b.iova());
			pages.free(b.gpa(), b.size());
		}
		d.freeCdTable(dev.cdTable());
		asids.clear(dev.asid());
		smmu.devices.remove(dev.vsid());
	}

	/** The devices attached on a vSMMU now, by vSID. */
	public synchronized List<GuestDevice> devices(GuestSmmu smmu) {
		return new ArrayList<>(smmu.devices.values());
	}

	/** The device attached as {@code vsid}, or null. */
	public synchronized GuestDevice device(GuestSmmu smmu, int vsid) {
		return smmu.devices.get(vsid);
	}

	/**
	 * Runs a driver operation; a command the vSMMU rejected has been skipped by the driver (the sync
	 * completed), so it is logged and the operation run again from where memory is now, as Linux
	 * carries on after {@code arm_smmu_cmdq_skip_err}. Entry writes are idempotent towards their target.
	 */
	private void retrying(Runnable op) {
		for (int i = 0;; i++) {
			try {
				op.run();
				return;
			} catch (CommandQueueException e) {
				commandErrors.add(e);
				if (i == MAX_RETRIES) {
					return;
				}
			}
		}
	}

	private void requireOwn(GuestSmmu smmu) {
		if (!smmus.contains(smmu)) {
			throw new IllegalArgumentException(smmu + " is not probed by this kernel");
		}
	}

	private void requireAttached(GuestDevice dev) {
		requireOwn(dev.smmu());
		if (!dev.attached() || dev.smmu().devices.get(dev.vsid()) != dev) {
			throw new IllegalStateException(dev + " is not attached");
		}
	}

	@Override
	public synchronized String toString() {
		Map<String, Integer> n = new java.util.LinkedHashMap<>();
		for (GuestSmmu s : smmus) {
			n.put(s.name(), s.devices.size());
		}
		return "GuestKernel[devices per vSMMU " + n + "]";
	}
}
