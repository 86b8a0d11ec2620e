package smmu.accel.vsmmu;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import smmu.hw.PhysicalMemory;
import smmu.hw.SmmuSpec;
import smmu.hw.TableEntry;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.hw.emul.EmulatedSmmu;
import smmu.hw.emul.EmulatedSmmus;
import smmu.hw.emul.FrontEndHooks;
import smmu.iommufd.Errno;
import smmu.iommufd.HwInfo;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.HwptInvalidate;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;
import smmu.iommufd.VdeviceAlloc;
import smmu.iommufd.Vevent;
import smmu.iommufd.VeventqAlloc;
import smmu.iommufd.ViommuAlloc;
import smmu.vfio.AddressSpace;
import smmu.vfio.HostIommuDevice;
import smmu.vfio.PciIommuOps;
import smmu.vfio.UserBuffer;
import smmu.vfio.Vfio;
import smmu.vfio.VfioException;

/**
 * One {@code -device arm-smmuv3,primary-bus=...,accel=on}: an {@link EmulatedSmmu} with QEMU's accel ID
 * registers over guest memory, its {@link FrontEndHooks} and its {@link PciIommuOps}. Every vfio-pci
 * device behind any accel vSMMU of the VM gets the VM's one shared system AddressSpace; the first
 * device allocates the vIOMMU (on its stage-2 HWPT) with the abort and bypass HWPTs, the last one frees
 * them. Guest CFGI_STE/_RANGE/_ALL install nested HWPTs from the guest STEs, TLBI and CFGI_CD
 * commands are forwarded one per IOMMU_HWPT_INVALIDATE, GBPA writes and resets attach the abort or
 * bypass HWPT, and vEVENTQ records are injected into the guest's event queue by {@link #pollEvents}.
 * Messages QEMU only prints ({@code error_report}) are kept in {@link #reported()}. Thread-safe.
 */
public final class AccelVsmmu implements FrontEndHooks, PciIommuOps {
	/** STE words the kernel accepts in a nested HWPT: V, Config, S1Fmt, S1ContextPtr, S1CDMax. */
	static final long STE0_MASK = 0xf8ff_ffff_ffff_ffffL;
	/** S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS. */
	static final long STE1_MASK = 0x0000_0000_3800_00ffL;
	static final long STE_ABORT = 0x1, STE_BYPASS = 0x9;
	static final int ON_PARENT = 0, ON_ABORT = 1, ON_BYPASS = 2, ON_S1 = 3;

	/**
	 * The accel properties (validated elsewhere, as QEMU's {@code smmu_validate_property}).
	 *
	 * @param oas 44 or 48
	 * @param ats IDR0.ATS
	 * @param ril IDR3.RIL
	 * @param ssidsize IDR1.SSIDSIZE (0..20)
	 * @param msiGpa the MSI doorbell GPA virt.c sets (0: none)
	 */
	public record Properties(int oas, boolean ats, boolean ril, int ssidsize, long msiGpa) {
		/** QEMU's defaults on a virt machine with an ITS. */
		public static final Properties DEFAULT = new Properties(44, false, true, 0, 0x0809_0040L);
	}

	/** {@code SMMUv3AccelDevice}: one devfn behind the vSMMU with a host device attached. */
	static final class Dev {
		final int bus, devfn, vsid;
		HostIommuDevice hiod;
		int s1Hwpt, vdevId;
		/** What the device is attached to: its stage-2 HWPT, the abort or bypass HWPT, or s1Hwpt. */
		int on = ON_PARENT;

		Dev(int bus, int devfn, HostIommuDevice hiod) {
			this.bus = bus;
			this.devfn = devfn;
			this.vsid = bus << 8 | devfn;
			this.hiod = hiod;
		}
	}

	/** What the vSMMU holds on the host now, for display and tests. */
	public record HostState(int viommuId, int abortHwpt, int bypassHwpt, int veventqId, Map<Integer, int[]> devices) {}

