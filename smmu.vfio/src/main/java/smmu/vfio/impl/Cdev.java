package smmu.vfio.impl;

import static smmu.vfio.VfioIoctls.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Consumer;

import smmu.hw.PciBar;
import smmu.hw.PciEndpoint;
import smmu.hw.PciFunction;
import smmu.iommufd.Errno;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;
import smmu.iommufd.UserProcess;
import smmu.vfio.VfioCdev;

/**
 * One open vfio-pci device file: vfio_main.c's device file (bind/attach/detach, release),
 * vfio_pci_core.c's ioctls and read/write, vfio_pci_intrs.c's INTx/MSI/ERR/REQ triggers and the
 * virtual configuration space of {@link VirtConfig}. Every method runs under the file's lock.
 */
final class Cdev implements VfioCdev {
	private static final int IRQ_NONE = -1;
	/** VFIO_DEVICE_FEATURE flags. */
	private static final int FEATURE_MASK = 0xffff, FEATURE_GET = 1 << 16, FEATURE_SET = 1 << 17, FEATURE_PROBE = 1 << 18;
	private static final int ATTACH_PASID = 1 << 0;

	private final PciEndpoint endpoint;
	private final PciFunction function;
	private final Consumer<Cdev> onClose;
	private boolean closed;
	// the bind (vfio_device_file.access_granted, iommufd, devid)
	private IommufdContext iommufd;
	private int devId;
	private VirtConfig config;
	// interrupts (vfio_pci_core_device.irq_type, the INTx context, the eventfds)
	private int irqType = IRQ_NONE;
	private UserProcess irqProcess;
	private int intxTrigger = -1, intxUnmaskFd = -1, errTrigger = -1, reqTrigger = -1;
	private boolean intxMasked, virqDisabled;
	private int[] msiTriggers = new int[0];

	Cdev(PciEndpoint endpoint, PciFunction function, Consumer<Cdev> onClose) {
		this.endpoint = endpoint;
		this.function = function;
		this.onClose = onClose;
	}

	@Override
	public String bdf() {
		return endpoint.bdf();
	}

	/** The devid of the bind, or 0 while unbound. */
	synchronized int devId() {
		return devId;
	}

	private void open() {
		if (closed) {
			throw err(Errno.EBADF, "the device file of %s is closed", bdf());
		}
	}

	private boolean bound() {
		return config != null;
	}

	static IommufdException err(Errno errno, String format, Object... args) {
		return new IommufdException(errno, String.format(format, args));
	}

	// ---- ioctl

	@Override
	public synchronized long ioctl(int cmd, long arg, UserProcess proc) {
		open();
		if (cmd == VFIO_DEVICE_BIND_IOMMUFD) {
			return bind(arg, proc);
		}
		if (!bound()) {
			throw err(Errno.EINVAL, "ioctl 0x%x before VFIO_DEVICE_BIND_IOMMUFD", cmd);
		}
		return switch (cmd) {
			case VFIO_DEVICE_ATTACH_IOMMUFD_PT -> attach(arg, proc);
			case VFIO_DEVICE_DETACH_IOMMUFD_PT -> detach(arg, proc);
			case VFIO_DEVICE_FEATURE -> feature(arg, proc);
			case VFIO_DEVICE_GET_INFO -> getInfo(arg, proc);
			case VFIO_DEVICE_GET_REGION_INFO -> regionInfo(arg, proc);
			case VFIO_DEVICE_GET_IRQ_INFO -> irqInfo(arg, proc);
			case VFIO_DEVICE_SET_IRQS -> setIrqs(arg, proc);
			case VFIO_DEVICE_RESET -> reset();
			default -> throw err(Errno.ENOTTY, "ioctl 0x%x", cmd);
		};
	}

