package smmu.vfio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import smmu.hw.HostPlatform;
import smmu.hw.PciEndpoint;
import smmu.iommufd.Errno;
import smmu.iommufd.HwInfo;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IoasUnmap;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;

/**
 * The VFIO state of one VMM process over one iommufd backend ({@code -object iommufd}): QEMU's list
 * of VFIOAddressSpaces, one per {@link AddressSpace} (by identity), each with its containers (one IOAS
 * each, with the HWPTs VFIO allocated on it and their devices) and the memory listener of each
 * container. Thread-safe (one lock per process).
 */
public final class Vfio {

	/** One container as user space sees it: its AddressSpace, IOAS, HWPTs (id -> devices) and devices. */
	public record ContainerInfo(String addressSpace, int ioasId, Map<Integer, List<String>> hwpts, List<String> devices) {}

	static final class Hwpt {
		final int id, flags;
		final List<VfioPciDevice> devices = new ArrayList<>();

		Hwpt(int id, int flags) {
			this.id = id;
			this.flags = flags;
		}
	}

	static final class Container {
		final AddressSpace as;
		final int ioasId;
		final List<Hwpt> hwpts = new ArrayList<>();
		final List<VfioPciDevice> devices = new ArrayList<>();
		AddressSpace.IommuNotifier notifier;

		Container(AddressSpace as, int ioasId) {
			this.as = as;
			this.ioasId = ioasId;
		}
	}

	private final HostPlatform host;
	private final IommufdContext iommufd;
	private final UserBuffer scratch;
	/** VFIOAddressSpaces by AddressSpace identity, in creation order. */
	private final Map<AddressSpace, List<Container>> spaces = new IdentityHashMap<>();
	private final List<Container> order = new ArrayList<>();
	private final List<String> reported = new ArrayList<>();
	final DmaGate gate = new DmaGate();
	/** Containers and HWPTs devices left by a live move, freed by {@link #collect}. */
	private final List<Container> retired = new ArrayList<>();

	/**
	 * How a device moved live to another AddressSpace ({@link VfioPciDevice#moveTo}) is switched onto a
	 * candidate stage-2 HWPT of the new container without ever losing its translation: the vIOMMU side
	 * builds what it needs on that HWPT and replaces the device's attachment.
	 */
	@FunctionalInterface
	public interface LiveSwitch {
		/**
		 * @return false when the HWPT cannot serve the device (the kernel said EINVAL): the next one is tried
		 */
		boolean switchTo(int hwptId);
	}

	/**
	 * @param host the host's hardware (its endpoints, SMMUs and memory)
	 * @param iommufd the process's iommufd context
	 * @param scratch the process's page for ioctl structs
	 */
	public Vfio(HostPlatform host, IommufdContext iommufd, UserBuffer scratch) {
		this.host = host;
		this.iommufd = iommufd;
		this.scratch = scratch;
	}

	public HostPlatform host() {
		return host;
	}

	public IommufdContext iommufd() {
		return iommufd;
	}

	/**
	 * Opens host PCI function {@code bdf} for passthrough (its VFIO cdev); nothing is bound until
	 * {@link VfioPciDevice#realize}.
	 *
	 * @throws VfioException for a BDF the host does not have
	 */
	public VfioPciDevice open(String bdf) {
		for (PciEndpoint ep : host.endpoints()) {
			if (ep.bdf().equals(bdf)) {
				return new VfioPciDevice(this, ep, host.smmu(ep.smmu()).orElseThrow());
			}
		}
		throw new VfioException("vfio " + bdf + ": no such host device");
	}

	/** The containers now, in creation order. */
	public synchronized List<ContainerInfo> containers() {
		List<ContainerInfo> out = new ArrayList<>();
		for (Container c : order) {
			Map<Integer, List<String>> h = new java.util.LinkedHashMap<>();
			for (Hwpt w : c.hwpts) {
				h.put(w.id, names(w.devices));
			}
			out.add(new ContainerInfo(c.as.name(), c.ioasId, h, names(c.devices)));
		}
		return out;
	}

	/** Messages QEMU would only print ({@code error_report}), oldest first. */
	public synchronized List<String> reported() {
		return new ArrayList<>(reported);
	}

	private static List<String> names(List<VfioPciDevice> ds) {
		List<String> l = new ArrayList<>();
		for (VfioPciDevice d : ds) {
			l.add(d.bdf());
		}
		return l;
	}