	private final String id;
	private final Properties props;
	private final EmulatedSmmu smmu;
	private AddressSpace sharedAs;
	private final IommufdContext iommufd;
	private final UserBuffer scratch;
	private final Map<Integer, Dev> devices = new LinkedHashMap<>();
	private final List<String> reported = new ArrayList<>();
	private int viommuId, abortHwpt, bypassHwpt, veventqId;
	private int lastSeq = -1;
	private int onFirst;
	/** A live move in progress: the new AddressSpace and the vIOMMU objects built on the new parent. */
	private AddressSpace movingTo;
	private int nViommu, nParent, nAbort, nBypass, nVeventq, mGbpa, mCr0, mEvtqLog2;

	/**
	 * @param id the device id ({@code smmuv3.0})
	 * @param mmioBase its platform bus slot
	 * @param guestMemory the guest physical memory its structures are in
	 * @param sharedAs the VM's shared system AddressSpace ({@code smmuv3-accel-as-sysmem})
	 * @param iommufd the VM's iommufd context
	 * @param scratch the VMM's page for ioctl structs
	 */
	public AccelVsmmu(String id, long mmioBase, Properties props, PhysicalMemory guestMemory, AddressSpace sharedAs, IommufdContext iommufd,
			UserBuffer scratch) {
		this.id = id;
		this.props = props;
		this.sharedAs = sharedAs;
		this.iommufd = iommufd;
		this.scratch = scratch;
		SmmuSpec spec = EmulatedSmmus.qemuAccelSpec(id, mmioBase, props.oas(), props.ats());
		int[] idr = spec.idr().clone();
		idr[3] = (int) Regs.IDR3_RIL.with(Integer.toUnsignedLong(idr[3]), props.ril() ? 1 : 0);
		idr[1] = (int) Regs.IDR1_SSIDSIZE.with(Integer.toUnsignedLong(idr[1]), props.ssidsize());
		this.smmu = EmulatedSmmus.create(spec.withIdr(idr), guestMemory, this);
	}

	public String id() {
		return id;
	}

	/** The guest-visible SMMUv3. */
	public EmulatedSmmu smmu() {
		return smmu;
	}

	public Properties properties() {
		return props;
	}

	/** Messages QEMU would only print, oldest first. */
	public synchronized List<String> reported() {
		return new ArrayList<>(reported);
	}

	public synchronized HostState hostState() {
		Map<Integer, int[]> d = new LinkedHashMap<>();
		for (Dev x : devices.values()) {
			d.put(x.vsid, new int[] { x.hiod.devId(), x.s1Hwpt, x.vdevId });
		}
		return new HostState(viommuId, abortHwpt, bypassHwpt, veventqId, d);
	}

	// PciIommuOps

	@Override
	public boolean supportsAddressSpace(int bus, int devfn, DeviceKind kind) {
		if (kind == null) {
			return true;
		}
		return switch (kind) {
			case BRIDGE, PXB, ROOT, VFIO_IOMMUFD -> true;
			case VFIO_LEGACY -> throw new VfioException(
					"vfio-pci endpoint devices without an iommufd backend not allowed when using arm-smmuv3,accel=on");
			case EMULATED -> throw new VfioException("Emulated endpoint devices are not allowed when using arm-smmuv3,accel=on");
		};
	}

	/** Every device that asks is a vfio-pci one ({@link #supportsAddressSpace} let no other endpoint in). */
	@Override
	public synchronized AddressSpace getAddressSpace(int bus, int devfn) {
		return sharedAs;
	}

	@Override
	public int viommuFlags() {
		return WANT_NESTING_PARENT | (props.ssidsize() > 0 ? PASID_SUPPORTED : 0);
	}

	@Override
	public long msiDirectGpa(int bus, int devfn) {
		if (props.msiGpa() == 0) {
			throw new IllegalStateException("assertion failed: (s->msi_gpa)");
		}
		return props.msiGpa();
	}

