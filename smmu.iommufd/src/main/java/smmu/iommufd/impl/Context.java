package smmu.iommufd.impl;

import static smmu.iommufd.impl.IoPagetable.err;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.function.Consumer;

import smmu.iommufd.Errno;
import smmu.iommufd.HwInfo;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.HwptInvalidate;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IoasAllowIovas;
import smmu.iommufd.IoasCopy;
import smmu.iommufd.IoasIovaRanges;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IoasMapFile;
import smmu.iommufd.IoasUnmap;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.IovaRange;
import smmu.iommufd.ObjectType;
import smmu.iommufd.Option;
import smmu.iommufd.UserProcess;
import smmu.iommufd.VdeviceAlloc;
import smmu.iommufd.Vevent;
import smmu.iommufd.VeventqAlloc;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.VmmAddressSpace;

/**
 * One open {@code /dev/iommu}: the object table and the ioctls of iommufd's main.c and ioas.c, each
 * checking in the kernel's order; the device, HWPT and vIOMMU ones are in {@link DeviceOps}. Every call runs under the context's lock (its monitor); code of
 * this bundle that reaches into the table or an {@link IoPagetable} holds it too.
 */
public final class Context implements IommufdContext {
	private static final int MAP_FLAGS = IoasMap.FIXED_IOVA | IoasMap.WRITEABLE | IoasMap.READABLE;
	private static final long ULONG_MAX = -1L;
	/** The file of an open fd that is not a regular file (a pipe, an eventfd): its pages cannot be pinned. */
	static final java.nio.file.Path NOT_A_FILE = java.nio.file.Path.of("/proc/self/fd/not-a-regular-file");

	private final VmmAddressSpace mm;
	private final boolean capSysResource;
	private final ObjectTable objects = new ObjectTable();
	private final Consumer<Context> onClose;
	private final DeviceOps devices;
	private final List<VeventqFile> files = new ArrayList<>();
	private boolean accountMm;
	private boolean closed;

	/** A context of a host without devices (every BDF gives ENODEV). */
	public Context(VmmAddressSpace mm, boolean capSysResource, Consumer<Context> onClose) {
		this(mm, capSysResource, null, onClose);
	}

	/** A context whose devices are the masters of {@code host}'s arm-smmu-v3 driver (null: none). */
	public Context(VmmAddressSpace mm, boolean capSysResource, HostKernel host, Consumer<Context> onClose) {
		this.mm = mm;
		this.capSysResource = capSysResource;
		this.onClose = onClose;
		this.devices = new DeviceOps(objects, mm, host);
	}

	@Override
	public VmmAddressSpace addressSpace() {
		return mm;
	}

	/** The object table, for the objects of later sections (HWPT, vIOMMU) built in this bundle. */
	public ObjectTable table() {
		return objects;
	}

	/** iommufd_get_ioas. */
	public Ioas ioas(int id) {
		return objects.get(id, ObjectType.IOAS, Ioas.class);
	}

	@Override
	public synchronized void destroy(int id) {
		open();
		objects.destroy(id);
	}

	@Override
	public synchronized IoasAlloc ioasAlloc(IoasAlloc cmd) {
		open();
		if (cmd.flags() != 0) {
			throw err(Errno.EOPNOTSUPP, "IOAS_ALLOC flags 0x%x", cmd.flags());
		}
		return new IoasAlloc(cmd.flags(), objects.add(new Ioas()));
	}

	@Override
	public synchronized void ioasAllowIovas(IoasAllowIovas cmd) {
		open();
		ioas(cmd.ioasId()).iopt().setAllowed(cmd.allowedIovas());
	}

	@Override
	public synchronized IoasCopy ioasCopy(IoasCopy cmd) {
		open();
		if ((cmd.flags() & ~MAP_FLAGS) != 0) {
			throw err(Errno.EOPNOTSUPP, "IOAS_COPY flags 0x%x", cmd.flags());
		}
		if (cmd.length() == ULONG_MAX || cmd.srcIova() == ULONG_MAX || cmd.dstIova() == ULONG_MAX) {
			throw err(Errno.EOVERFLOW, "length, src_iova or dst_iova is ULONG_MAX");
		}
		if ((cmd.flags() & (IoasMap.WRITEABLE | IoasMap.READABLE)) == 0) {
			throw err(Errno.EINVAL, "IOAS_COPY without READABLE or WRITEABLE");
		}
		List<IoPagetable.Elem> elems = ioas(cmd.srcIoasId()).iopt().getPages(cmd.srcIova(), cmd.length());
		IoPagetable dst = ioas(cmd.dstIoasId()).iopt();
		long iova = dst.mapPages(elems, cmd.length(), cmd.dstIova(), IoPagetable.prot(cmd.flags()),
				(cmd.flags() & IoasMap.FIXED_IOVA) == 0);
		return cmd.withDstIova(iova);
	}

