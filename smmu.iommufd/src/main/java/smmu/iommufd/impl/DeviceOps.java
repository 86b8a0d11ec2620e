package smmu.iommufd.impl;

import static smmu.iommufd.impl.IoPagetable.err;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import smmu.iommufd.Errno;
import smmu.iommufd.HwInfo;
import smmu.iommufd.HwQueueAlloc;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.HwptInvalidate;
import smmu.iommufd.IommufdException;
import smmu.iommufd.ObjectType;
import smmu.iommufd.VdeviceAlloc;
import smmu.iommufd.Vevent;
import smmu.iommufd.VeventqAlloc;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.UserProcess;
import smmu.iommufd.VmmAddressSpace;
import smmu.iommufd.arm.ArmHwInfo;
import smmu.iommufd.arm.ArmNestedDomain;
import smmu.iommufd.arm.ArmSmmuV3Kernel;
import smmu.iommufd.arm.ArmVsmmu;
import smmu.iommufd.arm.Master;

/**
 * The device-facing ioctls of one context (device.c, hw_pagetable.c, viommu.c, eventq.c) and the
 * VFIO cdev operations, over the arm-smmu-v3 driver. Called with the context's lock held, except the
 * {@code prefetch} methods, which only read user memory.
 */
final class DeviceOps {
	private static final int PAGING_FLAGS = HwptAlloc.NEST_PARENT | HwptAlloc.DIRTY_TRACKING | HwptAlloc.FAULT_ID_VALID
			| HwptAlloc.PASID;
	private static final int NESTED_FLAGS = HwptAlloc.FAULT_ID_VALID | HwptAlloc.PASID;
	/** sizeof(struct iommu_hwpt_arm_smmuv3) and of one ARM_SMMUV3 invalidation entry. */
	private static final int ARM_STE_BYTES = 16, ARM_CMD_BYTES = 16;
	/** KMALLOC_MAX_SIZE with 4 KiB pages (order 10): larger kcalloc()s fail with ENOMEM. */
	private static final long KMALLOC_MAX = 4L << 20;

	private final ObjectTable objects;
	/** The process making the current call: its memory holds the user pointers of the structs. */
	UserProcess mm;
	private final HostKernel host;
	final SwMsi swMsi = new SwMsi();

	DeviceOps(ObjectTable objects, VmmAddressSpace mm, HostKernel host) {
		this.objects = objects;
		this.mm = new AddressSpaceProcess(mm);
		this.host = host;
	}

	/** The host whose memory pins file pages, or null for a host without devices. */
	smmu.hw.HostPlatform hostPlatform() {
		return host == null ? null : host.kernel().host();
	}

	private ArmSmmuV3Kernel kernel() {
		return host.kernel();
	}

	Device device(int id) {
		return objects.get(id, ObjectType.DEVICE, Device.class);
	}

	// ---- VFIO cdev

	int bind(String bdf) {
		Master m = host == null ? null : kernel().master(bdf);
		if (m == null) {
			throw err(Errno.ENODEV, "no device %s", bdf);
		}
		if (!host.claim(bdf)) {
			throw err(Errno.EBUSY, "%s is bound to an iommufd already", bdf);
		}
		Device d = new Device(m, host);
		try {
			objects.add(d);
		} catch (IommufdException e) {
			host.release(bdf);
			throw e;
		}
		// iommu_device_claim_dma_owner: the group leaves its default domain for the blocking one
		kernel().attachBlocked(m);
		return d.id();
	}

	/** iommufd_device_change_pt. */
	int attach(int devId, int ptId) {
		Device d = device(devId);
		Obj pt = objects.find(ptId);
		if (pt == null) {
			throw err(Errno.ENOENT, "no object with ID %s", Integer.toUnsignedString(ptId));
		}
		switch (pt.type()) {
			case HWPT_PAGING, HWPT_NESTED -> {
				attachHwpt(d, pt);
				return pt.id();
			}
			case IOAS -> {
				return autoGetDomain(d, (Ioas) pt);
			}
			default -> throw err(Errno.EINVAL, "%s %d is neither a HWPT nor an IOAS", pt.type(), ptId);
		}
	}