	@Override
	public void setIommuDevice(int bus, int devfn, HostIommuDevice hiod) {
		int gbpa = smmu.read32(Regs.GBPA), cr0 = smmu.read32(Regs.CR0);
		int evtqLog2 = (int) Regs.Q_BASE_LOG2SIZE.get(smmu.read64(Regs.EVENTQ_BASE));
		synchronized (this) {
			Dev existing = devices.get(bus << 8 | devfn);
			if (existing != null) {
				if (existing.hiod.devId() == hiod.devId() && existing.hiod.iommufd() == hiod.iommufd()) {
					return;
				}
				throw new VfioException(String.format("Device already has an associated idev 0x%x", existing.hiod.devId()));
			}
			if (hiod.caps().type() != HwInfo.TYPE_ARM_SMMUV3) {
				throw new VfioException(String.format("Wrong data type (%d) for Host SMMUv3 device info", hiod.caps().type()));
			}
			int[] v = new int[6];
			for (int i = 0; i < 6; i++) {
				v[i] = smmu.spec().idr(i);
			}
			HwCompat.check(hiod.caps().idr(), v);
			Dev d = new Dev(bus, devfn, hiod);
			if (viommuId == 0) {
				allocViommu(hiod, gbpa, cr0, evtqLog2);
				d.on = onFirst;
			}
			devices.put(bus << 8 | devfn, d);
		}
	}

	/** smmuv3_accel_alloc_viommu: vIOMMU on the S2 parent, abort and bypass HWPTs, vEVENTQ, GBPA attach; unwinds. */
	private void allocViommu(HostIommuDevice hiod, int gbpa, int cr0, int evtqLog2) {
		int dev = hiod.devId();
		List<Integer> made = new ArrayList<>();
		try {
			int v = iommufd.viommuAlloc(ViommuAlloc.arm(dev, hiod.hwptId())).outViommuId();
			made.add(v);
			int abort = nested(dev, v, STE_ABORT, 0);
			made.add(abort);
			int bypass = nested(dev, v, STE_BYPASS, 0);
			made.add(bypass);
			int q = 0;
			if ((cr0 & Regs.CR0_EVENTQEN) != 0) {
				q = iommufd.veventqAlloc(VeventqAlloc.arm(v, 1 << evtqLog2)).outVeventqId();
				made.add(q);
			}
			iommufd.attachDevice(dev, (gbpa & Regs.GBPA_ABORT) != 0 ? abort : bypass);
			onFirst = (gbpa & Regs.GBPA_ABORT) != 0 ? ON_ABORT : ON_BYPASS;
			viommuId = v;
			abortHwpt = abort;
			bypassHwpt = bypass;
			veventqId = q;
			lastSeq = -1;
		} catch (IommufdException e) {
			for (int i = made.size() - 1; i >= 0; i--) {
				iommufd.destroy(made.get(i));
			}
			throw new VfioException(String.format("Unable to alloc vIOMMU: idev devid 0x%x: %s", dev, e.getMessage()), e);
		}
	}

	private int nested(int dev, int viommu, long ste0, long ste1) {
		return scratch.with(new long[] { ste0, ste1 }, va -> iommufd.hwptAlloc(HwptAlloc.nestedArm(dev, viommu, va))).outHwptId();
	}

	@Override
	public synchronized void unsetIommuDevice(int bus, int devfn) {
		Dev d = devices.get(bus << 8 | devfn);
		if (d == null) {
			return;
		}
		int dev = d.hiod.devId();
		try {
			iommufd.attachDevice(dev, d.hiod.hwptId());
		} catch (IommufdException e) {
			reported.add(String.format("Unable to attach the default HW pagetable: idev devid 0x%x", dev));
		}
		if (d.s1Hwpt != 0) {
			destroy(d.s1Hwpt);
		}
		if (d.vdevId != 0) {
			destroy(d.vdevId);
		}
		devices.remove(d.vsid);
		if (devices.isEmpty() && viommuId != 0) {
			if (veventqId != 0) {
				destroy(veventqId);
			}
			destroy(bypassHwpt);
			destroy(abortHwpt);
			destroy(viommuId);
			viommuId = abortHwpt = bypassHwpt = veventqId = 0;
		}
	}