	/** vfio_df_ioctl_bind_iommufd: struct vfio_device_bind_iommufd {argsz, flags, s32 iommufd, out_devid}. */
	private long bind(long arg, UserProcess proc) {
		int argsz = argsz(arg, proc);
		if (Integer.toUnsignedLong(argsz) < 16) {
			throw err(Errno.EINVAL, "argsz %d below 16", Integer.toUnsignedLong(argsz));
		}
		ByteBuffer b = copyStructFromUser(proc, arg, 16, argsz);
		int flags = b.getInt(4), fd = b.getInt(8);
		if (fd < 0 || flags != 0) {
			throw err(Errno.EINVAL, "iommufd %d, flags 0x%x", fd, flags);
		}
		if (bound()) {
			throw err(Errno.EINVAL, "%s is bound already", bdf());
		}
		IommufdContext ctx = proc.iommufd(fd);
		if (ctx == null) {
			throw err(proc.isOpen(fd) ? Errno.EBADFD : Errno.EBADF, "fd %d is not an iommufd", fd);
		}
		int id = ctx.bindDevice(bdf());
		try {
			write(proc, arg + 12, le(4).putInt(0, id));
		} catch (IommufdException e) {
			ctx.unbindDevice(id);
			throw e;
		}
		// vfio_pci_core_enable: the function is reset, vfio_config_init builds the virtual config space
		iommufd = ctx;
		devId = id;
		resetFunction();
		config = new VirtConfig(function);
		function.connectIntx((f, level) -> intx(level));
		return 0;
	}

	/** vfio_df_ioctl_attach_pt: struct vfio_device_attach_iommufd_pt {argsz, flags, pt_id, pasid}. */
	private long attach(long arg, UserProcess proc) {
		ByteBuffer b = read(proc, arg, 12);
		if (Integer.toUnsignedLong(b.getInt(0)) < 12) {
			throw err(Errno.EINVAL, "argsz %d below 12", Integer.toUnsignedLong(b.getInt(0)));
		}
		int flags = b.getInt(4);
		if ((flags & ~ATTACH_PASID) != 0) {
			throw err(Errno.EINVAL, "flags 0x%x", flags);
		}
		if ((flags & ATTACH_PASID) != 0) {
			if (Integer.toUnsignedLong(b.getInt(0)) < 16) {
				throw err(Errno.EINVAL, "argsz %d below 16 with VFIO_DEVICE_ATTACH_PASID", Integer.toUnsignedLong(b.getInt(0)));
			}
			throw err(Errno.EINVAL, "%s has no PASID capability", bdf());
		}
		int pt = iommufd.attachDevice(devId, b.getInt(8));
		write(proc, arg + 8, le(4).putInt(0, pt));
		return 0;
	}

	/** vfio_df_ioctl_detach_pt: struct vfio_device_detach_iommufd_pt {argsz, flags, pasid}. */
	private long detach(long arg, UserProcess proc) {
		ByteBuffer b = read(proc, arg, 8);
		if (Integer.toUnsignedLong(b.getInt(0)) < 8) {
			throw err(Errno.EINVAL, "argsz %d below 8", Integer.toUnsignedLong(b.getInt(0)));
		}
		int flags = b.getInt(4);
		if ((flags & ~ATTACH_PASID) != 0) {
			throw err(Errno.EINVAL, "flags 0x%x", flags);
		}
		if ((flags & ATTACH_PASID) != 0) {
			throw err(Errno.EINVAL, "%s has no PASID capability", bdf());
		}
		iommufd.detachDevice(devId);
		return 0;
	}