	@Override
	public synchronized IoasIovaRanges ioasIovaRanges(IoasIovaRanges cmd) {
		open();
		IoPagetable iopt = ioas(cmd.ioasId()).iopt();
		List<IovaRange> all = iopt.usableRanges();
		long capacity = Integer.toUnsignedLong(cmd.numIovas());
		List<IovaRange> written = all.size() > capacity ? all.subList(0, (int) capacity) : all;
		IoasIovaRanges out = new IoasIovaRanges(cmd.ioasId(), all.size(), written, iopt.iovaAlignment());
		if (all.size() > capacity) {
			throw new IommufdException(Errno.EMSGSIZE,
					String.format("%d IOVA ranges, room for %d", all.size(), capacity), out);
		}
		return out;
	}

	@Override
	public synchronized IoasMap ioasMap(IoasMap cmd) {
		open();
		if ((cmd.flags() & ~MAP_FLAGS) != 0) {
			throw err(Errno.EOPNOTSUPP, "IOAS_MAP flags 0x%x", cmd.flags());
		}
		if (cmd.iova() == ULONG_MAX || cmd.length() == ULONG_MAX) {
			throw err(Errno.EOVERFLOW, "iova or length is ULONG_MAX");
		}
		if ((cmd.flags() & (IoasMap.WRITEABLE | IoasMap.READABLE)) == 0) {
			throw err(Errno.EINVAL, "IOAS_MAP without READABLE or WRITEABLE");
		}
		IoPagetable iopt = ioas(cmd.ioasId()).iopt();
		// Linux, the sheet being silent: iopt_alloc_user_pages / iopt_alloc_pages
		long uva = cmd.userVa(), length = cmd.length();
		if (Long.compareUnsigned(uva + length, uva) < 0) {
			throw err(Errno.EOVERFLOW, "user_va 0x%x + length 0x%x wraps", uva, length);
		}
		if (length == 0 || Long.compareUnsigned(length, ULONG_MAX - Pages.PAGE_SIZE) > 0) {
			throw err(Errno.EINVAL, "length 0x%x", length);
		}
		long uptr = uva & -Pages.PAGE_SIZE;
		long startByte = uva - uptr;
		long npages = Long.divideUnsigned(startByte + length + Pages.PAGE_SIZE - 1, Pages.PAGE_SIZE);
		Pages pages = new Pages(mm, uptr, npages, (cmd.flags() & IoasMap.WRITEABLE) != 0);
		long iova = iopt.mapPages(List.of(new IoPagetable.Elem(pages, startByte, length)), length, cmd.iova(),
				IoPagetable.prot(cmd.flags()), (cmd.flags() & IoasMap.FIXED_IOVA) == 0);
		return cmd.withIova(iova);
	}

	@Override
	public synchronized IoasUnmap ioasUnmap(IoasUnmap cmd) {
		open();
		IoPagetable iopt = ioas(cmd.ioasId()).iopt();
		long unmapped;
		if (cmd.iova() == 0 && cmd.length() == IoasUnmap.ALL) {
			unmapped = iopt.unmap(0, ULONG_MAX);
		} else {
			// Linux (the sheet is silent): as IOAS_MAP, then iopt_unmap_iova
			if (cmd.iova() == ULONG_MAX || cmd.length() == ULONG_MAX) {
				throw err(Errno.EOVERFLOW, "iova or length is ULONG_MAX");
			}
			if (cmd.length() == 0) {
				throw err(Errno.EINVAL, "length 0");
			}
			long last = cmd.iova() + cmd.length() - 1;
			if (Long.compareUnsigned(last, cmd.iova()) < 0) {
				throw err(Errno.EOVERFLOW, "iova 0x%x + length 0x%x wraps", cmd.iova(), cmd.length());
			}
			unmapped = iopt.unmap(cmd.iova(), last);
			if (unmapped == 0) {
				throw err(Errno.ENOENT, "nothing mapped in [0x%x, 0x%x]", cmd.iova(), last);
			}
		}
		return new IoasUnmap(cmd.ioasId(), cmd.iova(), unmapped);
	}

	@Override
	public synchronized Option option(Option cmd) {
		open();
		switch (cmd.optionId()) {
		case Option.RLIMIT_MODE:
			return rlimitMode(cmd);
		case Option.HUGE_PAGES:
			return hugePages(cmd);
		default:
			throw err(Errno.EOPNOTSUPP, "option_id %d", cmd.optionId());
		}
	}