	private void destroy(int objId) {
		try {
			iommufd.destroy(objId);
		} catch (IommufdException e) {
			reported.add(String.format("Failed to free id: %d %s", objId, e.getMessage()));
		}
	}

	// FrontEndHooks (the device's register lock is held)

	@Override
	public int command(long[] cmd) {
		int op = (int) Cmd.OP.get(cmd);
		int sid = (int) Cmd.SID.get(cmd);
		synchronized (this) {
			switch (op) {
				case Cmd.CFGI_STE:
					if (Cmd.SSEC.isSet(cmd)) {
						return Regs.CERROR_ILL;
					}
					Dev d = devices.get(sid);
					if (d == null) {
						return Regs.CERROR_NONE;
					}
					return installSte(d) ? Regs.CERROR_NONE : Regs.CERROR_ILL;
				case Cmd.CFGI_STE_RANGE: {
					if (Cmd.SSEC.isSet(cmd)) {
						return Regs.CERROR_ILL;
					}
					long mask = (1L << (Cmd.CFGI_RANGE.get(cmd) + 1)) - 1;
					long start = Integer.toUnsignedLong(sid) & ~mask, end = start + mask;
					boolean ok = true;
					for (Dev x : new ArrayList<>(devices.values())) {
						if (x.vsid >= start && x.vsid <= end && !installSte(x)) {
							reported.add(String.format("Device 0x%x: Failed to install STE", x.vsid));
							ok = false;
						}
					}
					if (!ok) {
						reported.add("Failed to install all STEs properly");
					}
					return ok ? Regs.CERROR_NONE : Regs.CERROR_ILL;
				}
				case Cmd.CFGI_CD:
				case Cmd.CFGI_CD_ALL: {
					if (Cmd.SSEC.isSet(cmd)) {
						return Regs.CERROR_ILL;
					}
					Dev x = devices.get(sid);
					if (x == null) {
						return Regs.CERROR_NONE;
					}
					return forward(cmd, x) ? Regs.CERROR_NONE : Regs.CERROR_ILL;
				}
				case Cmd.TLBI_NH_ALL:
				case Cmd.TLBI_NH_ASID:
				case Cmd.TLBI_NH_VA:
				case Cmd.TLBI_NH_VAA:
				case Cmd.TLBI_NSNH_ALL:
					return forward(cmd, null) ? Regs.CERROR_NONE : Regs.CERROR_ILL;
				case Cmd.ATC_INV: {
					Dev x = devices.get(sid);
					if (x == null || Regs.IDR0_ATS.get(Integer.toUnsignedLong(smmu.spec().idr(0))) == 0) {
						return Regs.CERROR_NONE;
					}
					return forward(cmd, x) ? Regs.CERROR_NONE : Regs.CERROR_ILL;
				}
				case Cmd.TLBI_S12_VMALL:
				case Cmd.TLBI_S2_IPA:
					// stage 2 is not offered with accel=on
					return Regs.CERROR_ILL;
				default:
					return Regs.CERROR_NONE;
			}
		}
	}

