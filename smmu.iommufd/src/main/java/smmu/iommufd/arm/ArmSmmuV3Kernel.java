package smmu.iommufd.arm;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import smmu.hw.Event;
import smmu.hw.HostPlatform;
import smmu.hw.PciEndpoint;
import smmu.hw.Smmu;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Ste;
import smmu.hw.driver.CdBuilder;
import smmu.hw.driver.Commands;
import smmu.hw.driver.DriverException;
import smmu.hw.driver.EntryWriter;
import smmu.hw.driver.Features;
import smmu.hw.driver.IoPageTable;
import smmu.hw.driver.SmmuDriver;
import smmu.hw.driver.SteBuilder;
import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;

/**
 * The host's arm-smmu-v3 driver model: one {@link ArmSmmuV3} per SMMU the platform probed, one
 * {@link Master} per PCI endpoint, the global ASID space, paging-domain allocation
 * ({@code arm_smmu_domain_alloc_paging_flags}), attach with the per-domain invalidation arrays
 * ({@code arm_smmu_attach_dev} and its prepare/commit), vSMMU creation and event handling.
 * <p>
 * Attach, allocation and free are serialized on this object (the group/ASID mutexes); the unmap fast
 * path and translations take no lock of it.
 */
public final class ArmSmmuV3Kernel {

	/** IOMMU_HWPT_ALLOC flags the driver sees. */
	public static final int ALLOC_NEST_PARENT = 1 << 0, ALLOC_DIRTY_TRACKING = 1 << 1, ALLOC_PASID = 1 << 3;
	/** VA_BITS of the host kernel (the S1 input size cap). */
	public static final int VA_BITS = 48;
	/** The host's PAGE_SIZE. */
	public static final int PAGE_SIZE = 4096;

	private static final Set<Integer> FORWARDED = Set.of(0x04, 0x06, 0x08, 0x0a, 0x10, 0x11, 0x12, 0x13);

	private final HostPlatform host;
	private final KernelMode mode;
	private final List<ArmSmmuV3> smmus = new ArrayList<>();
	private final Map<String, ArmSmmuV3> byId = new LinkedHashMap<>();
	private final Map<String, Master> masters = new LinkedHashMap<>();
	private final Map<Long, Master> bySid = new HashMap<>();
	private final IdAllocator asids = new IdAllocator("ASID", Errno.EBUSY);
	private int nextDomainId = 1;
	private long eventsForwarded, eventsHost;
	private long steDirect, steHitless, steBreaking, s2Switches;

	/**
	 * @param host the platform; SMMUs without a driver (not probed) are ignored, as are their endpoints
	 * @param mode SHARED (share-domain series) or PER_SMMU (current mainline)
	 */
	public ArmSmmuV3Kernel(HostPlatform host, KernelMode mode) {
		this.host = host;
		this.mode = mode;
		for (Smmu s : host.smmus()) {
			SmmuDriver d = host.driver(s.id()).orElse(null);
			if (d == null) {
				continue;
			}
			ArmSmmuV3 a = new ArmSmmuV3(smmus.size(), s, d);
			smmus.add(a);
			byId.put(a.id(), a);
		}
		for (PciEndpoint ep : host.endpoints()) {
			if (byId.containsKey(ep.smmu())) {
				addMaster(ep.bdf(), ep.smmu(), false, ep.sid());
			}
		}
	}

	public HostPlatform host() {
		return host;
	}

	public KernelMode mode() {
		return mode;
	}

	public List<ArmSmmuV3> smmus() {
		return List.copyOf(smmus);
	}

	/** The SMMU of an id, or null. */
	public ArmSmmuV3 smmu(String id) {
		return byId.get(id);
	}

	ArmSmmuV3 smmuAt(int index) {
		return smmus.get(index);
	}

	/** The global ASID space ({@code arm_smmu_asid_xa}). */
	public IdAllocator asids() {
		return asids;
	}

	public synchronized List<Master> masters() {
		return List.copyOf(masters.values());
	}

	/** The master of a device name (PCI BDF), or null. */
	public synchronized Master master(String name) {
		return masters.get(name);
	}

	/** The master owning StreamID {@code sid} on {@code smmu}, or null. */
	public synchronized Master masterOf(ArmSmmuV3 smmu, int sid) {
		return bySid.get(sidKey(smmu, sid));
	}