	/**
	 * iommufd_option_rlimit_mode; object_id and op errors follow Linux (the sheet is silent).
	 * Accounting itself is not modelled: only the mode is kept.
	 */
	private Option rlimitMode(Option cmd) {
		if (cmd.objectId() != 0) {
			throw err(Errno.EOPNOTSUPP, "RLIMIT_MODE is global: object_id must be 0");
		}
		if (cmd.op() == Option.OP_GET) {
			return new Option(cmd.optionId(), cmd.op(), 0, accountMm ? 1 : 0);
		}
		if (cmd.op() != Option.OP_SET) {
			throw err(Errno.EOPNOTSUPP, "op %d", cmd.op());
		}
		if (!capSysResource) {
			throw err(Errno.EPERM, "setting RLIMIT_MODE needs CAP_SYS_RESOURCE");
		}
		if (!objects.isEmpty()) {
			throw err(Errno.EBUSY, "the context has objects");
		}
		if (cmd.val64() != 0 && cmd.val64() != 1) {
			throw err(Errno.EINVAL, "RLIMIT_MODE value %d", cmd.val64());
		}
		accountMm = cmd.val64() == 1;
		return cmd;
	}

	/** iommufd_ioas_option. */
	private Option hugePages(Option cmd) {
		IoPagetable iopt = ioas(cmd.objectId()).iopt();
		if (cmd.op() == Option.OP_GET) {
			return new Option(cmd.optionId(), cmd.op(), cmd.objectId(), iopt.largePagesDisabled() ? 0 : 1);
		}
		if (cmd.op() != Option.OP_SET) {
			throw err(Errno.EOPNOTSUPP, "op %d", cmd.op());
		}
		if (cmd.val64() == 0) {
			iopt.disableLargePages();
		} else if (cmd.val64() == 1) {
			iopt.enableLargePages();
		} else {
			throw err(Errno.EINVAL, "HUGE_PAGES value %d", cmd.val64());
		}
		return cmd;
	}

	@Override
	public synchronized int bindDevice(String bdf) {
		open();
		return devices.bind(bdf);
	}

	@Override
	public synchronized int attachDevice(int devId, int ptId) {
		open();
		return devices.attach(devId, ptId);
	}

	@Override
	public synchronized void detachDevice(int devId) {
		open();
		devices.detach(devId);
	}

	@Override
	public synchronized void unbindDevice(int devId) {
		open();
		devices.unbind(devId);
	}

	@Override
	public synchronized HwptAlloc hwptAlloc(HwptAlloc cmd) {
		open();
		return devices.hwptAlloc(cmd);
	}

	@Override
	public synchronized HwInfo getHwInfo(HwInfo cmd) {
		open();
		return devices.getHwInfo(cmd);
	}

	@Override
	public synchronized HwptInvalidate hwptInvalidate(HwptInvalidate cmd) {
		open();
		return devices.hwptInvalidate(cmd);
	}

	@Override
	public synchronized ViommuAlloc viommuAlloc(ViommuAlloc cmd) {
		open();
		return devices.viommuAlloc(cmd);
	}

	@Override
	public synchronized VdeviceAlloc vdeviceAlloc(VdeviceAlloc cmd) {
		open();
		return devices.vdeviceAlloc(cmd);
	}

	@Override
	public synchronized VeventqAlloc veventqAlloc(VeventqAlloc cmd) {
		open();
		return devices.veventqAlloc(cmd);
	}

	@Override
	public synchronized List<Vevent> veventqRead(int veventqId, int count) {
		open();
		return devices.veventqRead(veventqId, count);
	}