	/** smmuv3_accel_install_ste. */
	private boolean installSte(Dev d) {
		if (viommuId == 0) {
			return true;
		}
		int dev = d.hiod.devId();
		if (d.vdevId == 0) {
			try {
				d.vdevId = iommufd.vdeviceAlloc(VdeviceAlloc.request(viommuId, dev, d.vsid)).outVdeviceId();
			} catch (IommufdException e) {
				reported.add("IOMMU_VDEVICE_ALLOC failed: " + e.getMessage());
				return false;
			}
		}
		TableEntry e = smmu.readSte(d.vsid);
		if (!e.found()) {
			return true;
		}
		long[] ste = e.words();
		int hwpt;
		int s1 = 0;
		if ((smmu.read32(Regs.CR0) & Regs.CR0_SMMUEN) == 0) {
			hwpt = (smmu.read32(Regs.GBPA) & Regs.GBPA_ABORT) != 0 ? abortHwpt : bypassHwpt;
		} else {
			int config = (int) Ste.CONFIG.get(ste);
			if (!Ste.V.isSet(ste) || (config & 4) == 0) {
				hwpt = abortHwpt;
			} else if (config == Ste.CFG_BYPASS) {
				hwpt = bypassHwpt;
			} else if (config == Ste.CFG_S1_TRANS) {
				try {
					s1 = nested(dev, viommuId, ste[0] & STE0_MASK, ste[1] & STE1_MASK);
				} catch (IommufdException x) {
					reported.add(String.format("Invalid STE config for sid 0x%x: %s", d.vsid, x.getMessage()));
					return false;
				}
				hwpt = s1;
			} else {
				reported.add(String.format("Invalid STE config for sid 0x%x", d.vsid));
				return false;
			}
		}
		try {
			iommufd.attachDevice(dev, hwpt);
		} catch (IommufdException x) {
			if (s1 != 0) {
				destroy(s1);
			}
			reported.add(String.format("[iommufd] error attach %s (%d) to id=%d: %s", d.hiod.bdf(), dev, hwpt, x.getMessage()));
			return false;
		}
		if (d.s1Hwpt != 0) {
			destroy(d.s1Hwpt);
		}
		d.s1Hwpt = s1;
		d.on = hwpt == abortHwpt ? ON_ABORT : hwpt == bypassHwpt ? ON_BYPASS : ON_S1;
		return true;
	}

	/**
	 * smmuv3_accel_issue_inv_cmd: one command, entry_num 1, on the vIOMMU. During a move, TLB
	 * invalidations go to the new vIOMMU as well: devices moved already cache under its VMID.
	 */
	private boolean forward(long[] cmd, Dev d) {
		if (viommuId == 0 || (d != null && d.vdevId == 0)) {
			return true;
		}
		boolean ok = forward(cmd, viommuId);
		if (d == null && nViommu != 0) {
			ok &= forward(cmd, nViommu);
		}
		return ok;
	}

	private boolean forward(long[] cmd, int viommu) {
		try {
			HwptInvalidate r = scratch.with(cmd,
					va -> iommufd.hwptInvalidate(new HwptInvalidate(viommu, va, HwptInvalidate.DATA_ARM_SMMUV3, Cmd.BYTES, 1)));
			if (r.entryNum() != 1) {
				reported.add(String.format(
						"IOMMU_HWPT_INVALIDATE succeed but with unprocessed entries: total %d entries, processed %d entries. Kernel BUG?!", 1,
						r.entryNum()));
				return false;
			}
			return true;
		} catch (IommufdException e) {
			int done = e.response() instanceof HwptInvalidate h ? h.entryNum() : 0;
			reported.add(String.format("IOMMU_HWPT_INVALIDATE failed: total %d entries, processed %d entries", 1, done));
			return false;
		}
	}

	@Override
	public synchronized void gbpaWritten(int gbpa) {
		if (viommuId == 0) {
			return;
		}
		int hwpt = (gbpa & Regs.GBPA_ABORT) != 0 ? abortHwpt : bypassHwpt;
		boolean ok = true;
		for (Dev d : devices.values()) {
			try {
				iommufd.attachDevice(d.hiod.devId(), hwpt);
				d.on = hwpt == abortHwpt ? ON_ABORT : ON_BYPASS;
			} catch (IommufdException e) {
				reported.add(String.format("Failed to attach GBPA hwpt %d for idev devid %d", hwpt, d.hiod.devId()));
				ok = false;
			}
		}
		if (!ok) {
			reported.add("Failed to attach all GBPA based HWPTs properly");
		}
	}

