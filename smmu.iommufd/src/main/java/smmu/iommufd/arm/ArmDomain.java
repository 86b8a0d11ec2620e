package smmu.iommufd.arm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import smmu.hw.arch.Cmd;
import smmu.hw.driver.CommandQueueException;
import smmu.hw.driver.Commands;
import smmu.hw.driver.DriverException;
import smmu.hw.driver.IoPageTable;
import smmu.iommufd.IommufdException;

/**
 * A paging domain ({@code struct arm_smmu_domain} with an io-pgtable): stage 1 (ASID-tagged, installed
 * through a CD) or stage 2 (VMID-tagged, installed in the STE; a nest parent when allocated with
 * NEST_PARENT). Its invalidation array is published through an {@link AtomicReference}: the unmap fast
 * path reads it without waiting for attach or detach.
 */
public final class ArmDomain {

	public enum Stage { S1, S2 }

	private final ArmSmmuV3Kernel kernel;
	private final int id;
	private final Stage stage;
	private final boolean nestParent, dirtyTracking;
	private final ArmSmmuV3 smmu;
	private final IoPageTable pgtbl;
	/** PER_SMMU: the ASID (S1) or VMID (S2) allocated at finalise; 0 in SHARED mode. */
	final int finalisedTag;
	final AtomicReference<Invs> invs = new AtomicReference<>(Invs.empty());
	private final InvalidationCounters counters = new InvalidationCounters();
	// guarded by the kernel's lock
	int users, vsmmus;
	boolean freed;

	ArmDomain(ArmSmmuV3Kernel kernel, int id, Stage stage, boolean nestParent, boolean dirtyTracking, ArmSmmuV3 smmu, IoPageTable pgtbl,
			int finalisedTag) {
		this.kernel = kernel;
		this.id = id;
		this.stage = stage;
		this.nestParent = nestParent;
		this.dirtyTracking = dirtyTracking;
		this.smmu = smmu;
		this.pgtbl = pgtbl;
		this.finalisedTag = finalisedTag;
	}

	public int id() {
		return id;
	}

	public Stage stage() {
		return stage;
	}

	/** Allocated with IOMMU_HWPT_ALLOC_NEST_PARENT: can be the stage 2 of nested domains. */
	public boolean nestParent() {
		return nestParent;
	}

	public boolean dirtyTracking() {
		return dirtyTracking;
	}

	/** The SMMU the domain was finalised for (its page-table format comes from it). */
	public ArmSmmuV3 smmu() {
		return smmu;
	}

	public IoPageTable pageTable() {
		return pgtbl;
	}

	/** Page sizes the domain maps with (one granule). */
	public long pgsizeBitmap() {
		return pgtbl.pgsizeBitmap();
	}

	/** The aperture is [0, 2^ias - 1]. */
	public int ias() {
		return pgtbl.ias();
	}

	/** Bytes of page-table memory in use. */
	public long tableBytes() {
		return pgtbl.tableBytes();
	}

	public long iovaToPhys(long iova) {
		return pgtbl.iovaToPhys(iova);
	}

	/** The current invalidation array (a snapshot). */
	public Invs invs() {
		return invs.get();
	}

	public InvalidationCounters counters() {
		return counters;
	}

	/**
	 * The ASID (S1) or VMID (S2) this domain's TLB entries carry on {@code on}: the finalised tag in
	 * PER_SMMU mode; in SHARED mode the live S1_ASID / S2_VMID entry of that SMMU in the array; -1 if none.
	 */
	public int tag(ArmSmmuV3 on) {
		if (kernel.mode() == KernelMode.PER_SMMU) {
			return on == smmu ? finalisedTag : -1;
		}
		return findTag(on, stage == Stage.S1 ? Invs.Type.S1_ASID : Invs.Type.S2_VMID);
	}