	/** iommufd_ioas_map_file, then iopt_map_file_pages / iopt_alloc_file_pages, in Linux's order. */
	@Override
	public synchronized IoasMapFile ioasMapFile(IoasMapFile cmd, UserProcess proc) {
		open();
		if ((cmd.flags() & ~MAP_FLAGS) != 0) {
			throw err(Errno.EOPNOTSUPP, "IOAS_MAP_FILE flags 0x%x", cmd.flags());
		}
		if (cmd.iova() == ULONG_MAX || cmd.length() == ULONG_MAX) {
			throw err(Errno.EOVERFLOW, "iova or length is ULONG_MAX");
		}
		if ((cmd.flags() & (IoasMap.WRITEABLE | IoasMap.READABLE)) == 0) {
			throw err(Errno.EINVAL, "IOAS_MAP_FILE without READABLE or WRITEABLE");
		}
		IoPagetable iopt = ioas(cmd.ioasId()).iopt();
		java.nio.file.Path file = proc.file(cmd.fd());
		// fget fails only for a closed fd; an open fd that is not a regular file fails at the pin
		if (file == null && !proc.isOpen(cmd.fd())) {
			throw err(Errno.EBADF, "fd %d is not open", cmd.fd());
		}
		long start = cmd.start(), length = cmd.length();
		if (length != 0 && Long.compareUnsigned(start + length - 1, start) < 0) {
			throw err(Errno.EOVERFLOW, "start 0x%x + length 0x%x wraps", start, length);
		}
		if (length == 0 || Long.compareUnsigned(length, ULONG_MAX - Pages.PAGE_SIZE) > 0) {
			throw err(Errno.EINVAL, "length 0x%x", length);
		}
		long startDown = start & -Pages.PAGE_SIZE;
		long startByte = start - startDown;
		long npages = Long.divideUnsigned(startByte + length + Pages.PAGE_SIZE - 1, Pages.PAGE_SIZE);
		Pages pages = new Pages(devices.hostPlatform(), file == null ? NOT_A_FILE : file, startDown, npages,
				(cmd.flags() & IoasMap.WRITEABLE) != 0);
		long iova = iopt.mapPages(List.of(new IoPagetable.Elem(pages, startByte, length)), length, cmd.iova(),
				IoPagetable.prot(cmd.flags()), (cmd.flags() & IoasMap.FIXED_IOVA) == 0);
		return cmd.withIova(iova);
	}

	/**
	 * iommufd_ioas_change_process: every area of every IOAS must map file pages (EINVAL). Accounting
	 * is not modelled, so the charge then moves without a limit to fail on.
	 */
	@Override
	public synchronized void ioasChangeProcess(UserProcess proc) {
		open();
		for (Obj o : objects.all()) {
			if (o instanceof Ioas ioas) {
				for (Area a : ioas.iopt().areas()) {
					if (a.pages().file() == null) {
						throw err(Errno.EINVAL, "IOAS %d maps user memory at %s: only file pages can change process", ioas.id(), a);
					}
				}
			}
		}
	}

	@Override
	public void ioctl(int cmd, long arg) {
		ioctl(cmd, arg, new AddressSpaceProcess(mm));
	}

	@Override
	public synchronized void ioctl(int cmd, long arg, UserProcess proc) {
		open();
		UserProcess before = devices.mm;
		devices.mm = proc;
		try {
			Ioctl.execute(this, cmd, arg, proc);
		} finally {
			devices.mm = before;
		}
	}

	/** VEVENTQ_ALLOC's file: takes a user of the queue until it is released. */
	synchronized VeventqFile openVeventq(int id) {
		open();
		Veventq q = devices.veventq(id);
		VeventqFile f = new VeventqFile(this, q);
		q.users++;
		files.add(f);
		return f;
	}

	/** iommufd_eventq_fops_release. */
	synchronized void released(VeventqFile f) {
		if (files.remove(f)) {
			f.queue().users--;
		}
	}

	@Override
	public synchronized List<IommufdObject> objects() {
		List<IommufdObject> out = new ArrayList<>();
		for (Obj o : objects.all()) {
			List<Integer> refs = new ArrayList<>();
			for (Obj r : o.references()) {
				refs.add(r.id());
			}
			for (Obj r : o.dynamicReferences()) {
				refs.add(r.id());
			}
			out.add(new IommufdObject(o.id(), o.type(), o.users(), refs, o.tableBytes(), o.detail()));
		}
		return out;
	}

	/** The number of distinct user pages pinned by the context's IOASes. */
	public synchronized long pinnedPages() {
		IdentityHashMap<Pages, Boolean> pages = new IdentityHashMap<>();
		for (Obj o : objects.all()) {
			if (o instanceof Ioas ioas) {
				ioas.iopt().collectPages(pages);
			}
		}
		long n = 0;
		for (Pages p : pages.keySet()) {
			n += p.npages();
		}
		return n;
	}

	@Override
	public synchronized void close() {
		if (closed) {
			return;
		}
		for (Device d : devices.devices()) {
			devices.unbind(d);
		}
		// Linux keeps the context until the queues' files are closed too; the model releases now
		for (VeventqFile f : new ArrayList<>(files)) {
			released(f);
		}
		objects.destroyAll();
		closed = true;
		onClose.accept(this);
	}

	private void open() {
		if (closed) {
			throw new IllegalStateException("iommufd context is closed");
		}
	}
}