	/**
	 * vfio_ioctl_device_feature: the header's checks; then no feature is offered: no migration,
	 * no dirty logging, no VF token (ENOTTY, as vfio-pci without mig_ops), and low-power entry/exit
	 * is not modelled (ENOTTY too).
	 */
	private long feature(long arg, UserProcess proc) {
		ByteBuffer b = read(proc, arg, 8);
		if (Integer.toUnsignedLong(b.getInt(0)) < 8) {
			throw err(Errno.EINVAL, "argsz %d below 8", Integer.toUnsignedLong(b.getInt(0)));
		}
		int flags = b.getInt(4);
		if ((flags & ~(FEATURE_MASK | FEATURE_GET | FEATURE_SET | FEATURE_PROBE)) != 0) {
			throw err(Errno.EINVAL, "flags 0x%x", flags);
		}
		if ((flags & FEATURE_PROBE) == 0 && (flags & FEATURE_SET) != 0 && (flags & FEATURE_GET) != 0) {
			throw err(Errno.EINVAL, "GET and SET without PROBE");
		}
		throw err(Errno.ENOTTY, "feature %d not supported by %s", flags & FEATURE_MASK, bdf());
	}

	/** vfio_pci_ioctl_get_info: struct vfio_device_info {argsz, flags, num_regions, num_irqs, cap_offset, pad}. */
	private long getInfo(long arg, UserProcess proc) {
		ByteBuffer b = read(proc, arg, 16);
		long argsz = Integer.toUnsignedLong(b.getInt(0));
		if (argsz < 16) {
			throw err(Errno.EINVAL, "argsz %d below 16", argsz);
		}
		ByteBuffer out = le(24).putInt(0, b.getInt(0));
		out.putInt(4, DEVICE_FLAGS_PCI | (function.flrCapable() ? DEVICE_FLAGS_RESET : 0));
		out.putInt(8, PCI_NUM_REGIONS).putInt(12, PCI_NUM_IRQS);
		write(proc, arg, slice(out, (int) Math.min(argsz, 24)));
		return 0;
	}

	/** vfio_pci_ioctl_get_region_info: struct vfio_region_info {argsz, flags, index, cap_offset, u64 size, u64 offset}. */
	private long regionInfo(long arg, UserProcess proc) {
		ByteBuffer b = read(proc, arg, 32);
		if (Integer.toUnsignedLong(b.getInt(0)) < 32) {
			throw err(Errno.EINVAL, "argsz %d below 32", Integer.toUnsignedLong(b.getInt(0)));
		}
		int index = b.getInt(8);
		long size;
		int flags;
		if (index == PCI_CONFIG_REGION_INDEX) {
			size = function.configSize();
			flags = REGION_INFO_FLAG_READ | REGION_INFO_FLAG_WRITE;
		} else if (index >= 0 && index < 6) {
			size = function.header().bars().get(index).size();
			flags = size == 0 ? 0 : REGION_INFO_FLAG_READ | REGION_INFO_FLAG_WRITE;
		} else if (index == PCI_ROM_REGION_INDEX) {
			size = function.header().romSize();
			flags = size == 0 ? 0 : REGION_INFO_FLAG_READ;
		} else if (index == PCI_VGA_REGION_INDEX) {
			throw err(Errno.EINVAL, "%s is not a VGA device", bdf());
		} else {
			throw err(Errno.EINVAL, "region index %d", Integer.toUnsignedLong(index));
		}
		b.putInt(4, flags).putInt(12, 0).putLong(16, size).putLong(24, regionOffset(index));
		write(proc, arg, b);
		return 0;
	}

	/** vfio_pci_get_irq_count. */
	private int irqCount(int index) {
		return switch (index) {
			case PCI_INTX_IRQ_INDEX -> function.readConfig(PciFunction.INTERRUPT_PIN, 1) != 0 ? 1 : 0;
			case PCI_MSI_IRQ_INDEX -> function.header().msiVectors();
			case PCI_MSIX_IRQ_INDEX -> function.header().msixVectors();
			case PCI_ERR_IRQ_INDEX -> function.header().pcie() ? 1 : 0;
			case PCI_REQ_IRQ_INDEX -> 1;
			default -> 0;
		};
	}