	private static long sidKey(ArmSmmuV3 s, int sid) {
		return (long) s.index() << 32 | Integer.toUnsignedLong(sid);
	}

	/**
	 * Adds a master (a device the platform does not list as a PCI endpoint, e.g. with several StreamIDs);
	 * its level-2 stream tables are allocated with abort STEs, as at probe.
	 *
	 * @throws IllegalArgumentException for an unknown SMMU, a name or StreamID in use
	 */
	public synchronized Master addMaster(String name, String smmuId, boolean canwbs, int... sids) {
		ArmSmmuV3 s = byId.get(smmuId);
		if (s == null || masters.containsKey(name) || sids.length == 0) {
			throw new IllegalArgumentException("cannot add master " + name + " on " + smmuId);
		}
		for (int sid : sids) {
			if (bySid.containsKey(sidKey(s, sid))) {
				throw new IllegalArgumentException("StreamID 0x" + Integer.toHexString(sid) + " on " + smmuId + " in use");
			}
		}
		Master m = new Master(name, s, sids, canwbs);
		for (int sid : sids) {
			s.driver().ensureL2(sid);
			bySid.put(sidKey(s, sid), m);
		}
		masters.put(name, m);
		return m;
	}

	// ---- domains

	/**
	 * {@code arm_smmu_domain_alloc_paging_flags} for a device: flags 0 gives S1 (S2 without stage 1);
	 * NEST_PARENT a nest-parent S2 (needs nesting; S2FWB quirk with FEAT_S2FWB); DIRTY and/or PASID an S1.
	 * Finalised for the device's SMMU: S1 ias = min(VAX ? 52 : 48, VA_BITS), S2 ias = oas = the SMMU's
	 * oas, 4 KiB granule. In PER_SMMU mode the ASID (global) or VMID (the SMMU's) is allocated here.
	 *
	 * @throws IommufdException EOPNOTSUPP for unknown flags, other combinations, missing stages, nesting
	 *         or dirty tracking; EBUSY when no ASID is left, ENOSPC when no VMID is left
	 */
	public synchronized ArmDomain domainAllocPaging(Master dev, int flags) {
		return domainAllocPaging(dev, flags, null);
	}

	/**
	 * {@link #domainAllocPaging(Master, int)} with the HWPT_ALLOC user data: the Arm driver takes none for
	 * a paging domain.
	 *
	 * @throws IommufdException EOPNOTSUPP when {@code userData} is not null
	 */
	public synchronized ArmDomain domainAllocPaging(Master dev, int flags, byte[] userData) {
		if (userData != null) {
			throw new IommufdException(Errno.EOPNOTSUPP, "paging domains take no driver data");
		}
		ArmSmmuV3 s = dev.smmu();
		Features f = s.features();
		if ((flags & ~(ALLOC_NEST_PARENT | ALLOC_DIRTY_TRACKING | ALLOC_PASID)) != 0) {
			throw new IommufdException(Errno.EOPNOTSUPP, "unsupported flags 0x" + Integer.toHexString(flags));
		}
		ArmDomain.Stage stage;
		boolean nestParent = false;
		switch (flags) {
			case 0 -> stage = f.s1p() ? ArmDomain.Stage.S1 : ArmDomain.Stage.S2;
			case ALLOC_NEST_PARENT -> {
				if (!f.nesting()) {
					throw new IommufdException(Errno.EOPNOTSUPP, s.id() + " cannot nest");
				}
				stage = ArmDomain.Stage.S2;
				nestParent = true;
			}
			case ALLOC_DIRTY_TRACKING, ALLOC_PASID, ALLOC_DIRTY_TRACKING | ALLOC_PASID -> {
				if (!f.s1p()) {
					throw new IommufdException(Errno.EOPNOTSUPP, s.id() + " has no stage 1");
				}
				stage = ArmDomain.Stage.S1;
			}
			default -> throw new IommufdException(Errno.EOPNOTSUPP, "flag combination 0x" + Integer.toHexString(flags));
		}
		boolean dirty = (flags & ALLOC_DIRTY_TRACKING) != 0;
		if (dirty && !s.dirtyCapable()) {
			throw new IommufdException(Errno.EOPNOTSUPP, s.id() + " cannot track dirty pages");
		}
		EnumSet<IoPageTable.Quirk> quirks = EnumSet.noneOf(IoPageTable.Quirk.class);
		IoPageTable.Config cfg;
		if (stage == ArmDomain.Stage.S1) {
			if (dirty) {
				quirks.add(IoPageTable.Quirk.ARM_HD);
			}
			cfg = new IoPageTable.Config(IoPageTable.Format.ARM_64_LPAE_S1, f.pgsizeBitmap(), Math.min(f.vax() ? 52 : 48, VA_BITS), f.oasBits(),
					f.coherent(), quirks, PAGE_SIZE);
		} else {
			if (nestParent && f.fwb()) {
				quirks.add(IoPageTable.Quirk.ARM_S2FWB);
			}
			cfg = new IoPageTable.Config(IoPageTable.Format.ARM_64_LPAE_S2, f.pgsizeBitmap(), f.oasBits(), f.oasBits(), f.coherent(), quirks,
					PAGE_SIZE);
		}
		IoPageTable pt;
		try {
			pt = IoPageTable.allocate(cfg, host.allocator());
		} catch (DriverException e) {
			throw translate(e);
		}
		int tag = 0;
		if (mode == KernelMode.PER_SMMU) {
			try {
				tag = stage == ArmDomain.Stage.S1 ? asids.allocate(s.maxAsid()) : s.vmids().allocate(s.maxVmid());
			} catch (IommufdException e) {
				pt.free();
				throw e;
			}
		}
		return new ArmDomain(this, nextDomainId++, stage, nestParent, dirty, s, pt, tag);
	}