	/**
	 * VFIO_DEVICE_ATTACH_IOMMUFD_PT with a pasid (vfio_iommufd_physical_pasid_attach_ioas, then
	 * iommufd_device_attach with that pasid). Pasid 0 is IOMMU_NO_PASID: a plain attach. Otherwise
	 * the pt_id lookup (ENOENT; not a HWPT or IOAS: EINVAL), iommufd_hwpt_pasid_compat (a HWPT
	 * allocated without IOMMU_HWPT_ALLOC_PASID, or a RID attachment that was: EINVAL), then
	 * iommu_attach_device_pasid: a nested domain has no set_dev_pasid (EOPNOTSUPP), and a pasid at or
	 * beyond the device's max_pasids is EINVAL: the model's endpoints have no PASID capability
	 * (max_pasids 0), so no PASID attach succeeds and nothing changes. An IOAS pt_id would get a new
	 * auto domain that the same checks then destroy: the model skips making it.
	 */
	int attachPasid(int devId, int pasid, int ptId) {
		if (pasid == 0) {
			return attach(devId, ptId);
		}
		Device d = device(devId);
		Obj pt = objects.find(ptId);
		if (pt == null) {
			throw err(Errno.ENOENT, "no object with ID %s", Integer.toUnsignedString(ptId));
		}
		if (pt.type() == ObjectType.IOAS) {
			throw err(Errno.EINVAL, "%s has no PASID capability (max_pasids 0)", d.master.name());
		}
		if (pt.type() != ObjectType.HWPT_PAGING && pt.type() != ObjectType.HWPT_NESTED) {
			throw err(Errno.EINVAL, "%s %d is neither a HWPT nor an IOAS", pt.type(), ptId);
		}
		if (!(pt instanceof HwptPaging p) || !p.pasidCompat) {
			throw err(Errno.EINVAL, "HWPT %d was not allocated with IOMMU_HWPT_ALLOC_PASID", ptId);
		}
		if (d.hwpt instanceof HwptPaging rid && !rid.pasidCompat || d.hwpt instanceof HwptNested) {
			throw err(Errno.EINVAL, "the device's RID attachment (HWPT %d) is not PASID compatible", d.hwpt.id());
		}
		throw err(Errno.EINVAL, "pasid %s: %s has no PASID capability (max_pasids 0)", Integer.toUnsignedString(pasid), d.master.name());
	}

	/** VFIO_DEVICE_DETACH_IOMMUFD_PT with a pasid: a no-op for a pasid never attached (none can be). */
	void detachPasid(int devId, int pasid) {
		if (pasid == 0) {
			detach(devId);
			return;
		}
		device(devId);
	}

	/** iommufd_device_auto_get_domain: an auto domain of the IOAS the device can use, else a new one. */
	private int autoGetDomain(Device d, Ioas ioas) {
		for (Obj o : objects.all()) {
			if (o instanceof HwptPaging p && p.autoDomain && p.ioas == ioas) {
				try {
					attachHwpt(d, p);
					return p.id();
				} catch (IommufdException e) {
					// EINVAL means the domain is incompatible with the device: try the next one
					if (e.errno() != Errno.EINVAL) {
						throw e;
					}
				}
			}
		}
		HwptPaging p = allocPaging(d, ioas, 0, true);
		try {
			attachHwpt(d, p);
		} catch (IommufdException e) {
			objects.destroy(p.id());
			throw e;
		}
		return p.id();
	}

	/** The paging HWPT whose IOAS a HWPT translates through: itself, or a nested one's parent. */
	private static HwptPaging pagingOf(Obj hwpt) {
		return hwpt instanceof HwptPaging p ? p : ((HwptNested) hwpt).viommu.parent;
	}

