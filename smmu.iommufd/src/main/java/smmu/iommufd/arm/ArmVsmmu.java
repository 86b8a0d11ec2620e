package smmu.iommufd.arm;

import java.util.HashMap;
import java.util.Map;

import smmu.hw.arch.Cmd;
import smmu.hw.arch.Ste;
import smmu.hw.driver.CommandQueueException;
import smmu.hw.driver.DriverException;
import smmu.hw.driver.SteBuilder;
import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;

/**
 * The driver side of an ARM_SMMUV3 vIOMMU ({@code struct arm_vsmmu}): one physical SMMU, a nest-parent
 * stage-2 domain and the VMID the VM's TLB entries carry. Created by
 * {@link ArmSmmuV3Kernel#vsmmuInit}; allocates nested domains from guest STEs, maps vSIDs to masters
 * (vDEVICEs), converts and issues the guest's invalidation commands and receives its forwarded events.
 */
public final class ArmVsmmu {

	/** CMDQ_BATCH_ENTRIES - 1: converted guest commands issued per CMD_SYNC. */
	public static final int BATCH = 63;
	/** word 0 mask of a guest STE: V, Config, S1Fmt, S1ContextPtr, S1CDMax (0xF80F_FFFF_FFFF_FFFF). */
	public static final long VSTE_ALLOWED_0 = SteBuilder.NESTING_ALLOWED_0;
	/** word 1 mask: S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS (0x3800_00FF). */
	public static final long VSTE_ALLOWED_1 = SteBuilder.NESTING_ALLOWED_1 | Ste.EATS.mask();

	/**
	 * The response HWPT_INVALIDATE copies back, also on errors ({@link IommufdException#response()}).
	 *
	 * @param entryNum commands handled
	 */
	public record InvalidateResponse(int entryNum) {}

	private final ArmSmmuV3Kernel kernel;
	private final ArmSmmuV3 smmu;
	private final ArmDomain parent;
	private final int vmid;
	private final boolean ownVmid;
	// guarded by the kernel's lock
	private final Map<Long, Master> vdevs = new HashMap<>();
	private volatile VeventSink sink;
	private volatile boolean destroyed;
	private long issued, skipped;

	ArmVsmmu(ArmSmmuV3Kernel kernel, ArmSmmuV3 smmu, ArmDomain parent, int vmid, boolean ownVmid) {
		this.kernel = kernel;
		this.smmu = smmu;
		this.parent = parent;
		this.vmid = vmid;
		this.ownVmid = ownVmid;
	}

	public ArmSmmuV3 smmu() {
		return smmu;
	}

	public ArmDomain parent() {
		return parent;
	}

	/** The VMID of the VM's entries on this SMMU: the parent's (PER_SMMU) or the vSMMU's own (SHARED). */
	public int vmid() {
		return vmid;
	}

	boolean ownsVmid() {
		return ownVmid;
	}

	/** IOMMU_GET_HW_INFO data for devices behind this vSMMU's SMMU. */
	public ArmHwInfo hwInfo() {
		return smmu.hwInfo();
	}

	/** Connects the vEVENTQ (null disconnects: forwarded events are then handled by the host). */
	public void setEventSink(VeventSink s) {
		this.sink = s;
	}

	VeventSink sink() {
		return sink;
	}

	public boolean destroyed() {
		return destroyed;
	}

	void markDestroyed() {
		destroyed = true;
	}

	// ---- nested domains