	synchronized void report(String message) {
		reported.add(message);
	}

	/** iommufd_cdev_attach after the bind: find or create the container, autodomains, listener. */
	synchronized void attach(VfioPciDevice dev, AddressSpace as, PciIommuOps ops, int bus, int devfn) {
		List<Container> space = spaces.computeIfAbsent(as, k -> new ArrayList<>());
		for (Container c : space) {
			try {
				autodomains(dev, c, ops);
				return;
			} catch (VfioException e) {
				// iommufd_cdev_attach_container failure is only traced: try the next container
			}
		}
		int ioas;
		try {
			ioas = iommufd.ioasAlloc(IoasAlloc.request()).outIoasId();
		} catch (IommufdException e) {
			dropIfEmpty(as);
			throw new VfioException("Failed to allocate ioas", e);
		}
		Container c = new Container(as, ioas);
		try {
			autodomains(dev, c, ops);
		} catch (VfioException e) {
			iommufd.destroy(ioas);
			dropIfEmpty(as);
			throw e;
		}
		space.add(c);
		order.add(c);
		try {
			listen(c, bus, devfn);
		} catch (VfioException e) {
			detach(dev);
			throw e;
		}
	}

	private void dropIfEmpty(AddressSpace as) {
		List<Container> l = spaces.get(as);
		if (l != null && l.isEmpty()) {
			spaces.remove(as);
		}
	}

	/** iommufd_cdev_autodomains_get: an existing HWPT of the container (EINVAL: the next), else a new one. */
	private void autodomains(VfioPciDevice dev, Container c, PciIommuOps ops) {
		int devId = dev.devId();
		for (Hwpt h : c.hwpts) {
			try {
				iommufd.attachDevice(devId, h.id);
			} catch (IommufdException e) {
				if (e.errno() == Errno.EINVAL) {
					continue;
				}
				throw attachError(dev, h.id, e);
			}
			join(dev, c, h);
			return;
		}
		int flags = 0;
		if ((hwInfo(devId).hwCaps() & HwInfo.CAP_DIRTY_TRACKING) != 0) {
			flags |= HwptAlloc.DIRTY_TRACKING;
		}
		if (ops != null && (ops.viommuFlags() & PciIommuOps.WANT_NESTING_PARENT) != 0) {
			flags |= HwptAlloc.NEST_PARENT;
		}
		int id;
		try {
			id = iommufd.hwptAlloc(HwptAlloc.paging(flags, devId, c.ioasId)).outHwptId();
		} catch (IommufdException e) {
			throw new VfioException("Failed to allocate hwpt", e);
		}
		try {
			iommufd.attachDevice(devId, id);
		} catch (IommufdException e) {
			iommufd.destroy(id);
			throw attachError(dev, id, e);
		}
		Hwpt h = new Hwpt(id, flags);
		// QLIST_INSERT_HEAD: the newest HWPT is the first one the next device tries
		c.hwpts.add(0, h);
		join(dev, c, h);
	}

	private static void join(VfioPciDevice dev, Container c, Hwpt h) {
		h.devices.add(dev);
		c.devices.add(dev);
		dev.container = c;
		dev.hwpt = h;
	}

	private static VfioException attachError(VfioPciDevice dev, int id, IommufdException e) {
		return new VfioException(String.format("[iommufd] error attach %s (%d) to id=%d: %s", dev.bdf(), dev.devId(), id, e.getMessage()), e);
	}

	/**
	 * vfio_listener_register: every RAM-like section (guest RAM, ROMs read-only, ram_device BAR mmaps)
	 * mapped at IOVA = GPA, or the IOMMU region's notifier and replay. A failed map of a ram_device
	 * section is only reported, as {@code vfio_listener_region_add} does (peer-to-peer DMA to that BAR
	 * will not work); any other failure fails the attach.
	 */
	private void listen(Container c, int bus, int devfn) {
		AddressSpace as = c.as;
		if (!as.isIommu()) {
			for (AddressSpace.RamSection s : as.ramSections()) {
				int flags = IoasMap.FIXED_IOVA | IoasMap.READABLE | (s.readOnly() ? 0 : IoasMap.WRITEABLE);
				try {
					iommufd.ioasMap(new IoasMap(flags, c.ioasId, s.userVa(), s.size(), s.gpa()));
				} catch (IommufdException e) {
					String msg = String.format("vfio_container_dma_map(0x%x, 0x%x, 0x%x) = -%d (%s)", s.gpa(), s.size(), s.userVa(),
							e.errno().number(), e.getMessage());
					if (s.kind() == AddressSpace.Kind.RAM_DEVICE) {
						reported.add(msg);
						continue;
					}
					throw new VfioException(msg, e);
				}
			}
			return;
		}
		AddressSpace.IommuNotifier n = ev -> shadow(c, ev);
		as.iommuRegion().registerNotifier(n, bus, devfn);
		c.notifier = n;
		as.iommuRegion().replay(n);
	}