	/** vfio_pci_ioctl_get_irq_info: struct vfio_irq_info {argsz, flags, index, count}. */
	private long irqInfo(long arg, UserProcess proc) {
		ByteBuffer b = read(proc, arg, 16);
		int index = b.getInt(8);
		if (Integer.toUnsignedLong(b.getInt(0)) < 16 || Integer.toUnsignedLong(index) >= PCI_NUM_IRQS) {
			throw err(Errno.EINVAL, "argsz %d, index %d", Integer.toUnsignedLong(b.getInt(0)), Integer.toUnsignedLong(index));
		}
		if (index == PCI_ERR_IRQ_INDEX && !function.header().pcie()) {
			throw err(Errno.EINVAL, "no ERR interrupt: %s is not PCI Express", bdf());
		}
		int flags = IRQ_INFO_EVENTFD;
		if (index == PCI_INTX_IRQ_INDEX) {
			flags |= IRQ_INFO_MASKABLE | IRQ_INFO_AUTOMASKED;
		} else if (index != PCI_MSIX_IRQ_INDEX || function.header().msixVectors() == 0) {
			flags |= IRQ_INFO_NORESIZE;
		}
		b.putInt(4, flags).putInt(12, irqCount(index));
		write(proc, arg, b);
		return 0;
	}

	/** vfio_pci_ioctl_set_irqs + vfio_set_irqs_validate_and_prepare + vfio_pci_set_irqs_ioctl. */
	private long setIrqs(long arg, UserProcess proc) {
		ByteBuffer h = read(proc, arg, 20);
		long argsz = Integer.toUnsignedLong(h.getInt(0));
		int flags = h.getInt(4), index = h.getInt(8);
		long start = Integer.toUnsignedLong(h.getInt(12)), count = Integer.toUnsignedLong(h.getInt(16));
		int max = irqCount(index);
		int dataMask = IRQ_SET_DATA_NONE | IRQ_SET_DATA_BOOL | IRQ_SET_DATA_EVENTFD;
		int actionMask = IRQ_SET_ACTION_MASK | IRQ_SET_ACTION_UNMASK | IRQ_SET_ACTION_TRIGGER;
		if (argsz < 20 || Integer.toUnsignedLong(index) >= PCI_NUM_IRQS || count >= 0xffff_ffffL - start || (flags & ~(dataMask | actionMask)) != 0) {
			throw err(Errno.EINVAL, "argsz %d, index %d, start %d, count %d, flags 0x%x", argsz, Integer.toUnsignedLong(index), start, count, flags);
		}
		if (start >= max || start + count > max) {
			throw err(Errno.EINVAL, "irqs [%d, +%d) of index %d with %d", start, count, index, max);
		}
		int size = switch (flags & dataMask) {
			case IRQ_SET_DATA_NONE -> 0;
			case IRQ_SET_DATA_BOOL -> 1;
			case IRQ_SET_DATA_EVENTFD -> 4;
			default -> throw err(Errno.EINVAL, "data type 0x%x", flags & dataMask);
		};
		ByteBuffer data = le(0);
		if (size != 0) {
			if (argsz - 20 < count * size) {
				throw err(Errno.EINVAL, "argsz %d holds less than %d entries", argsz, count);
			}
			data = read(proc, arg + 20, (int) (count * size));
		}
		int action = flags & actionMask;
		int type = flags & dataMask;
		switch (index) {
			case PCI_INTX_IRQ_INDEX -> {
				switch (action) {
					case IRQ_SET_ACTION_MASK -> intxMask(type, start, count, data);
					case IRQ_SET_ACTION_UNMASK -> intxUnmask(type, start, count, data, proc);
					case IRQ_SET_ACTION_TRIGGER -> intxTrigger(type, start, count, data, proc);
					default -> throw err(Errno.ENOTTY, "action 0x%x", action);
				}
			}
			case PCI_MSI_IRQ_INDEX, PCI_MSIX_IRQ_INDEX -> {
				if (action != IRQ_SET_ACTION_TRIGGER) {
					throw err(Errno.ENOTTY, "MSI masking is not supported");
				}
				msiTrigger(index, type, (int) start, (int) count, data, proc);
			}
			case PCI_ERR_IRQ_INDEX, PCI_REQ_IRQ_INDEX -> {
				if (action != IRQ_SET_ACTION_TRIGGER) {
					throw err(Errno.ENOTTY, "action 0x%x", action);
				}
				singleTrigger(index, type, start, count, data, proc);
			}
			default -> throw err(Errno.ENOTTY, "index %d", index);
		}
		return 0;
	}