	/**
	 * iommufd_hw_pagetable_attach / replace: the SW MSI window is reserved in the new IOAS first, the
	 * driver attaches (replacing the old domain hitlessly), then the old HWPT is released.
	 */
	private void attachHwpt(Device d, Obj hwpt) {
		Obj old = d.hwpt;
		if (old == hwpt) {
			return;
		}
		HwptPaging np = pagingOf(hwpt);
		HwptPaging op = old == null ? null : pagingOf(old);
		boolean newIoas = op == null || op.ioas != np.ioas;
		if (newIoas) {
			np.ioas.iopt().reserveSwMsi(d);
		}
		// iommufd_group_setup_msi: the doorbell pages the device's MSIs use are in the new domain before it attaches
		swMsi.setup(d, np);
		try {
			if (hwpt instanceof HwptPaging p) {
				boolean same = old instanceof HwptPaging && newIoas && op.ioas.iopt().sameTranslation(np.ioas.iopt());
				kernel().attach(d.master, p.domain, same);
			} else {
				boolean same = old instanceof HwptNested && newIoas && op.ioas.iopt().sameTranslation(np.ioas.iopt());
				kernel().attachNested(d.master, ((HwptNested) hwpt).domain, same);
			}
		} catch (RuntimeException e) {
			if (newIoas) {
				np.ioas.iopt().unreserve(d);
			}
			throw e;
		}
		d.hwpt = hwpt;
		hwpt.users++;
		if (old != null) {
			release(d, old, newIoas);
		}
	}

	/** Drops the device's use of {@code old}; an automatic domain goes with its last device. */
	private void release(Device d, Obj old, boolean unreserve) {
		old.users--;
		if (unreserve) {
			pagingOf(old).ioas.iopt().unreserve(d);
		}
		if (old instanceof HwptPaging p && p.autoDomain && p.users == 0) {
			objects.destroy(p.id());
		}
	}

	void detach(int devId) {
		detach(device(devId));
	}

	private void detach(Device d) {
		Obj old = d.hwpt;
		if (old == null) {
			return;
		}
		kernel().attachBlocked(d.master);
		d.hwpt = null;
		release(d, old, true);
	}

	/** vfio_iommufd_physical_unbind: detach, then iommufd_device_unbind (the vDEVICE is tombstoned). */
	void unbind(int devId) {
		unbind(device(devId));
	}

	/** iommufd_sw_msi: the doorbell page mapped in the device's domain; the IOVA its MSI address becomes. */
	long prepareMsi(int devId, long msiAddr) {
		Device d = device(devId);
		return swMsi.prepare(d, d.hwpt == null ? null : pagingOf(d.hwpt), msiAddr);
	}

	void unbind(Device d) {
		detach(d);
		swMsi.forget(d);
		if (d.vdev != null) {
			objects.tombstone(d.vdev.id());
		}
		d.users--;
		objects.destroy(d.id());
	}

	List<Device> devices() {
		List<Device> out = new java.util.ArrayList<>();
		for (Obj o : objects.all()) {
			if (o instanceof Device d) {
				out.add(d);
			}
		}
		return out;
	}

	// ---- HWPT_ALLOC

	/**
	 * User data an ioctl copies, read before the context's lock is taken (the copy's cost is the
	 * caller's choice): the value, or the error the copy met, raised when the locked path reaches the
	 * copy, so the kernel's order of checks stands.
	 */
	record Prefetched<T>(long uptr, long len, T value, IommufdException error) {
		T get() {
			if (error != null) {
				throw error;
			}
			return value;
		}

		boolean isFor(long uptr, long len) {
			return this.uptr == uptr && this.len == len;
		}
	}

	/** The vSTE a nested HWPT_ALLOC copies (null when its locked path copies nothing). */
	Prefetched<byte[]> prefetchVste(HwptAlloc cmd, UserProcess proc) {
		long len = Integer.toUnsignedLong(cmd.dataLen());
		if (cmd.dataType() != HwptAlloc.DATA_ARM_SMMUV3 || len < ARM_STE_BYTES) {
			return null;
		}
		try {
			return new Prefetched<>(cmd.dataUptr(), len, copyFromUser(proc, cmd.dataUptr(), len, ARM_STE_BYTES), null);
		} catch (IommufdException e) {
			return new Prefetched<>(cmd.dataUptr(), len, null, e);
		}
	}