	@Override
	public synchronized void cr0Written(int cr0) {
		if (viommuId == 0 || veventqId != 0 || (smmu.read32(Regs.CR0) & Regs.CR0_EVENTQEN) == 0) {
			return;
		}
		int log2 = (int) Regs.Q_BASE_LOG2SIZE.get(smmu.read64(Regs.EVENTQ_BASE));
		try {
			veventqId = iommufd.veventqAlloc(VeventqAlloc.arm(viommuId, 1 << log2)).outVeventqId();
			lastSeq = -1;
		} catch (IommufdException e) {
			reported.add("IOMMU_VEVENTQ_ALLOC failed: " + e.getMessage());
		}
	}

	// live re-plumbing (a stage-2 policy change)

	/** The AddressSpace this vSMMU gives its devices now. */
	public synchronized AddressSpace addressSpace() {
		return sharedAs;
	}

	/**
	 * Starts moving this vSMMU's devices to AddressSpace {@code as}: each device then goes through
	 * {@link #liveSwitch}, and {@link #finishMove} frees the old vIOMMU objects.
	 */
	public void beginMove(AddressSpace as) {
		int gbpa = smmu.read32(Regs.GBPA), cr0 = smmu.read32(Regs.CR0);
		int evtqLog2 = (int) Regs.Q_BASE_LOG2SIZE.get(smmu.read64(Regs.EVENTQ_BASE));
		synchronized (this) {
			if (movingTo != null) {
				throw new IllegalStateException(id + " is moving already");
			}
			movingTo = as;
			mGbpa = gbpa;
			mCr0 = cr0;
			mEvtqLog2 = evtqLog2;
		}
	}

	/** The switch for device (bus, devfn) during a move (see {@link Vfio.LiveSwitch}). */
	public Vfio.LiveSwitch liveSwitch(int bus, int devfn) {
		return hwpt -> switchDevice(bus << 8 | devfn, hwpt);
	}

	/**
	 * Switches one device onto stage-2 HWPT {@code parent} without a moment of wrong translation: the
	 * new vIOMMU (with its abort/bypass HWPTs and vEVENTQ) on that parent when this is the first device,
	 * a nested HWPT from the guest's STE as in memory now (as the STE install reads it), the vDEVICE
	 * moved (one per device: the old one goes first), then attach (replace) and the old nested HWPT freed.
	 * A device still on its stage-2 HWPT goes to the new one directly.
	 *
	 * @return false when the kernel cannot use {@code parent} for this device (EINVAL)
	 */
	private synchronized boolean switchDevice(int vsid, int parent) {
		Dev d = devices.get(vsid);
		if (movingTo == null || d == null) {
			throw new IllegalStateException(id + ": no move in progress for sid 0x" + Integer.toHexString(vsid));
		}
		int dev = d.hiod.devId();
		if (viommuId != 0 && nViommu == 0) {
			List<Integer> made = new ArrayList<>();
			try {
				int v;
				try {
					v = iommufd.viommuAlloc(ViommuAlloc.arm(dev, parent)).outViommuId();
				} catch (IommufdException e) {
					if (e.errno() == Errno.EINVAL) {
						return false;
					}
					throw e;
				}
				made.add(v);
				int abort = nested(dev, v, STE_ABORT, 0);
				made.add(abort);
				int bypass = nested(dev, v, STE_BYPASS, 0);
				made.add(bypass);
				int q = 0;
				if (veventqId != 0 || (mCr0 & Regs.CR0_EVENTQEN) != 0) {
					q = iommufd.veventqAlloc(VeventqAlloc.arm(v, 1 << mEvtqLog2)).outVeventqId();
				}
				nViommu = v;
				nParent = parent;
				nAbort = abort;
				nBypass = bypass;
				nVeventq = q;
			} catch (IommufdException e) {
				for (int i = made.size() - 1; i >= 0; i--) {
					iommufd.destroy(made.get(i));
				}
				throw new VfioException(String.format("Unable to alloc vIOMMU: idev devid 0x%x: %s", dev, e.getMessage()), e);
			}
		} else if (viommuId != 0 && nParent != parent) {
			return false;
		}
		int target, s1 = 0;
		switch (d.on) {
			case ON_ABORT -> target = nAbort;
			case ON_BYPASS -> target = nBypass;
			case ON_S1 -> {
				TableEntry e = smmu.readSte(d.vsid);
				long[] ste = e.found() ? e.words() : new long[] { 0, 0 };
				s1 = nested(dev, nViommu, ste[0] & STE0_MASK, ste[1] & STE1_MASK);
				target = s1;
			}
			default -> target = parent;
		}
		try {
			if (d.vdevId != 0) {
				destroy(d.vdevId);
				d.vdevId = iommufd.vdeviceAlloc(VdeviceAlloc.request(nViommu, dev, d.vsid)).outVdeviceId();
			}
			iommufd.attachDevice(dev, target);
		} catch (IommufdException x) {
			if (s1 != 0) {
				destroy(s1);
			}
			throw new VfioException(String.format("[iommufd] error moving %s (%d) to id=%d: %s", d.hiod.bdf(), dev, target, x.getMessage()), x);
		}
		if (d.s1Hwpt != 0) {
			destroy(d.s1Hwpt);
		}
		d.s1Hwpt = s1;
		d.hiod = new HostIommuDevice(d.hiod.bdf(), d.hiod.iommufd(), dev, parent, d.hiod.caps());
		return true;
	}