	/**
	 * Frees a paging domain: its page table and, in PER_SMMU mode, its ASID/VMID.
	 *
	 * @throws IommufdException EBUSY while a master or a vSMMU uses it
	 */
	public synchronized void domainFree(ArmDomain d) {
		if (d.freed) {
			return;
		}
		if (d.users > 0 || d.vsmmus > 0) {
			throw new IommufdException(Errno.EBUSY, "domain " + d.id() + " has " + d.users + " devices and " + d.vsmmus + " vSMMUs");
		}
		d.pageTable().free();
		if (mode == KernelMode.PER_SMMU) {
			if (d.stage() == ArmDomain.Stage.S1) {
				asids.free(d.finalisedTag);
			} else {
				if (d.nestParent()) {
					flushTag(new Invs.Inv(d.smmu().index(), Invs.Type.S2_VMID, d.finalisedTag, 0));
				}
				d.smmu().vmids().free(d.finalisedTag);
			}
		}
		d.freed = true;
	}

	/**
	 * {@code arm_smmu_domain_can_share} (share series, with the review's granule rule): the domain's
	 * stage is supported by {@code s}, its granule (lowest page size) is in s's page sizes, its oas fits
	 * s's, a coherent walk needs a coherent s, the S2FWB quirk needs S2FWB.
	 */
	public boolean canShare(ArmDomain d, ArmSmmuV3 s) {
		Features f = s.features();
		IoPageTable pt = d.pageTable();
		if (d.stage() == ArmDomain.Stage.S1 ? !f.s1p() : !f.s2p()) {
			return false;
		}
		if ((f.pgsizeBitmap() & Long.lowestOneBit(pt.pgsizeBitmap())) == 0) {
			return false;
		}
		if (pt.oas() > f.oasBits()) {
			return false;
		}
		if (pt.config().coherentWalk() && !f.coherent()) {
			return false;
		}
		return !pt.hasQuirk(IoPageTable.Quirk.ARM_S2FWB) || f.fwb();
	}

	private void checkShare(ArmDomain d, ArmSmmuV3 s) {
		if (d.freed) {
			throw new IllegalStateException("domain " + d.id() + " freed");
		}
		if (mode == KernelMode.PER_SMMU ? d.smmu() != s : !canShare(d, s)) {
			throw new IommufdException(Errno.EINVAL, "domain " + d.id() + " of " + d.smmu().id() + " cannot be used on " + s.id());
		}
	}

	// ---- attach

	/**
	 * Attaches a paging domain ({@code arm_smmu_attach_dev}): prepare (merge the master's entries into
	 * the domain's invalidation array and publish it), write the CD (S1) and the STEs, commit (unref the
	 * old domain's array, flushing tags that lost their last user, purge and publish).
	 *
	 * @throws IommufdException EINVAL for a domain of another SMMU (PER_SMMU) or one it cannot share
	 *         (SHARED); EBUSY for an S2 domain while PASIDs (SSIDs > 0) are in use
	 */
	public synchronized void attach(Master m, ArmDomain d) {
		attach(m, d, false);
	}