	/** The commands an ARM_SMMUV3 HWPT_INVALIDATE copies (null when its locked path copies nothing). */
	Prefetched<long[][]> prefetchCommands(HwptInvalidate cmd, UserProcess proc) {
		long num = Integer.toUnsignedLong(cmd.entryNum()), len = Integer.toUnsignedLong(cmd.entryLen());
		if (cmd.dataType() != HwptInvalidate.DATA_ARM_SMMUV3 || num == 0 || cmd.dataUptr() == 0 || len == 0
				|| num * ARM_CMD_BYTES > KMALLOC_MAX) {
			return null;
		}
		try {
			return new Prefetched<>(cmd.dataUptr(), num * len, readCommands(proc, cmd), null);
		} catch (IommufdException e) {
			return new Prefetched<>(cmd.dataUptr(), num * len, null, e);
		}
	}

	HwptAlloc hwptAlloc(HwptAlloc cmd) {
		return hwptAlloc(cmd, null);
	}

	/** iommufd_hwpt_alloc; {@code vste} the driver data read without the lock, or null. */
	HwptAlloc hwptAlloc(HwptAlloc cmd, Prefetched<byte[]> vste) {
		int flags = cmd.flags();
		if ((cmd.dataType() == HwptAlloc.DATA_NONE) != (cmd.dataLen() == 0)) {
			throw err(Errno.EINVAL, "data_type %d with data_len %d", cmd.dataType(), Integer.toUnsignedLong(cmd.dataLen()));
		}
		Device d = device(cmd.devId());
		Obj pt = objects.find(cmd.ptId());
		if (pt == null) {
			// the core maps the failed lookup of pt_id to EINVAL
			throw err(Errno.EINVAL, "pt_id %s does not exist", Integer.toUnsignedString(cmd.ptId()));
		}
		Obj made;
		switch (pt.type()) {
			case IOAS -> {
				if ((flags & ~PAGING_FLAGS) != 0) {
					throw err(Errno.EOPNOTSUPP, "paging HWPT flags 0x%x", flags);
				}
				if ((flags & HwptAlloc.DIRTY_TRACKING) != 0 && !d.master.smmu().dirtyCapable()) {
					throw err(Errno.EOPNOTSUPP, "%s cannot track dirty pages", d.master.smmu().id());
				}
				if ((flags & HwptAlloc.FAULT_ID_VALID) != 0 && (flags & HwptAlloc.NEST_PARENT) != 0) {
					throw err(Errno.EOPNOTSUPP, "FAULT_ID_VALID with NEST_PARENT");
				}
				if (cmd.dataLen() != 0) {
					// arm_smmu_domain_alloc_paging_flags takes no user data
					throw err(Errno.EOPNOTSUPP, "arm-smmu-v3 paging domains take no driver data");
				}
				HwptPaging p = allocPaging(d, (Ioas) pt, flags & ~HwptAlloc.FAULT_ID_VALID, false);
				p.pasidCompat = (flags & HwptAlloc.PASID) != 0;
				made = p;
			}
			case HWPT_PAGING -> {
				// arm-smmu-v3 has no domain_alloc_nested: nesting goes through a vIOMMU
				throw err(Errno.EOPNOTSUPP, "nested HWPT on a parent HWPT: the driver has no domain_alloc_nested");
			}
			case VIOMMU -> made = allocNested(d, (Viommu) pt, cmd, vste);
			default -> throw err(Errno.EINVAL, "pt_id %d is a %s", cmd.ptId(), pt.type());
		}
		if ((flags & HwptAlloc.FAULT_ID_VALID) != 0) {
			// iommufd_get_fault after the HWPT exists; the HWPT then holds a user of the FAULT
			Obj fault = objects.find(cmd.faultId());
			if (fault == null || fault.type() != ObjectType.FAULT) {
				objects.destroy(made.id());
				throw err(Errno.ENOENT, "fault_id %s is not a FAULT object", Integer.toUnsignedString(cmd.faultId()));
			}
			made.holdReference(fault);
		}
		return cmd.withOutHwptId(made.id());
	}