	/**
	 * {@code arm_vsmmu_alloc_domain_nested} with {@code arm_smmu_validate_vste}.
	 *
	 * @param ste0 guest STE word 0
	 * @param ste1 guest STE word 1
	 * @param flags HWPT_ALLOC flags the core passes (FAULT_ID_VALID already stripped)
	 * @throws IommufdException EOPNOTSUPP for flags != 0; EIO for bits outside NESTING_ALLOWED, Config not
	 *         abort/bypass/S1_TRANS, EATS not ABT/TRANS
	 */
	public ArmNestedDomain allocDomainNested(long ste0, long ste1, int flags) {
		if (flags != 0) {
			throw new IommufdException(Errno.EOPNOTSUPP, "nested domain flags 0x" + Integer.toHexString(flags));
		}
		checkAlive();
		if ((ste0 & Ste.V.mask()) == 0) {
			return new ArmNestedDomain(this, 0, 0, false);
		}
		if ((ste0 & ~VSTE_ALLOWED_0) != 0 || (ste1 & ~VSTE_ALLOWED_1) != 0) {
			throw new IommufdException(Errno.EIO, String.format("vSTE bits outside NESTING_ALLOWED: 0x%016x 0x%016x", ste0 & ~VSTE_ALLOWED_0,
					ste1 & ~VSTE_ALLOWED_1));
		}
		int cfg = (int) Ste.CONFIG.get(ste0);
		if (cfg != Ste.CFG_ABORT && cfg != Ste.CFG_BYPASS && cfg != Ste.CFG_S1_TRANS) {
			throw new IommufdException(Errno.EIO, "vSTE Config " + cfg);
		}
		int eats = (int) Ste.EATS.get(ste1);
		if (eats != Ste.EATS_ABT && eats != Ste.EATS_TRANS) {
			throw new IommufdException(Errno.EIO, "vSTE EATS " + eats);
		}
		return new ArmNestedDomain(this, ste0, ste1 & ~Ste.EATS.mask(), cfg == Ste.CFG_S1_TRANS && eats == Ste.EATS_TRANS);
	}

	// ---- vDEVICEs

	/**
	 * {@code arm_vsmmu_vdevice_init}: maps {@code vsid} to {@code master}.
	 *
	 * @throws IommufdException EINVAL for a master behind another SMMU; EOPNOTSUPP unless it has exactly
	 *         one StreamID; EEXIST when the vSID is taken or the master already has a vDEVICE
	 */
	public void vdeviceInit(Master master, long vsid) {
		synchronized (kernel) {
			checkAlive();
			if (master.smmu() != smmu) {
				throw new IommufdException(Errno.EINVAL, master.name() + " is behind " + master.smmu().id() + ", not " + smmu.id());
			}
			if (master.numSids() != 1) {
				throw new IommufdException(Errno.EOPNOTSUPP, master.name() + " has " + master.numSids() + " StreamIDs");
			}
			if (master.vdeviceOf != null) {
				throw new IommufdException(Errno.EEXIST, master.name() + " already has a vDEVICE");
			}
			if (vdevs.containsKey(vsid)) {
				throw new IommufdException(Errno.EEXIST, "vSID 0x" + Long.toHexString(vsid) + " in use");
			}
			vdevs.put(vsid, master);
			master.vdeviceOf = this;
		}
	}

	/** Removes a vDEVICE; a master attached through this vSMMU loses its vmaster (events stay with the host). */
	public void vdeviceDestroy(long vsid) {
		synchronized (kernel) {
			Master m = vdevs.remove(vsid);
			if (m == null) {
				throw new IommufdException(Errno.ENOENT, "no vDEVICE with vSID 0x" + Long.toHexString(vsid));
			}
			m.vdeviceOf = null;
			Master.Vmaster vm = m.vmaster;
			if (vm != null && vm.vsmmu() == this) {
				m.vmaster = null;
			}
		}
	}

	/** The master of a vSID, or null. */
	public Master vdevice(long vsid) {
		synchronized (kernel) {
			return vdevs.get(vsid);
		}
	}

	/** {@code iommufd_viommu_get_vdev_id}: the vSID of a master, or -1. */
	long vsidOf(Master m) {
		for (Map.Entry<Long, Master> e : vdevs.entrySet()) {
			if (e.getValue() == m) {
				return e.getKey();
			}
		}
		return -1;
	}

	int vdeviceCount() {
		return vdevs.size();
	}

	/** Drops every vDEVICE (the vSMMU goes away). */
	void clearVdevices() {
		for (Master m : vdevs.values()) {
			m.vdeviceOf = null;
			Master.Vmaster vm = m.vmaster;
			if (vm != null && vm.vsmmu() == this) {
				m.vmaster = null;
			}
		}
		vdevs.clear();
	}

	// ---- invalidation