	/**
	 * {@link #attach(Master, ArmDomain)}; with {@code sameTranslation} an S2 to S2 replace differing only
	 * in the VMID and S2TTB qwords is made in two hitless steps, as {@link #attachNested(Master,
	 * ArmNestedDomain, boolean)} does.
	 */
	public synchronized void attach(Master m, ArmDomain d, boolean sameTranslation) {
		ArmSmmuV3 s = m.smmu();
		checkShare(d, s);
		boolean s1 = d.stage() == ArmDomain.Stage.S1;
		if (!s1) {
			checkNoPasids(m);
		}
		Invs.Type tt = s1 ? Invs.Type.S1_ASID : Invs.Type.S2_VMID;
		int tag;
		boolean newTag = false;
		if (mode == KernelMode.PER_SMMU) {
			tag = d.finalisedTag;
		} else {
			tag = d.findTag(s, tt);
			if (tag < 0) {
				tag = s1 ? asids.allocate(s.maxAsid()) : s.vmids().allocate(s.maxVmid());
				newTag = true;
			}
		}
		// Mainline pairs a nest parent's S2_VMID with S2_VMID_S1_CLEAR (its vSMMUs share that VMID). In the
		// share series each vSMMU has its own VMID and only the S2_VMID_VSMMU tag gets the S1 clear (v4
		// patch 06 with its review fix): a device attached to the parent directly has no stage 1 to clear.
		Invs build = d.nestParent() && mode == KernelMode.PER_SMMU
				? Invs.of(new Invs.Inv(s.index(), tt, tag, 0), new Invs.Inv(s.index(), Invs.Type.S2_VMID_S1_CLEAR, tag, 0))
				: Invs.of(new Invs.Inv(s.index(), tt, tag, 0));
		d.invs.set(Invs.merge(d.invs.get(), build));
		try {
			if (s1) {
				if (m.cdTable == null) {
					m.cdTable = s.driver().allocCdTable(0);
				}
				s.driver().writeCd(m.cdTable, 0, CdBuilder.s1(d.pageTable(), tag, false), m.sids());
				m.cdInUse = true;
				writeStes(m, SteBuilder.cdTable(s.features(), m.cdTable, Ste.S1DSS_SSID0, false, false));
			} else {
				long[] ste = SteBuilder.s2(s.features(), d.pageTable(), tag, false, false);
				if (sameTranslation && m.state == Master.State.PAGING && m.paging.stage() == ArmDomain.Stage.S2) {
					writeStesS2Switch(m, ste);
				} else {
					writeStes(m, ste);
				}
				clearCd(m);
			}
		} catch (DriverException e) {
			undoPrepare(d, build, newTag);
			throw translate(e);
		}
		settle(m, Master.State.PAGING, d, null, build, d, null);
	}

	/**
	 * Attaches a nested domain ({@code arm_smmu_attach_dev_nested}): the master must sit behind the
	 * vSMMU's SMMU; an S1_TRANS vSTE needs a vDEVICE. The physical STE is abort (V = 0 or Config abort),
	 * the parent's S2 STE (bypass) or the nested STE with MEV (S1_TRANS), all with the vSMMU's VMID. The
	 * master's entries go into the parent's invalidation array: S2_VMID (S2_VMID_VSMMU in SHARED mode)
	 * and S2_VMID_S1_CLEAR of the vSMMU's VMID.
	 *
	 * @throws IommufdException EINVAL (other SMMU), EBUSY (PASIDs in use), ENOENT (S1_TRANS without vDEVICE)
	 */
	public synchronized void attachNested(Master m, ArmNestedDomain nd) {
		attachNested(m, nd, false);
	}