	/** {@code arm_smmu_find_iotlb_tag}: a live entry of this type and SMMU, or -1 (ENOENT). */
	int findTag(ArmSmmuV3 on, Invs.Type type) {
		Invs a = invs.get();
		int n = a.size();
		for (int i = 0; i < n; i++) {
			Invs.Inv e = a.get(i);
			if (e.smmu() == on.index() && e.type() == type && a.users(i) != 0) {
				return e.id();
			}
		}
		return -1;
	}

	/**
	 * Maps [iova, iova + size) to [pa, pa + size) ({@code iommu_map}). No invalidation is needed: the
	 * SMMU does not cache invalid entries.
	 *
	 * @param prot {@link smmu.hw.driver.Prot} flags
	 * @throws IommufdException EINVAL, ERANGE, EEXIST, ENOMEM as io-pgtable-arm reports them
	 */
	public void map(long iova, long pa, long size, int prot) {
		checkLive();
		try {
			pgtbl.map(iova, pa, size, prot);
		} catch (DriverException e) {
			throw ArmSmmuV3Kernel.translate(e);
		}
	}

	/**
	 * Unmaps up to {@code size} bytes from {@code iova} ({@code iommu_unmap}, never splitting a block)
	 * and invalidates what was unmapped through the invalidation array before returning. Per SMMU holding
	 * the domain, per run of equally sized leaves ({@code iotlb_gather}), with that SMMU's own tags:
	 * <ul>
	 * <li>S1: TLBI_NH_VA (TLBI_EL2_VA with E2H) for each ASID, then CMD_SYNC;</li>
	 * <li>S2: TLBI_S2_IPA for each VMID (the domain's and its vSMMUs'), then CMD_SYNC;</li>
	 * <li>nest parent: additionally TLBI_NH_ALL for each of those VMIDs (combined stage-1+2 entries)
	 * in a second batch, then CMD_SYNC, so 2 TLBIs and 2 CMD_SYNCs for one page and one VMID;</li>
	 * <li>with RIL one range command per run, else one command per leaf; without RIL and at least
	 * granule/8 leaves, TLBI_NH_ASID / TLBI_S12_VMALL instead, and no TLBI_NH_ALL after S12_VMALL.</li>
	 * </ul>
	 * What was sent is in {@link #counters()}.
	 *
	 * @return bytes unmapped
	 */
	public long unmap(long iova, long size) {
		checkLive();
		List<long[]> runs = new ArrayList<>();
		long pos = iova, end = iova + size;
		while (Long.compareUnsigned(pos, end) < 0) {
			IoPageTable.Leaf leaf = pgtbl.lookup(pos);
			if (leaf == null) {
				break;
			}
			long bs = pgtbl.blockSize(leaf.level());
			if ((pos & (bs - 1)) != 0 || Long.compareUnsigned(bs, end - pos) > 0) {
				break;
			}
			long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
			// iommu_iotlb_gather_add_page: a new page size starts a new gather
			if (last != null && last[2] == bs && last[0] + last[1] == pos) {
				last[1] += bs;
			} else {
				runs.add(new long[] { pos, bs, bs });
			}
			pos += bs;
		}
		long unmapped = pgtbl.unmap(iova, size);
		if (unmapped == 0) {
			return 0;
		}
		Map<String, InvalidationCounters.PerSmmu> sent = new LinkedHashMap<>();
		long left = unmapped;
		for (long[] r : runs) {
			if (left <= 0) {
				break;
			}
			long len = Math.min(r[1], left);
			invalidateRange(r[0], len, r[2], true, sent);
			left -= len;
		}
		counters.record(sent);
		return unmapped;
	}

	private void checkLive() {
		if (freed) {
			throw new IllegalStateException("domain " + id + " freed");
		}
	}