	/** vfio_iommu_map_notify: a vIOMMU mapping shadowed into the IOAS; failures are only reported. */
	private synchronized void shadow(Container c, AddressSpace.IotlbEvent ev) {
		long len = ev.addrMask() + 1;
		try {
			if (ev.map()) {
				AddressSpace target = c.as.target();
				long va = target.userVa(ev.translatedAddr());
				if (va == -1 || target.userVa(ev.translatedAddr() + ev.addrMask()) != va + ev.addrMask()) {
					reported.add(String.format("iommu map to non memory area %x", ev.translatedAddr()));
					return;
				}
				boolean w = ev.writable() && !target.readOnly(ev.translatedAddr());
				iommufd.ioasMap(new IoasMap(IoasMap.FIXED_IOVA | IoasMap.READABLE | (w ? IoasMap.WRITEABLE : 0), c.ioasId, va, len, ev.iova()));
			} else {
				iommufd.ioasUnmap(new IoasUnmap(c.ioasId, ev.iova(), len));
			}
		} catch (IommufdException e) {
			if (!ev.map() && e.errno() == Errno.ENOENT) {
				return;
			}
			reported.add(String.format("vfio_container_dma_%s(0x%x, 0x%x) = -%d (%s)", ev.map() ? "map" : "unmap", ev.iova(), len,
					e.errno().number(), e.getMessage()));
		}
	}

	/** iommufd_cdev_detach: detach, put the HWPT (destroyed with its last device), put the container. */
	synchronized void detach(VfioPciDevice dev) {
		Container c = dev.container;
		Hwpt h = dev.hwpt;
		if (c == null) {
			return;
		}
		iommufd.detachDevice(dev.devId());
		h.devices.remove(dev);
		if (h.devices.isEmpty()) {
			iommufd.destroy(h.id);
			c.hwpts.remove(h);
		}
		c.devices.remove(dev);
		dev.container = null;
		dev.hwpt = null;
		if (!c.devices.isEmpty()) {
			return;
		}
		if (c.notifier != null) {
			c.as.iommuRegion().unregisterNotifier(c.notifier);
			c.notifier = null;
		}
		try {
			iommufd.ioasUnmap(new IoasUnmap(c.ioasId, 0, IoasUnmap.ALL));
		} catch (IommufdException e) {
			if (e.errno() != Errno.ENOENT) {
				reported.add("IOMMU_IOAS_UNMAP failed: " + e.getMessage());
			}
		}
		iommufd.destroy(c.ioasId);
		List<Container> space = spaces.get(c.as);
		space.remove(c);
		order.remove(c);
		dropIfEmpty(c.as);
	}

	/**
	 * Moves a realized device live to the VFIOAddressSpace of {@code as}: a container of it (an existing
	 * one, else a new IOAS whose listener maps the RAM sections), a HWPT of it {@code sw} accepts (an
	 * existing one, else a new one with the same flags), then the device leaves its old container. HWPTs
	 * and containers left empty are freed by {@link #collect} once nothing else holds them.
	 *
	 * @return the device's new stage-2 HWPT
	 * @throws VfioException when no container can take the device (it stays where it was)
	 */
	synchronized int move(VfioPciDevice dev, AddressSpace as, LiveSwitch sw) {
		Container oldC = dev.container;
		Hwpt oldH = dev.hwpt;
		if (oldC == null) {
			throw new IllegalStateException(dev.bdf() + " is not realized");
		}
		if (oldC.as == as) {
			return oldH.id;
		}
		List<Container> space = spaces.computeIfAbsent(as, k -> new ArrayList<>());
		for (Container c : space) {
			if (tryContainer(dev, c, oldH.flags, sw)) {
				leave(dev, oldC, oldH);
				return dev.hwpt.id;
			}
		}
		int ioas;
		try {
			ioas = iommufd.ioasAlloc(IoasAlloc.request()).outIoasId();
		} catch (IommufdException e) {
			dropIfEmpty(as);
			throw new VfioException("Failed to allocate ioas", e);
		}
		Container c = new Container(as, ioas);
		space.add(c);
		order.add(c);
		try {
			listen(c, 0, 0);
			if (!tryContainer(dev, c, oldH.flags, sw)) {
				throw new VfioException(String.format("%s: no HWPT of a new container for %s can take it", dev.bdf(), as.name()));
			}
		} catch (RuntimeException e) {
			free(c);
			throw e;
		}
		leave(dev, oldC, oldH);
		return dev.hwpt.id;
	}