	/**
	 * {@code arm_vsmmu_cache_invalidate} as current mainline does it: each command is converted in place
	 * (TLBI_NSNH_ALL becomes TLBI_NH_ALL with this VMID; the VMID of NH_VA/NH_VAA/NH_ALL/NH_ASID is
	 * overwritten; the vSID of ATC_INV/CFGI_CD/CFGI_CD_ALL becomes the master's StreamID) and the
	 * converted commands are issued in batches of {@value #BATCH}, each with a CMD_SYNC. A failing
	 * command k reports k handled although the converted commands of its batch before k were never
	 * issued (the upstream quirk).
	 *
	 * @param cmds guest commands, two words each (not modified)
	 * @return the number handled (all of them)
	 * @throws IommufdException EINVAL for an empty array (kcalloc(0) then copy fails); EIO for an opcode
	 *         that is not accepted or an unknown vSID, or when the queue does not complete; the
	 *         {@link InvalidateResponse} response carries entry_num
	 */
	public int cacheInvalidate(long[][] cmds) {
		if (cmds.length == 0) {
			throw new IommufdException(Errno.EINVAL, "no invalidation entries", new InvalidateResponse(0));
		}
		long[][] conv = new long[cmds.length][];
		for (int i = 0; i < cmds.length; i++) {
			if (cmds[i] == null || cmds[i].length != Cmd.WORDS) {
				throw new IommufdException(Errno.EINVAL, "entry " + i + " is not two words", new InvalidateResponse(0));
			}
			conv[i] = cmds[i].clone();
		}
		int cur = 0, last = 0, end = conv.length;
		while (cur != end) {
			String bad = convert(conv[cur]);
			if (bad != null) {
				throw new IommufdException(Errno.EIO, "command " + cur + ": " + bad, new InvalidateResponse(cur));
			}
			cur++;
			if (cur != end && cur - last != BATCH) {
				continue;
			}
			long[][] batch = new long[cur - last][];
			System.arraycopy(conv, last, batch, 0, batch.length);
			try {
				smmu.driver().submitAndSync(batch);
			} catch (CommandQueueException e) {
				// arm_smmu_cmdq_skip_err: an illegal command is skipped and logged; the sync completes
				synchronized (this) {
					skipped++;
				}
			} catch (DriverException e) {
				cur--;
				throw new IommufdException(Errno.EIO, "command queue: " + e.getMessage(), new InvalidateResponse(cur));
			}
			synchronized (this) {
				issued += batch.length;
			}
			last = cur;
		}
		return cur;
	}

	/** {@code arm_vsmmu_convert_user_cmd}; returns why it is rejected, or null. */
	private String convert(long[] c) {
		int op = (int) Cmd.OP.get(c);
		switch (op) {
			case Cmd.TLBI_NSNH_ALL -> {
				c[0] = Cmd.TLBI_NH_ALL | ((long) vmid << Cmd.TLBI_VMID.lo());
				c[1] = 0;
			}
			case Cmd.TLBI_NH_VA, Cmd.TLBI_NH_VAA, Cmd.TLBI_NH_ALL, Cmd.TLBI_NH_ASID -> c[0] = Cmd.TLBI_VMID.with(c[0], vmid);
			case Cmd.ATC_INV, Cmd.CFGI_CD, Cmd.CFGI_CD_ALL -> {
				long vsid = Cmd.SID.get(c);
				Master m;
				synchronized (kernel) {
					m = vdevs.get(vsid);
				}
				if (m == null) {
					return "unknown vSID 0x" + Long.toHexString(vsid);
				}
				c[0] = Cmd.SID.with(c[0], Integer.toUnsignedLong(m.sid(0)));
			}
			default -> {
				return "opcode " + Cmd.name(op) + " not accepted";
			}
		}
		return null;
	}

	/** Guest commands issued to the SMMU so far. */
	public synchronized long issuedCommands() {
		return issued;
	}

	/** Batches in which the SMMU skipped an illegal command (logged, not reported to the guest). */
	public synchronized long skippedBatches() {
		return skipped;
	}

	private void checkAlive() {
		if (destroyed) {
			throw new IllegalStateException("vSMMU destroyed");
		}
	}

	@Override
	public String toString() {
		return "ArmVsmmu[" + smmu.id() + " vmid " + vmid + " parent " + parent.id() + "]";
	}
}