	/**
	 * {@link #attachNested(Master, ArmNestedDomain)} where the caller may assert that the new parent
	 * translates exactly as the current one ({@code sameTranslation}: both stage-2 tables map the same
	 * IPAs to the same host pages). Then a nested-to-nested replace whose STE differs only in qword 2
	 * (VMID, VTCR) and qword 3 (S2TTB), which Linux's entry writer would make breaking (V = 0), is done
	 * make-before-break as two hitless writes: S2TTB first (the old VMID's TLB entries stay right, the
	 * translation being identical), then the VMID. A deliberate deviation from current Linux.
	 */
	public synchronized void attachNested(Master m, ArmNestedDomain nd, boolean sameTranslation) {
		ArmVsmmu v = nd.vsmmu();
		if (v.destroyed()) {
			throw new IllegalStateException("vSMMU destroyed");
		}
		ArmSmmuV3 s = m.smmu();
		if (v.smmu() != s) {
			throw new IommufdException(Errno.EINVAL, m.name() + " is behind " + s.id() + ", the vSMMU is on " + v.smmu().id());
		}
		checkNoPasids(m);
		long vsid = v.vsidOf(m);
		if (vsid < 0 && nd.config() == Ste.CFG_S1_TRANS) {
			throw new IommufdException(Errno.ENOENT, m.name() + " has no vDEVICE on " + v);
		}
		ArmDomain parent = v.parent();
		Invs.Type tt = mode == KernelMode.SHARED ? Invs.Type.S2_VMID_VSMMU : Invs.Type.S2_VMID;
		Invs build = Invs.of(new Invs.Inv(s.index(), tt, v.vmid(), 0), new Invs.Inv(s.index(), Invs.Type.S2_VMID_S1_CLEAR, v.vmid(), 0));
		parent.invs.set(Invs.merge(parent.invs.get(), build));
		try {
			long[] ste = SteBuilder.nested(s.features(), nd.guestSte(), parent.pageTable(), v.vmid(), false, false);
			if (sameTranslation && m.state == Master.State.NESTED) {
				writeStesS2Switch(m, ste);
			} else {
				writeStes(m, ste);
			}
			clearCd(m);
		} catch (DriverException e) {
			undoPrepare(parent, build, false);
			throw translate(e);
		}
		settle(m, Master.State.NESTED, null, nd, build, parent, vsid >= 0 ? new Master.Vmaster(v, vsid) : null);
	}

	/** After the STE write: drops the old domain's entries and records what the master is attached to now. */
	private void settle(Master m, Master.State state, ArmDomain paging, ArmNestedDomain nested, Invs build, ArmDomain owner,
			Master.Vmaster vmaster) {
		commit(m);
		m.state = state;
		m.paging = paging;
		m.nested = nested;
		m.buildInvs = build;
		m.invsOwner = owner;
		m.vmaster = vmaster;
		owner.users++;
	}

	/** Blocked attach: abort STEs; the vmaster is cleared. */
	public synchronized void attachBlocked(Master m) {
		attachSte(m, SteBuilder.abort(), Master.State.BLOCKED);
	}

	/** Identity attach: bypass STEs; the vmaster is cleared. */
	public synchronized void attachIdentity(Master m) {
		attachSte(m, SteBuilder.bypass(m.smmu().features()), Master.State.IDENTITY);
	}

	private void attachSte(Master m, long[] ste, Master.State state) {
		try {
			writeStes(m, ste);
			clearCd(m);
		} catch (DriverException e) {
			throw translate(e);
		}
		commit(m);
		m.state = state;
		m.paging = null;
		m.nested = null;
		m.buildInvs = null;
		m.invsOwner = null;
		m.vmaster = null;
	}

	/** §3.10: a domain without a CD table cannot replace one whose SSIDs > 0 are in use. */
	private static void checkNoPasids(Master m) {
		if (m.cdTable != null && m.cdTable.usedSsids() > (m.cdInUse ? 1 : 0)) {
			throw new IommufdException(Errno.EBUSY, m.name() + " has PASIDs attached");
		}
	}

	private void writeStes(Master m, long[] ste) {
		for (int i = 0; i < m.numSids(); i++) {
			count(m.smmu().driver().writeSte(m.sid(i), ste));
		}
	}

	/** Two hitless steps when only qwords 2 and 3 differ (see attachNested), else the entry writer's way. */
	private void writeStesS2Switch(Master m, long[] ste) {
		SmmuDriver drv = m.smmu().driver();
		for (int i = 0; i < m.numSids(); i++) {
			int sid = m.sid(i);
			long[] cur = drv.readSte(sid);
			boolean only23 = cur != null && cur[2] != ste[2] && cur[3] != ste[3];
			for (int q = 0; only23 && q < EntryWriter.QWORDS; q++) {
				only23 = q == 2 || q == 3 || cur[q] == ste[q];
			}
			if (!only23) {
				count(drv.writeSte(sid, ste));
				continue;
			}
			long[] mid = cur.clone();
			mid[3] = ste[3];
			count(drv.writeSte(sid, mid));
			count(drv.writeSte(sid, ste));
			s2Switches++;
		}
	}