	/**
	 * {@code arm_smmu_domain_inv_range}: walks the live entries of the published array, batching per
	 * SMMU; a batch (with a CMD_SYNC) is issued when the SMMU changes, before the first
	 * S2_VMID_S1_CLEAR and before the first ATS entry of an SMMU, and at the end.
	 */
	void invalidateRange(long iova, long size, long granule, boolean leaf, Map<String, InvalidationCounters.PerSmmu> sent) {
		Invs a = invs.get();
		int n = a.size();
		int pageShift = pgtbl.granuleShift();
		ArmSmmuV3 cur = null;
		List<long[]> batch = new ArrayList<>();
		boolean s1ClearSeen = false, atsSeen = false;
		for (int i = 0; i < n; i++) {
			if (a.users(i) == 0) {
				continue;
			}
			Invs.Inv e = a.get(i);
			ArmSmmuV3 s = kernel.smmuAt(e.smmu());
			if (s != cur) {
				flush(cur, batch, sent);
				cur = s;
				s1ClearSeen = false;
				atsSeen = false;
			}
			boolean ril = s.features().ril();
			switch (e.type()) {
				case S1_ASID -> batch.addAll(Commands.planTlbi(s.features().e2h() ? Commands.TlbiKind.EL2_VA : Commands.TlbiKind.NH_VA, 0,
						e.id(), iova, size, granule, leaf, pageShift, ril));
				case S2_VMID, S2_VMID_VSMMU -> batch.addAll(Commands.planTlbi(Commands.TlbiKind.S2_IPA, e.id(), 0, iova, size, granule, leaf,
						pageShift, ril));
				case S2_VMID_S1_CLEAR -> {
					// S12_VMALL already removed the stage-1 entries of this VMID
					if (Commands.tooBig(size, granule, ril)) {
						continue;
					}
					// stage-1 (combined) entries are flushed after the stage-2 ones are gone
					if (!s1ClearSeen) {
						flush(cur, batch, sent);
						s1ClearSeen = true;
					}
					batch.add(Commands.tlbiNhAll(e.id()));
				}
				case ATS, ATS_FULL -> {
					if (!atsSeen) {
						flush(cur, batch, sent);
						atsSeen = true;
					}
					batch.add(e.type() == Invs.Type.ATS_FULL ? Commands.atcInvRange(e.id(), 0, 0, 0)
							: Commands.atcInvRange(e.id(), e.ssid(), iova, size));
				}
			}
		}
		flush(cur, batch, sent);
	}

	/** Linux's CMDQ_BATCH_ENTRIES (BITS_PER_LONG). */
	static final int CMDQ_BATCH_ENTRIES = 64;

	/** Issues a batch and its CMD_SYNC on one SMMU and counts them. */
	static void flush(ArmSmmuV3 s, List<long[]> batch, Map<String, InvalidationCounters.PerSmmu> sent) {
		if (s == null || batch.isEmpty()) {
			return;
		}
		long tlbi = 0, atc = 0;
		for (long[] c : batch) {
			if (Commands.opcode(c) == Cmd.ATC_INV) {
				atc++;
			} else {
				tlbi++;
			}
		}
		// arm_smmu_cmdq_batch_add: with ARM_SMMU_OPT_CMDQ_FORCE_SYNC (every MMU-700, erratum 2812531) a batch
		// holding CMDQ_BATCH_ENTRIES - 1 = 63 commands is issued with a CMD_SYNC before the next is added;
		// without it a full batch of 64 goes without one and only the last carries the sync.
		int chunk = s.driver().errata().cmdqForceSync() ? CMDQ_BATCH_ENTRIES - 1 : batch.size();
		int syncs = 0;
		for (int from = 0; from < batch.size(); from += chunk) {
			try {
				s.driver().submitAndSync(batch.subList(from, Math.min(batch.size(), from + chunk)).toArray(new long[0][]));
			} catch (CommandQueueException e) {
				// arm_smmu_cmdq_skip_err: the illegal command was skipped, the sync completed
			}
			syncs++;
		}
		batch.clear();
		if (sent != null) {
			sent.merge(s.id(), new InvalidationCounters.PerSmmu(tlbi, atc, syncs), InvalidationCounters.PerSmmu::plus);
		}
	}

	@Override
	public String toString() {
		return String.format("ArmDomain[%d %s%s @%s %s]", id, stage, nestParent ? " nest-parent" : "", smmu.id(), invs.get());
	}
}