	/** iommufd_hwpt_paging_alloc: the driver's domain, added to the IOAS. */
	private HwptPaging allocPaging(Device d, Ioas ioas, int flags, boolean auto) {
		HwptPaging p = new HwptPaging(ioas, kernel().domainAllocPaging(d.master, flags), kernel(), auto);
		try {
			objects.add(p);
		} catch (IommufdException e) {
			kernel().domainFree(p.domain);
			throw e;
		}
		try {
			p.addToIoas();
		} catch (IommufdException e) {
			objects.destroy(p.id());
			throw e;
		}
		return p;
	}

	/** iommufd_viommu_alloc_hwpt_nested with arm_vsmmu_alloc_domain_nested. */
	private HwptNested allocNested(Device d, Viommu v, HwptAlloc cmd, Prefetched<byte[]> vste) {
		if (v.iommuDev != d.master.smmu()) {
			throw err(Errno.EINVAL, "%s is behind %s, the vIOMMU is on %s", d.master.name(), d.master.smmu().id(), v.iommuDev.id());
		}
		if ((cmd.flags() & ~NESTED_FLAGS) != 0 || cmd.dataLen() == 0) {
			throw err(Errno.EOPNOTSUPP, "nested HWPT flags 0x%x, data_len %d", cmd.flags(), Integer.toUnsignedLong(cmd.dataLen()));
		}
		int flags = cmd.flags() & ~HwptAlloc.FAULT_ID_VALID;
		if (flags != 0) {
			throw err(Errno.EOPNOTSUPP, "arm-smmu-v3 nested domains take no flags (0x%x)", flags);
		}
		if (cmd.dataType() != HwptAlloc.DATA_ARM_SMMUV3) {
			throw err(Errno.EINVAL, "data_type %d, not ARM_SMMUV3", cmd.dataType());
		}
		long len = Integer.toUnsignedLong(cmd.dataLen());
		ByteBuffer ste = vste != null && vste.isFor(cmd.dataUptr(), len) ? ByteBuffer.wrap(vste.get()).order(ByteOrder.LITTLE_ENDIAN)
				: copyStructFromUser(cmd.dataUptr(), len, ARM_STE_BYTES, ARM_STE_BYTES);
		ArmNestedDomain nd = v.vsmmu.allocDomainNested(ste.getLong(0), ste.getLong(8), flags);
		HwptNested h = new HwptNested(v, nd);
		objects.add(h);
		return h;
	}

	/**
	 * iommu_copy_struct_from_user: below {@code min} bytes EINVAL; a longer user struct must be zero
	 * beyond the kernel's (E2BIG); unreadable bytes EFAULT. Returns the kernel's struct, little-endian.
	 */
	private ByteBuffer copyStructFromUser(long uptr, long usize, int ksize, int min) {
		if (usize < min) {
			throw err(Errno.EINVAL, "driver data of %d bytes, at least %d needed", usize, min);
		}
		return ByteBuffer.wrap(copyFromUser(mm, uptr, usize, ksize)).order(ByteOrder.LITTLE_ENDIAN);
	}

	/** copy_struct_from_user: the kernel's {@code ksize} bytes from a user struct of {@code usize}. */
	private static byte[] copyFromUser(UserProcess mm, long uptr, long usize, int ksize) {
		if (usize > ksize) {
			UserCopy.checkZeroed(mm, uptr + ksize, usize - ksize);
		}
		byte[] k = new byte[ksize];
		byte[] u = new byte[(int) Math.min(usize, ksize)];
		if (!mm.read(uptr, u)) {
			throw err(Errno.EFAULT, "cannot read 0x%x bytes at user VA 0x%x", u.length, uptr);
		}
		System.arraycopy(u, 0, k, 0, u.length);
		return k;
	}