	private void intxMask(int type, long start, long count, ByteBuffer data) {
		if (irqType != PCI_INTX_IRQ_INDEX || start != 0 || count != 1) {
			throw err(Errno.EINVAL, "INTx is not enabled");
		}
		if (type == IRQ_SET_DATA_EVENTFD) {
			throw err(Errno.ENOTTY, "mask eventfds are not implemented (as in Linux)");
		}
		if (type == IRQ_SET_DATA_NONE || data.get(0) != 0) {
			maskIntx();
		}
	}

	private void intxUnmask(int type, long start, long count, ByteBuffer data, UserProcess proc) {
		if (irqType != PCI_INTX_IRQ_INDEX || start != 0 || count != 1) {
			throw err(Errno.EINVAL, "INTx is not enabled");
		}
		if (type == IRQ_SET_DATA_EVENTFD) {
			int fd = data.getInt(0);
			if (fd >= 0) {
				eventfd(proc, fd);
			}
			// vfio_virqfd_enable: the process's writes to it never reach the model (see docs/vfio.md)
			intxUnmaskFd = fd >= 0 ? fd : -1;
			return;
		}
		if (type == IRQ_SET_DATA_NONE || data.get(0) != 0) {
			unmaskIntx();
		}
	}

	/** vfio_pci_set_intx_trigger. */
	private void intxTrigger(int type, long start, long count, ByteBuffer data, UserProcess proc) {
		if (irqType == PCI_INTX_IRQ_INDEX && count == 0 && type == IRQ_SET_DATA_NONE) {
			disableIntx();
			return;
		}
		if (!(irqType == PCI_INTX_IRQ_INDEX || irqType == IRQ_NONE) || start != 0 || count != 1) {
			throw err(Errno.EINVAL, "INTx trigger [%d, +%d) with interrupts of type %d", start, count, irqType);
		}
		if (type == IRQ_SET_DATA_EVENTFD) {
			int fd = data.getInt(0);
			if (fd >= 0) {
				eventfd(proc, fd);
			}
			intxTrigger = fd;
			irqProcess = proc;
			if (irqType == IRQ_NONE) {
				// vfio_intx_enable: masked while the virtual INTx disable bit is set; request_irq of a
				// line asserted already runs the handler at once
				irqType = PCI_INTX_IRQ_INDEX;
				intxMasked = virqDisabled;
				setPhysIntxDisable(intxMasked);
				if (function.intxAsserted()) {
					intx(true);
				}
			}
			return;
		}
		if (irqType != PCI_INTX_IRQ_INDEX) {
			throw err(Errno.EINVAL, "INTx is not enabled");
		}
		if (type == IRQ_SET_DATA_NONE || data.get(0) != 0) {
			signal(intxTrigger);
		}
	}

	/** vfio_pci_set_msi_trigger: eventfds per vector; the function's MSI writes are not modelled. */
	private void msiTrigger(int index, int type, int start, int count, ByteBuffer data, UserProcess proc) {
		if (irqType == index && count == 0 && type == IRQ_SET_DATA_NONE) {
			irqType = IRQ_NONE;
			msiTriggers = new int[0];
			return;
		}
		if (!(irqType == index || irqType == IRQ_NONE)) {
			throw err(Errno.EINVAL, "interrupts of type %d are enabled", irqType);
		}
		if (type == IRQ_SET_DATA_EVENTFD) {
			int[] fds = new int[count];
			for (int i = 0; i < count; i++) {
				fds[i] = data.getInt(4 * i);
				if (fds[i] >= 0) {
					eventfd(proc, fds[i]);
				}
			}
			if (irqType == IRQ_NONE) {
				irqType = index;
				msiTriggers = new int[start + count];
				Arrays.fill(msiTriggers, -1);
			} else if (msiTriggers.length < start + count) {
				int old = msiTriggers.length;
				msiTriggers = Arrays.copyOf(msiTriggers, start + count);
				Arrays.fill(msiTriggers, old, msiTriggers.length, -1);
			}
			System.arraycopy(fds, 0, msiTriggers, start, count);
			irqProcess = proc;
			return;
		}
		if (irqType != index) {
			throw err(Errno.EINVAL, "interrupts of type %d are not enabled", index);
		}
		for (int i = start; i < start + count && i < msiTriggers.length; i++) {
			if (type == IRQ_SET_DATA_NONE || data.get(i - start) != 0) {
				signal(msiTriggers[i]);
			}
		}
	}