	private boolean tryContainer(VfioPciDevice dev, Container c, int flags, LiveSwitch sw) {
		for (Hwpt h : c.hwpts) {
			if (sw.switchTo(h.id)) {
				join(dev, c, h);
				return true;
			}
		}
		int id;
		try {
			id = iommufd.hwptAlloc(HwptAlloc.paging(flags, dev.devId(), c.ioasId)).outHwptId();
		} catch (IommufdException e) {
			throw new VfioException("Failed to allocate hwpt", e);
		}
		boolean ok;
		try {
			ok = sw.switchTo(id);
		} catch (RuntimeException e) {
			iommufd.destroy(id);
			throw e;
		}
		if (!ok) {
			iommufd.destroy(id);
			return false;
		}
		Hwpt h = new Hwpt(id, flags);
		c.hwpts.add(0, h);
		join(dev, c, h);
		return true;
	}

	private void leave(VfioPciDevice dev, Container c, Hwpt h) {
		h.devices.remove(dev);
		c.devices.remove(dev);
		if (h.devices.isEmpty() && !retired.contains(c)) {
			retired.add(c);
		}
	}

	/**
	 * Waits until every DMA of this process's devices that started before the call has completed: after
	 * it, no transaction still uses a stream table entry, stage-2 table or VMID replaced before.
	 */
	public void quiesce() {
		gate.quiesce();
	}

	/**
	 * Frees the HWPTs left without devices by live moves (those still held, e.g. by a vIOMMU, stay for a
	 * later call) and then their containers once empty: IOAS unmapped and destroyed.
	 *
	 * @return the objects still held
	 */
	public synchronized int collect() {
		int held = 0;
		for (java.util.Iterator<Container> it = retired.iterator(); it.hasNext();) {
			Container c = it.next();
			boolean kept = false;
			for (java.util.Iterator<Hwpt> hi = c.hwpts.iterator(); hi.hasNext();) {
				Hwpt h = hi.next();
				if (!h.devices.isEmpty()) {
					continue;
				}
				try {
					iommufd.destroy(h.id);
					hi.remove();
				} catch (IommufdException e) {
					held++;
					kept = true;
				}
			}
			if (kept) {
				continue;
			}
			if (c.devices.isEmpty() && c.hwpts.isEmpty()) {
				free(c);
			}
			it.remove();
		}
		return held;
	}

	private void free(Container c) {
		try {
			iommufd.ioasUnmap(new IoasUnmap(c.ioasId, 0, IoasUnmap.ALL));
		} catch (IommufdException e) {
			if (e.errno() != Errno.ENOENT) {
				reported.add("IOMMU_IOAS_UNMAP failed: " + e.getMessage());
			}
		}
		iommufd.destroy(c.ioasId);
		List<Container> space = spaces.get(c.as);
		if (space != null) {
			space.remove(c);
		}
		order.remove(c);
		dropIfEmpty(c.as);
	}

	/** IOMMU_GET_HW_INFO into the process's scratch page, decoded. */
	HostIommuDevice.Caps hwInfo(int devId) {
		HwInfo[] got = new HwInfo[1];
		byte[] data;
		try {
			data = scratch.out(40, va -> got[0] = iommufd.getHwInfo(HwInfo.request(devId, 40, va)));
		} catch (IommufdException e) {
			throw new VfioException("Failed to get hardware info", e);
		}
		ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
		int flags = b.getInt(0);
		int[] idr = new int[6];
		for (int i = 0; i < 6; i++) {
			idr[i] = b.getInt(8 + 4 * i);
		}
		return new HostIommuDevice.Caps(got[0].dataType(), got[0].outCapabilities(), got[0].outMaxPasidLog2(), flags, idr, b.getInt(32), b.getInt(36));
	}
}