	// ---- GET_HW_INFO

	/** iommufd_get_hw_info with arm_smmu_hw_info. */
	HwInfo getHwInfo(HwInfo cmd) {
		if ((cmd.flags() & ~HwInfo.FLAG_INPUT_TYPE) != 0) {
			throw err(Errno.EOPNOTSUPP, "GET_HW_INFO flags 0x%x", cmd.flags());
		}
		int type = (cmd.flags() & HwInfo.FLAG_INPUT_TYPE) != 0 ? cmd.dataType() : HwInfo.TYPE_DEFAULT;
		Device d = device(cmd.devId());
		if (type != HwInfo.TYPE_DEFAULT && type != HwInfo.TYPE_ARM_SMMUV3) {
			throw err(Errno.EOPNOTSUPP, "%s has no hw_info of type %d", d.master.smmu().id(), type);
		}
		byte[] data = d.master.smmu().hwInfo().toBytes();
		long userLen = Integer.toUnsignedLong(cmd.dataLen());
		int copy = (int) Math.min(userLen, data.length);
		if (copy > 0 && !mm.write(cmd.dataUptr(), java.util.Arrays.copyOf(data, copy))) {
			throw err(Errno.EFAULT, "cannot write user VA 0x%x", cmd.dataUptr());
		}
		// a bigger user buffer gets its tail zeroed (clear_user), without filling host memory with zeros
		if (userLen > copy && !mm.clear(cmd.dataUptr() + copy, userLen - copy)) {
			throw err(Errno.EFAULT, "cannot clear the user buffer at VA 0x%x", cmd.dataUptr() + copy);
		}
		long caps = HwInfo.CAP_PCI_ATS_NOT_SUPPORTED;
		if (d.master.smmu().dirtyCapable()) {
			caps |= HwInfo.CAP_DIRTY_TRACKING;
		}
		return new HwInfo(cmd.flags(), cmd.devId(), ArmHwInfo.BYTES, cmd.dataUptr(), ArmHwInfo.TYPE, 0, caps);
	}

	// ---- HWPT_INVALIDATE

	HwptInvalidate hwptInvalidate(HwptInvalidate cmd) {
		return hwptInvalidate(cmd, null);
	}

	/** iommufd_hwpt_invalidate: entry_num is written back on every return; {@code commands} read without the lock, or null. */
	HwptInvalidate hwptInvalidate(HwptInvalidate cmd, Prefetched<long[][]> commands) {
		int done = 0;
		try {
			if (cmd.entryNum() != 0 && (cmd.dataUptr() == 0 || cmd.entryLen() == 0)) {
				throw err(Errno.EINVAL, "entry_num %d without data_uptr or entry_len", Integer.toUnsignedLong(cmd.entryNum()));
			}
			Obj o = objects.find(cmd.hwptId());
			if (o == null) {
				throw err(Errno.ENOENT, "no object with ID %s", Integer.toUnsignedString(cmd.hwptId()));
			}
			switch (o.type()) {
				case HWPT_NESTED -> throw err(Errno.EOPNOTSUPP, "arm-smmu-v3 nested domains have no cache_invalidate_user");
				case VIOMMU -> done = vsmmuInvalidate(((Viommu) o).vsmmu, cmd, commands);
				default -> throw err(Errno.EINVAL, "%s %d cannot be invalidated", o.type(), cmd.hwptId());
			}
		} catch (IommufdException e) {
			if (e.response() instanceof ArmVsmmu.InvalidateResponse r) {
				done = r.entryNum();
			}
			IommufdException withCount = new IommufdException(e.errno(), "entry_num " + done + " (" + e.getMessage() + ")", cmd.withEntryNum(done));
			withCount.initCause(e);
			throw withCount;
		}
		return cmd.withEntryNum(done);
	}