	/** vfio_pci_set_ctx_trigger_single (ERR, REQ). */
	private void singleTrigger(int index, int type, long start, long count, ByteBuffer data, UserProcess proc) {
		if (start != 0 || count > 1) {
			throw err(Errno.EINVAL, "start %d count %d", start, count);
		}
		int cur = index == PCI_ERR_IRQ_INDEX ? errTrigger : reqTrigger;
		int next = cur;
		if (type == IRQ_SET_DATA_NONE) {
			if (cur >= 0) {
				if (count != 0) {
					signal(cur);
				} else {
					next = -1;
				}
			}
		} else if (type == IRQ_SET_DATA_BOOL) {
			if (count == 0) {
				throw err(Errno.EINVAL, "count 0");
			}
			if (data.get(0) != 0 && cur >= 0) {
				signal(cur);
			}
		} else {
			if (count == 0) {
				throw err(Errno.EINVAL, "count 0");
			}
			int fd = data.getInt(0);
			if (fd >= 0) {
				eventfd(proc, fd);
				next = fd;
				irqProcess = proc;
			} else if (fd == -1) {
				next = -1;
			}
		}
		if (index == PCI_ERR_IRQ_INDEX) {
			errTrigger = next;
		} else {
			reqTrigger = next;
		}
	}

	/** eventfd_ctx_fdget: EBADF for a closed fd, EINVAL for a file that is no eventfd (one the process knows as a file or an iommufd). */
	private static void eventfd(UserProcess proc, int fd) {
		if (!proc.isOpen(fd)) {
			throw err(Errno.EBADF, "fd %d is not open", fd);
		}
		if (proc.file(fd) != null || proc.iommufd(fd) != null) {
			throw err(Errno.EINVAL, "fd %d is not an eventfd", fd);
		}
	}

	private void signal(int fd) {
		if (fd >= 0 && irqProcess != null) {
			irqProcess.signalEventfd(fd);
		}
	}

	// ---- INTx (vfio_intx_handler with PCI 2.3 masking)

	/** The function's INTx line changed (from any thread). */
	private synchronized void intx(boolean asserted) {
		if (!asserted || closed || irqType != PCI_INTX_IRQ_INDEX || intxMasked) {
			return;
		}
		// pci_check_and_mask_intx, then the eventfd; the user unmasks after handling it
		intxMasked = true;
		setPhysIntxDisable(true);
		signal(intxTrigger);
	}

	private void maskIntx() {
		if (irqType == PCI_INTX_IRQ_INDEX && !intxMasked) {
			intxMasked = true;
			setPhysIntxDisable(true);
		}
	}

	/** vfio_pci_intx_unmask: a line still asserted fires again at once. */
	private void unmaskIntx() {
		if (irqType == PCI_INTX_IRQ_INDEX && intxMasked && !virqDisabled) {
			intxMasked = false;
			setPhysIntxDisable(false);
		}
	}

	private void disableIntx() {
		irqType = IRQ_NONE;
		intxTrigger = -1;
		intxUnmaskFd = -1;
		intxMasked = false;
		setPhysIntxDisable(false);
	}

