package smmu.iommufd.impl;

import static smmu.iommufd.impl.IoPagetable.err;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import smmu.iommufd.Errno;
import smmu.iommufd.HwInfo;
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
 * VFIO cdev operations, over the arm-smmu-v3 driver. Called with the context's lock held.
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

	void unbind(Device d) {
		detach(d);
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

	/** iommufd_hwpt_alloc. */
	HwptAlloc hwptAlloc(HwptAlloc cmd) {
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
				made = allocPaging(d, (Ioas) pt, flags & ~HwptAlloc.FAULT_ID_VALID, false);
			}
			case HWPT_PAGING -> {
				// arm-smmu-v3 has no domain_alloc_nested: nesting goes through a vIOMMU
				throw err(Errno.EOPNOTSUPP, "nested HWPT on a parent HWPT: the driver has no domain_alloc_nested");
			}
			case VIOMMU -> made = allocNested(d, (Viommu) pt, cmd);
			default -> throw err(Errno.EINVAL, "pt_id %d is a %s", cmd.ptId(), pt.type());
		}
		if ((flags & HwptAlloc.FAULT_ID_VALID) != 0) {
			objects.destroy(made.id());
			throw err(Errno.ENOENT, "fault_id %s is not a FAULT object", Integer.toUnsignedString(cmd.faultId()));
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
	private HwptNested allocNested(Device d, Viommu v, HwptAlloc cmd) {
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
		ByteBuffer ste = copyStructFromUser(cmd.dataUptr(), Integer.toUnsignedLong(cmd.dataLen()), ARM_STE_BYTES, ARM_STE_BYTES);
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
		return ByteBuffer.wrap(copyFromUser(uptr, usize, ksize)).order(ByteOrder.LITTLE_ENDIAN);
	}

	/** copy_struct_from_user: the kernel's {@code ksize} bytes from a user struct of {@code usize}. */
	private byte[] copyFromUser(long uptr, long usize, int ksize) {
		if (usize > ksize) {
			checkZeroed(uptr + ksize, usize - ksize);
		}
		byte[] k = new byte[ksize];
		byte[] u = new byte[(int) Math.min(usize, ksize)];
		if (!mm.read(uptr, u)) {
			throw err(Errno.EFAULT, "cannot read 0x%x bytes at user VA 0x%x", u.length, uptr);
		}
		System.arraycopy(u, 0, k, 0, u.length);
		return k;
	}

	/** check_zeroed_user: EFAULT when unreadable, E2BIG when not zero. */
	private void checkZeroed(long va, long len) {
		byte[] chunk = new byte[(int) Math.min(len, VmmAddressSpace.PAGE_SIZE)];
		for (long done = 0; done < len;) {
			int n = (int) Math.min(chunk.length, len - done);
			byte[] b = n == chunk.length ? chunk : new byte[n];
			if (!mm.read(va + done, b)) {
				throw err(Errno.EFAULT, "cannot read user VA 0x%x", va + done);
			}
			for (byte x : b) {
				if (x != 0) {
					throw err(Errno.E2BIG, "non-zero bytes beyond the kernel's struct");
				}
			}
			done += n;
		}
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
		// a bigger user buffer gets its tail zeroed (clear_user)
		byte[] zero = new byte[(int) Math.min(userLen - copy, VmmAddressSpace.PAGE_SIZE)];
		for (long done = copy; done < userLen;) {
			int n = (int) Math.min(zero.length, userLen - done);
			if (!mm.write(cmd.dataUptr() + done, n == zero.length ? zero : new byte[n])) {
				throw err(Errno.EFAULT, "cannot clear user VA 0x%x", cmd.dataUptr() + done);
			}
			done += n;
		}
		long caps = HwInfo.CAP_PCI_ATS_NOT_SUPPORTED;
		if (d.master.smmu().dirtyCapable()) {
			caps |= HwInfo.CAP_DIRTY_TRACKING;
		}
		return new HwInfo(cmd.flags(), cmd.devId(), ArmHwInfo.BYTES, cmd.dataUptr(), ArmHwInfo.TYPE, 0, caps);
	}

	// ---- HWPT_INVALIDATE

	/** iommufd_hwpt_invalidate: entry_num is written back on every return. */
	HwptInvalidate hwptInvalidate(HwptInvalidate cmd) {
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
				case VIOMMU -> done = vsmmuInvalidate(((Viommu) o).vsmmu, cmd);
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
	private int vsmmuInvalidate(ArmVsmmu v, HwptInvalidate cmd) {
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
				ByteBuffer b = ByteBuffer.wrap(copyFromUser(cmd.dataUptr() + len * i, len, ARM_CMD_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
				cmds[i] = new long[] { b.getLong(0), b.getLong(8) };
			}
		}
		return v.cacheInvalidate(cmds);
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