	/**
	 * Ends a move: the old vEVENTQ, abort/bypass HWPTs and vIOMMU are freed (call {@link #pollEvents}
	 * first so the guest gets what the old vEVENTQ holds) and the new ones take their place.
	 */
	public synchronized void finishMove() {
		if (movingTo == null) {
			return;
		}
		if (nViommu != 0) {
			if (veventqId != 0) {
				destroy(veventqId);
			}
			destroy(bypassHwpt);
			destroy(abortHwpt);
			destroy(viommuId);
			viommuId = nViommu;
			abortHwpt = nAbort;
			bypassHwpt = nBypass;
			veventqId = nVeventq;
			lastSeq = -1;
		}
		sharedAs = movingTo;
		movingTo = null;
		nViommu = nParent = nAbort = nBypass = nVeventq = 0;
	}

	/** Device reset ({@code smmu_reset_exit}): registers reset, then every device on the bypass HWPT. */
	public void reset() {
		smmu.reset();
	}

	/**
	 * {@code smmuv3_accel_event_read} until the vEVENTQ is empty: each record goes verbatim into the
	 * guest's event queue ({@code smmuv3_propagate_event}; a full or disabled guest queue raises
	 * GERROR.EVENTQ_ABT_ERR); overflow and sequence gaps are reported.
	 *
	 * @return the records injected
	 */
	public int pollEvents() {
		List<long[]> out = new ArrayList<>();
		synchronized (this) {
			if (veventqId == 0) {
				return 0;
			}
			for (;;) {
				List<Vevent> got = iommufd.veventqRead(veventqId, 64 * Vevent.ARM_SMMUV3_BYTES);
				if (got.isEmpty()) {
					break;
				}
				for (Vevent v : got) {
					if (v.lostEvents()) {
						reported.add(String.format("vEVENTQ(type %d id %d): overflowed", VeventqAlloc.TYPE_ARM_SMMUV3, veventqId));
						lastSeq = -1;
						continue;
					}
					if (lastSeq >= 0 && v.sequence() - lastSeq != 1) {
						reported.add(String.format("vEVENTQ(type %d id %d): lost %d event(s)", VeventqAlloc.TYPE_ARM_SMMUV3, veventqId,
								v.sequence() - lastSeq - 1));
					}
					lastSeq = v.sequence();
					// copied verbatim into the guest's queue: no field re-encoded or dropped
					out.add(v.evt());
				}
			}
		}
		for (long[] w : out) {
			smmu.propagate(w);
		}
		return out.size();
	}

	@Override
	public String toString() {
		return "AccelVsmmu[" + id + "]";
	}
}