	/** arm_vsmmu_cache_invalidate: copy the full array (iommu_copy_struct_from_full_user_array), then convert and issue. */
	private int vsmmuInvalidate(ArmVsmmu v, HwptInvalidate cmd, Prefetched<long[][]> commands) {
		if (cmd.dataType() != HwptInvalidate.DATA_ARM_SMMUV3) {
			throw err(Errno.EINVAL, "data_type %d, not ARM_SMMUV3", cmd.dataType());
		}
		long num = Integer.toUnsignedLong(cmd.entryNum()), len = Integer.toUnsignedLong(cmd.entryLen());
		if (num * ARM_CMD_BYTES > KMALLOC_MAX) {
			throw err(Errno.ENOMEM, "%d commands", num);
		}
		if (num == 0) {
			return v.cacheInvalidate(new long[0][]);
		}
		long[][] cmds = commands != null && commands.isFor(cmd.dataUptr(), num * len) ? commands.get() : readCommands(mm, cmd);
		return v.cacheInvalidate(cmds);
	}

	/** iommu_copy_struct_from_full_user_array: one copy when entry_len is the kernel's, else entry by entry. */
	private static long[][] readCommands(UserProcess mm, HwptInvalidate cmd) {
		long num = Integer.toUnsignedLong(cmd.entryNum()), len = Integer.toUnsignedLong(cmd.entryLen());
		long[][] cmds = new long[(int) num][];
		if (len == ARM_CMD_BYTES) {
			byte[] all = new byte[(int) (num * ARM_CMD_BYTES)];
			if (!mm.read(cmd.dataUptr(), all)) {
				throw err(Errno.EFAULT, "cannot read the commands at user VA 0x%x", cmd.dataUptr());
			}
			ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
			for (int i = 0; i < num; i++) {
				cmds[i] = new long[] { b.getLong(16 * i), b.getLong(16 * i + 8) };
			}
		} else {
			for (int i = 0; i < num; i++) {
				ByteBuffer b = ByteBuffer.wrap(copyFromUser(mm, cmd.dataUptr() + len * i, len, ARM_CMD_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
				cmds[i] = new long[] { b.getLong(0), b.getLong(8) };
			}
		}
		return cmds;
	}

	// ---- HW_QUEUE_ALLOC

	/**
	 * iommufd_hw_queue_alloc_ioctl: the core's checks in its order, then the driver's ops: the
	 * arm-smmu-v3 vSMMU has neither get_hw_queue_size nor hw_queue_init_phys (only Tegra241 CMDQV,
	 * not modelled, has them).
	 */
	HwQueueAlloc hwQueueAlloc(HwQueueAlloc cmd) {
		if (cmd.flags() != 0 || cmd.type() == HwQueueAlloc.TYPE_DEFAULT) {
			throw err(Errno.EOPNOTSUPP, "HW_QUEUE_ALLOC flags 0x%x type %d", cmd.flags(), cmd.type());
		}
		if (cmd.length() == 0) {
			throw err(Errno.EINVAL, "HW queue length 0");
		}
		if (Long.compareUnsigned(cmd.nestingParentIova() + cmd.length() - 1, cmd.nestingParentIova()) < 0) {
			throw err(Errno.EOVERFLOW, "nesting_parent_iova 0x%x + length 0x%x wraps", cmd.nestingParentIova(), cmd.length());
		}
		Viommu v = objects.get(cmd.viommuId(), ObjectType.VIOMMU, Viommu.class);
		throw err(Errno.EOPNOTSUPP, "the vSMMU on %s has no HW queues (no CMDQV)", v.iommuDev.id());
	}

	// ---- vIOMMU, vDEVICE, vEVENTQ

	/** iommufd_viommu_alloc_ioctl with arm_smmu_get_viommu_size and arm_vsmmu_init. */
	ViommuAlloc viommuAlloc(ViommuAlloc cmd) {
		if (cmd.flags() != 0 || cmd.type() == ViommuAlloc.TYPE_DEFAULT) {
			throw err(Errno.EOPNOTSUPP, "VIOMMU_ALLOC flags 0x%x type %d", cmd.flags(), cmd.type());
		}
		Device d = device(cmd.devId());
		if (cmd.type() != ViommuAlloc.TYPE_ARM_SMMUV3 || !kernel().viommuSupported(d.master)) {
			throw err(Errno.EOPNOTSUPP, "%s cannot host a vIOMMU of type %d for %s", d.master.smmu().id(), cmd.type(), d.master.name());
		}
		HwptPaging parent = objects.get(cmd.hwptId(), ObjectType.HWPT_PAGING, HwptPaging.class);
		if (!parent.nestParent()) {
			throw err(Errno.EINVAL, "HWPT %d is not a nest parent", cmd.hwptId());
		}
		ArmVsmmu vs = kernel().vsmmuInit(d.master, parent.domain);
		Viommu v = new Viommu(parent, vs, kernel());
		try {
			objects.add(v);
		} catch (IommufdException e) {
			kernel().vsmmuDestroy(vs);
			throw e;
		}
		return cmd.withOutViommuId(v.id());
	}

	/** iommufd_vdevice_alloc_ioctl with arm_vsmmu_vdevice_init. */
	VdeviceAlloc vdeviceAlloc(VdeviceAlloc cmd) {
		Viommu v = objects.get(cmd.viommuId(), ObjectType.VIOMMU, Viommu.class);
		Device d = device(cmd.devId());
		if (v.iommuDev != d.master.smmu()) {
			throw err(Errno.EINVAL, "%s is behind %s, the vIOMMU is on %s", d.master.name(), d.master.smmu().id(), v.iommuDev.id());
		}
		if (d.vdev != null) {
			throw err(Errno.EEXIST, "%s already has vDEVICE %d", d.master.name(), d.vdev.id());
		}
		if (v.vdevs.containsKey(cmd.virtId())) {
			throw err(Errno.EEXIST, "virt_id 0x%x is used in vIOMMU %d", cmd.virtId(), v.id());
		}
		v.vsmmu.vdeviceInit(d.master, cmd.virtId());
		Vdevice vd = new Vdevice(v, d, cmd.virtId());
		try {
			objects.add(vd);
		} catch (IommufdException e) {
			v.vsmmu.vdeviceDestroy(cmd.virtId());
			throw e;
		}
		v.vdevs.put(cmd.virtId(), vd);
		d.vdev = vd;
		return new VdeviceAlloc(cmd.viommuId(), cmd.devId(), vd.id(), cmd.virtId());
	}

	/** iommufd_veventq_alloc. */
	VeventqAlloc veventqAlloc(VeventqAlloc cmd) {
		if (cmd.flags() != 0 || cmd.type() == VeventqAlloc.TYPE_DEFAULT) {
			throw err(Errno.EOPNOTSUPP, "VEVENTQ_ALLOC flags 0x%x type %d", cmd.flags(), cmd.type());
		}
		if (cmd.veventqDepth() == 0) {
			throw err(Errno.EINVAL, "veventq_depth 0");
		}
		Viommu v = objects.get(cmd.viommuId(), ObjectType.VIOMMU, Viommu.class);
		if (v.veventqs.containsKey(cmd.type())) {
			throw err(Errno.EEXIST, "vIOMMU %d has a vEVENTQ of type %d", v.id(), cmd.type());
		}
		Veventq q = new Veventq(v, cmd.type(), cmd.veventqDepth());
		objects.add(q);
		v.veventqs.put(cmd.type(), q);
		if (cmd.type() == VeventqAlloc.TYPE_ARM_SMMUV3) {
			v.vsmmu.setEventSink(q);
		}
		return new VeventqAlloc(cmd.flags(), cmd.viommuId(), cmd.type(), cmd.veventqDepth(), q.id());
	}

	Veventq veventq(int id) {
		return objects.get(id, ObjectType.VEVENTQ, Veventq.class);
	}

	List<Vevent> veventqRead(int id, int count) {
		return veventq(id).read(Integer.toUnsignedLong(count));
	}
}