	private void count(EntryWriter.Outcome o) {
		switch (o.mode()) {
			case DIRECT -> steDirect++;
			case HITLESS -> steHitless++;
			case BREAKING -> steBreaking++;
		}
	}

	/**
	 * STE writes by the driver so far.
	 *
	 * @param direct writes where no used bit changed
	 * @param hitless single-critical-qword writes
	 * @param breaking writes through V = 0
	 * @param s2Switches make-before-break parent switches (each two hitless writes)
	 */
	public record SteWrites(long direct, long hitless, long breaking, long s2Switches) {}

	public synchronized SteWrites steWrites() {
		return new SteWrites(steDirect, steHitless, steBreaking, s2Switches);
	}

	private void clearCd(Master m) {
		if (m.cdInUse) {
			m.smmu().driver().writeCd(m.cdTable, 0, CdBuilder.clear(), m.sids());
			m.cdInUse = false;
		}
	}

	private void undoPrepare(ArmDomain d, Invs build, boolean newTag) {
		Invs a = d.invs.get();
		Invs.unref(a, build);
		Invs p = Invs.purge(a);
		if (p != null) {
			d.invs.set(p);
		}
		if (newTag) {
			freeTag(build.get(0));
		}
	}

	/**
	 * {@code arm_smmu_attach_commit}: unref the master's previous entries from the previous domain's
	 * array; a tag that lost its last user is flushed (nsize opcode + CMD_SYNC: an ASID/VMID in no array
	 * must be clean in the IOTLB) and, in SHARED mode, freed (not S2_VMID_VSMMU: the vSMMU frees it);
	 * then the array is purged and republished.
	 */
	private void commit(Master m) {
		Invs old = m.buildInvs;
		ArmDomain owner = m.invsOwner;
		if (old == null) {
			return;
		}
		Invs a = owner.invs.get();
		Invs.unref(a, old);
		for (int i = 0; i < old.size(); i++) {
			Invs.Inv e = old.get(i);
			if (old.users(i) == 0 && e.type().tag()) {
				flushTag(e);
				if (mode == KernelMode.SHARED && e.type() != Invs.Type.S2_VMID_VSMMU) {
					freeTag(e);
				}
			}
		}
		Invs p = Invs.purge(a);
		if (p != null) {
			owner.invs.set(p);
		}
		owner.users--;
	}

	private void flushTag(Invs.Inv e) {
		ArmSmmuV3 s = smmuAt(e.smmu());
		long[] cmd = switch (e.type()) {
			case S1_ASID -> s.features().e2h() ? Commands.tlbiEl2Asid(e.id()) : Commands.tlbiNhAsid(0, e.id());
			default -> Commands.tlbiS12Vmall(e.id());
		};
		ArmDomain.flush(s, new ArrayList<>(List.of(cmd)), null);
	}

	private void freeTag(Invs.Inv e) {
		if (e.type() == Invs.Type.S1_ASID) {
			asids.free(e.id());
		} else {
			smmuAt(e.smmu()).vmids().free(e.id());
		}
	}

	// ---- vSMMU

	/**
	 * {@code arm_smmu_get_viommu_size} != 0: the SMMU nests and the master is CANWBS or the SMMU has
	 * S2FWB (otherwise the core fails VIOMMU_ALLOC with EOPNOTSUPP).
	 */
	public boolean viommuSupported(Master m) {
		Features f = m.smmu().features();
		return f.nesting() && (m.canwbs() || f.fwb());
	}

	/**
	 * {@code arm_vsmmu_init} for a vIOMMU whose device is {@code m}: the vSMMU sits on m's SMMU. The
	 * parent must be a nest-parent S2 domain. PER_SMMU: the parent's SMMU must be m's and the vSMMU uses
	 * the parent's VMID. SHARED: the parent must pass {@link #canShare} and the vSMMU gets its own VMID
	 * from the SMMU's space, freed by {@link #vsmmuDestroy}.
	 *
	 * @throws IommufdException EOPNOTSUPP when {@link #viommuSupported} is false; EINVAL otherwise
	 */
	public synchronized ArmVsmmu vsmmuInit(Master m, ArmDomain parent) {
		ArmSmmuV3 s = m.smmu();
		if (!viommuSupported(m)) {
			throw new IommufdException(Errno.EOPNOTSUPP, s.id() + " cannot host a vSMMU for " + m.name());
		}
		if (parent.freed || parent.stage() != ArmDomain.Stage.S2 || !parent.nestParent()) {
			throw new IommufdException(Errno.EINVAL, "domain " + parent.id() + " is not a nest parent");
		}
		checkShare(parent, s);
		ArmVsmmu v;
		if (mode == KernelMode.PER_SMMU) {
			v = new ArmVsmmu(this, s, parent, parent.finalisedTag, false);
		} else {
			v = new ArmVsmmu(this, s, parent, s.vmids().allocate(s.maxVmid()), true);
		}
		parent.vsmmus++;
		return v;
	}