	private void setPhysIntxDisable(boolean disable) {
		int cmd = function.readConfig(PciFunction.COMMAND, 2);
		int next = disable ? cmd | PciFunction.COMMAND_INTX_DISABLE : cmd & ~PciFunction.COMMAND_INTX_DISABLE;
		if (next != cmd) {
			function.writeConfig(PciFunction.COMMAND, 2, next);
		}
	}

	// ---- reset

	/** vfio_pci_ioctl_reset: pci_try_reset_function saves and restores the header around the FLR. */
	private long reset() {
		if (!function.flrCapable()) {
			throw err(Errno.EINVAL, "%s cannot be reset", bdf());
		}
		resetFunction();
		return 0;
	}

	private void resetFunction() {
		int[] saved = new int[16];
		for (int i = 0; i < 16; i++) {
			saved[i] = function.readConfig(4 * i, 4);
		}
		function.reset();
		for (int i = 1; i < 16; i++) {
			function.writeConfig(4 * i, 4, saved[i]);
		}
	}

	// ---- read/write

	@Override
	public synchronized int pread(long offset, byte[] dst) {
		return rw(offset, dst, false);
	}

	@Override
	public synchronized int pwrite(long offset, byte[] src) {
		return rw(offset, src, true);
	}

	/** vfio_pci_rw. */
	private int rw(long offset, byte[] buf, boolean write) {
		open();
		if (!bound()) {
			throw err(Errno.EINVAL, "read/write before VFIO_DEVICE_BIND_IOMMUFD");
		}
		long index = offset >>> OFFSET_SHIFT;
		long pos = offset & ((1L << OFFSET_SHIFT) - 1);
		if (offset < 0 || index >= PCI_NUM_REGIONS) {
			throw err(Errno.EINVAL, "offset 0x%x is in no region", offset);
		}
		if (index == PCI_CONFIG_REGION_INDEX) {
			return configRw(pos, buf, write);
		}
		if (index == PCI_ROM_REGION_INDEX) {
			if (write || function.header().romSize() == 0) {
				throw err(Errno.EINVAL, "ROM %s", write ? "is read-only" : "absent");
			}
			throw err(Errno.EINVAL, "ROM contents are not modelled");
		}
		if (index == PCI_VGA_REGION_INDEX) {
			throw err(Errno.EINVAL, "%s is not a VGA device", bdf());
		}
		return barRw((int) index, pos, buf, write);
	}

	/** vfio_pci_config_rw: aligned chunks of at most 4 bytes; outside the config space: EFAULT. */
	private int configRw(long pos, byte[] buf, boolean write) {
		int size = config.size();
		if (pos >= size || pos + buf.length > size) {
			throw err(Errno.EFAULT, "config access 0x%x +%d outside %d bytes", pos, buf.length, size);
		}
		int done = 0;
		while (done < buf.length) {
			int off = (int) pos + done;
			int n = VirtConfig.chunk(off, buf.length - done);
			if (write) {
				int v = 0;
				for (int i = 0; i < n; i++) {
					v |= (buf[done + i] & 0xff) << (8 * i);
				}
				int todo = config.write(off, n, v);
				if ((todo & VirtConfig.FLR) != 0 && function.flrCapable()) {
					resetFunction();
				}
				if ((todo & VirtConfig.INTX_CHANGED) != 0) {
					boolean disable = (config.virtualCommand() & PciFunction.COMMAND_INTX_DISABLE) != 0;
					if (disable && !virqDisabled) {
						virqDisabled = true;
						maskIntx();
					} else if (!disable && virqDisabled) {
						virqDisabled = false;
						unmaskIntx();
					}
				}
			} else {
				int v = config.read(off, n);
				for (int i = 0; i < n; i++) {
					buf[done + i] = (byte) (v >>> (8 * i));
				}
			}
			done += n;
		}
		return done;
	}

	/** vfio_pci_bar_rw: truncated at the BAR's end; 8/4/2/1-byte accesses; EIO while memory decoding is off. */
	private int barRw(int bar, long pos, byte[] buf, boolean write) {
		PciBar b = function.header().bars().get(bar);
		if (!b.implemented() || pos >= b.size()) {
			throw err(Errno.EINVAL, "BAR %d has no byte 0x%x", bar, pos);
		}
		int count = (int) Math.min(buf.length, b.size() - pos);
		int done = 0;
		while (done < count) {
			long off = pos + done;
			int n = count - done >= 8 && off % 8 == 0 ? 8 : count - done >= 4 && off % 4 == 0 ? 4 : count - done >= 2 && off % 2 == 0 ? 2 : 1;
			int enable = b.kind() == PciBar.Kind.IO ? PciFunction.COMMAND_IO : PciFunction.COMMAND_MEMORY;
			if ((config.virtualCommand() & enable) == 0) {
				throw err(Errno.EIO, "%s decoding of %s is disabled", b.kind() == PciBar.Kind.IO ? "I/O" : "memory", bdf());
			}
			if (write) {
				long v = 0;
				for (int i = 0; i < n; i++) {
					v |= (buf[done + i] & 0xffL) << (8 * i);
				}
				function.barWrite(bar, off, n, v);
			} else {
				long v = function.barRead(bar, off, n);
				for (int i = 0; i < n; i++) {
					buf[done + i] = (byte) (v >>> (8 * i));
				}
			}
			done += n;
		}
		return done;
	}

	// ---- release

	/**
	 * vfio_device_fops_release: vfio_pci_core_close_device (interrupts off, the function reset)
	 * and the iommufd unbind (detach, vDEVICE gone, DEVICE destroyed). A context closed before
	 * has unbound the device already.
	 */
	@Override
	public void close() {
		synchronized (this) {
			if (closed) {
				return;
			}
			closed = true;
			if (bound()) {
				function.connectIntx(null);
				irqType = IRQ_NONE;
				intxTrigger = errTrigger = reqTrigger = intxUnmaskFd = -1;
				msiTriggers = new int[0];
				irqProcess = null;
				setPhysIntxDisable(false);
				resetFunction();
				try {
					iommufd.unbindDevice(devId);
				} catch (IllegalStateException | IommufdException e) {
					// the iommufd was released first: it unbound the device then
				}
				config = null;
			}
		}
		onClose.accept(this);
	}

	// ---- user memory

	private static int argsz(long arg, UserProcess proc) {
		return read(proc, arg, 4).getInt(0);
	}

	private static ByteBuffer read(UserProcess proc, long va, int n) {
		byte[] b = new byte[n];
		if (!proc.read(va, b)) {
			throw err(Errno.EFAULT, "%d bytes at user VA 0x%x unreadable", n, va);
		}
		return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
	}

	private static void write(UserProcess proc, long va, ByteBuffer b) {
		byte[] out = new byte[b.remaining()];
		b.duplicate().get(out);
		if (!proc.write(va, out)) {
			throw err(Errno.EFAULT, "%d bytes at user VA 0x%x not writable", out.length, va);
		}
	}

	/** copy_struct_from_user: a longer struct needs a zero tail (E2BIG). */
	private static ByteBuffer copyStructFromUser(UserProcess proc, long arg, int ksize, int usize) {
		long u = Integer.toUnsignedLong(usize);
		if (u > ksize) {
			ByteBuffer tail = read(proc, arg + ksize, (int) Math.min(u - ksize, 1 << 20));
			for (int i = 0; i < tail.capacity(); i++) {
				if (tail.get(i) != 0) {
					throw err(Errno.E2BIG, "argsz %d with non-zero bytes past %d", u, ksize);
				}
			}
		}
		return read(proc, arg, ksize);
	}

	private static ByteBuffer le(int n) {
		return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
	}

	private static ByteBuffer slice(ByteBuffer b, int n) {
		return ByteBuffer.wrap(b.array(), 0, n).slice();
	}
}