	/**
	 * {@code arm_vsmmu_destroy}: drops its vDEVICEs and frees the vSMMU's own VMID (SHARED).
	 *
	 * @throws IommufdException EBUSY while a master is attached to one of its nested domains
	 */
	public synchronized void vsmmuDestroy(ArmVsmmu v) {
		if (v.destroyed()) {
			return;
		}
		for (Master m : masters.values()) {
			if (m.nested != null && m.nested.vsmmu() == v) {
				throw new IommufdException(Errno.EBUSY, m.name() + " is attached to a nested domain of " + v);
			}
		}
		v.clearVdevices();
		if (v.ownsVmid()) {
			// the VMID goes back to the pool clean: no entry a late translation cached under it survives
			flushTag(new Invs.Inv(v.smmu().index(), Invs.Type.S2_VMID, v.vmid(), 0));
			v.smmu().vmids().free(v.vmid());
		}
		v.parent().vsmmus--;
		v.markDestroyed();
	}

	// ---- events

	/**
	 * {@code arm_smmu_evtq_thread} for one SMMU: drains its event queue; a record of a forwarded type
	 * (C_BAD_STE, F_STREAM_DISABLED, C_BAD_SUBSTREAMID, C_BAD_CD, F_TRANSLATION, F_ADDR_SIZE, F_ACCESS,
	 * F_PERMISSION) that is not a stage-2 fault, from a master with a vmaster, goes to its vSMMU's sink
	 * as {@code arm_vmaster_report_event} does: the raw record with only the StreamID replaced by the
	 * vSID, every other bit (STAG, PnU, InD, IMPLEMENTATION DEFINED and reserved bits) as the SMMU wrote
	 * it. The host handles the rest.
	 */
	public EventReport handleEvents(ArmSmmuV3 s) {
		List<long[]> records = s.driver().drainEventRecords();
		int fwd = 0, hostHandled = 0;
		for (long[] raw : records) {
			Event e = Event.decode(raw);
			Master m = e == null ? null : masterOf(s, e.sid());
			Master.Vmaster vm = m == null ? null : m.vmaster;
			if (vm != null && !e.s2() && FORWARDED.contains(e.type().code())) {
				VeventSink sink = vm.vsmmu().sink();
				long[] w = raw.clone();
				w[0] = Cmd.SID.with(w[0], vm.vsid() & 0xffff_ffffL);
				if (sink != null && sink.deliver(w)) {
					fwd++;
					continue;
				}
			}
			hostHandled++;
		}
		synchronized (this) {
			eventsForwarded += fwd;
			eventsHost += hostHandled;
		}
		return new EventReport(fwd, hostHandled);
	}

	/** {@link #handleEvents(ArmSmmuV3)} for every SMMU. */
	public EventReport handleEvents() {
		int f = 0, h = 0;
		for (ArmSmmuV3 s : smmus) {
			EventReport r = handleEvents(s);
			f += r.forwarded();
			h += r.hostHandled();
		}
		return new EventReport(f, h);
	}

	/** Events forwarded to vSMMUs and handled by the host so far. */
	public synchronized EventReport eventTotals() {
		return new EventReport((int) eventsForwarded, (int) eventsHost);
	}

	/** A driver-library error as the errno the iommufd uAPI returns (ENXIO/ETIMEDOUT become EIO). */
	static IommufdException translate(DriverException e) {
		Errno errno;
		try {
			errno = Errno.valueOf(e.errno().name());
		} catch (IllegalArgumentException x) {
			errno = Errno.EIO;
		}
		return new IommufdException(errno, e.getMessage());
	}

	@Override
	public String toString() {
		return "ArmSmmuV3Kernel[" + mode + " " + smmus + "]";
	}
}
