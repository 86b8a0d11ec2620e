package smmu.hw.driver;

import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

import smmu.hw.Event;
import smmu.hw.FrameAllocator;
import smmu.hw.PhysicalMemory;
import smmu.hw.SmmuRegisters;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;

/**
 * Drives one SMMUv3 (physical or virtual) through its registers and memory, as Linux's arm-smmu-v3
 * does: {@link #probe} reads the ID registers, {@link #init} allocates the stream table and queues
 * and runs the reset sequence, {@link #submit}/{@link #sync} use the command queue, {@link #writeSte}
 * and {@link #writeCd} update entries with the hitless entry writer, {@link #drainEvents} reads the
 * event queue.
 * <p>
 * The SMMU may be synchronous (it acts when a register is written) or not: every wait polls a bounded
 * number of times ({@link Options#pollLimit}) and then fails with ETIMEDOUT. All methods are
 * serialized on this object.
 */
public final class SmmuDriver {

	/**
	 * Driver parameters.
	 *
	 * @param cmdqLog2 log2 of the command queue entries wanted (capped by IDR1.CMDQS)
	 * @param evtqLog2 log2 of the event queue entries wanted (capped by IDR1.EVENTQS)
	 * @param pollLimit register polls before a wait gives up
	 * @param skipPrefetch do not issue PREFETCH_CFG after an STE write (ARM_SMMU_OPT_SKIP_PREFETCH)
	 * @param kernelE2h the kernel runs at EL2 with E2H (STRW = EL2, TLBI_EL2_* for stage 1)
	 * @param page0RegsOnly use the page-0 aliases of the event queue pointers (ARM_SMMU_OPT_PAGE0_REGS_ONLY)
	 */
	public record Options(int cmdqLog2, int evtqLog2, int pollLimit, boolean skipPrefetch, boolean kernelE2h, boolean page0RegsOnly) {
		public static final Options DEFAULT = new Options(8, 8, 100_000, false, false, false);

		public Options {
			if (cmdqLog2 < 1 || cmdqLog2 > 19 || evtqLog2 < 1 || evtqLog2 > 19 || pollLimit < 1) {
				throw new IllegalArgumentException("queue log2 sizes 1..19 and a positive poll limit expected");
			}
		}

		public Options withQueues(int cmdq, int evtq) {
			return new Options(cmdq, evtq, pollLimit, skipPrefetch, kernelE2h, page0RegsOnly);
		}

		public Options withPollLimit(int polls) {
			return new Options(cmdqLog2, evtqLog2, polls, skipPrefetch, kernelE2h, page0RegsOnly);
		}

		public Options withSkipPrefetch(boolean skip) {
			return new Options(cmdqLog2, evtqLog2, pollLimit, skip, kernelE2h, page0RegsOnly);
		}

		public Options withKernelE2h(boolean e2h) {
			return new Options(cmdqLog2, evtqLog2, pollLimit, skipPrefetch, e2h, page0RegsOnly);
		}

		public Options withPage0RegsOnly(boolean page0) {
			return new Options(cmdqLog2, evtqLog2, pollLimit, skipPrefetch, kernelE2h, page0);
		}
	}

	/**
	 * Driver counters.
	 *
	 * @param commands commands written to the queue (CMD_SYNCs included)
	 * @param syncs CMD_SYNCs waited for
	 * @param cmdqErrors CMDQ_ERR conditions handled
	 * @param gerrors global errors acknowledged
	 * @param steWrites STE writes
	 * @param steSyncs entry-writer steps for STEs (each a CFGI_STE + CMD_SYNC)
	 * @param cdWrites CD writes
	 * @param cdSyncs entry-writer steps for CDs
	 * @param events event records read
	 * @param unknownEvents records with an unknown event type
	 * @param eventOverflows event queue overflows seen (EVENTQ_PROD.OVFLG toggled)
	 */
	public record Stats(long commands, long syncs, long cmdqErrors, long gerrors, long steWrites, long steSyncs, long cdWrites, long cdSyncs,
			long events, long unknownEvents, long eventOverflows) {}

	private static final int PAGE1 = 0x10000;
	private static final int STRTAB_SPLIT = 8, STRTAB_L2_STES = 1 << STRTAB_SPLIT, STRTAB_MAX_L1 = 1 << 17;
	private static final int CTXDESC_LINEAR_CDMAX = 10;
	private static final int GERROR_ERR_MASK = 0x1fd;
	// CR1: table and queue accesses inner shareable, inner/outer write-back
	private static final int CR1_WB = 1, CR1_ISH = 3;
	private static final int CR1_VALUE = CR1_ISH << 10 | CR1_WB << 8 | CR1_WB << 6 | CR1_ISH << 4 | CR1_WB << 2 | CR1_WB;
	private static final int CR2_E2H = 1, CR2_RECINVSID = 1 << 1, CR2_PTM = 1 << 2;

	private final SmmuRegisters regs;
	private final PhysicalMemory mem;
	private final FrameAllocator alloc;
	private final Features features;
	private final Options options;
	private final Errata errata;
	private final int evtqProdReg, evtqConsReg;

	private boolean allocated, cmdqEnabled, enabled;
	private long structureBytes;
	// stream table
	private long strtabBase;
	private int strtabCfg, l1Entries;
	private long[] l2Tables;
	// command queue
	private long cmdqBase;
	private int cmdqLog2, cmdqProd, cmdqCons;
	private CommandQueueException pendingError, lastError;
	// event queue
	private long evtqBase;
	private int evtqLog2, evtqProd, evtqCons;
	// counters
	private long commands, syncs, cmdqErrors, gerrors, steWrites, steSyncs, cdWrites, cdSyncs, events, unknownEvents, eventOverflows;

	private SmmuDriver(SmmuRegisters regs, PhysicalMemory mem, FrameAllocator alloc, Features features, Options options, Errata errata) {
		this.errata = errata;
		this.regs = regs;
		this.mem = mem;
		this.alloc = alloc;
		this.features = features;
		this.options = options;
		this.evtqProdReg = Regs.EVENTQ_PROD + (options.page0RegsOnly() ? 0 : PAGE1);
		this.evtqConsReg = Regs.EVENTQ_CONS + (options.page0RegsOnly() ? 0 : PAGE1);
	}

	public static SmmuDriver probe(SmmuRegisters regs, PhysicalMemory memory, FrameAllocator allocator) {
		return probe(regs, memory, allocator, Options.DEFAULT);
	}

	/**
	 * Reads IDR0..IDR5 and checks the driver can use the SMMU. Nothing is written.
	 *
	 * @throws DriverException ENXIO for an SMMU the driver cannot use
	 */
	public static SmmuDriver probe(SmmuRegisters regs, PhysicalMemory memory, FrameAllocator allocator, Options options) {
		if (allocator.memory() != memory) {
			throw new IllegalArgumentException("the allocator must allocate from the same memory");
		}
		int[] idr = new int[6];
		for (int i = 0; i < 6; i++) {
			idr[i] = regs.read32(Regs.IDR0 + 4 * i);
		}
		Features f = Features.decode(idr, options.kernelE2h());
		String why = f.unsupportedReason();
		if (why != null) {
			throw new DriverException(Errno.ENXIO, why);
		}
		// arm_smmu_device_iidr_probe
		Errata errata = Errata.of(regs.read32(Regs.IIDR));
		return new SmmuDriver(regs, memory, allocator, errata.apply(f), options, errata);
	}

	// ---- accessors

	/** The features the driver uses: the ID registers' with the IIDR-based errata applied. */
	public Features features() {
		return features;
	}

	/** What {@code arm_smmu_device_iidr_probe} made of SMMU_IIDR. */
	public Errata errata() {
		return errata;
	}

	public Options options() {
		return options;
	}

	public SmmuRegisters registers() {
		return regs;
	}

	public PhysicalMemory memory() {
		return mem;
	}

	public FrameAllocator allocator() {
		return alloc;
	}

	/** SMMUEN has been acknowledged by {@link #init}. */
	public synchronized boolean isEnabled() {
		return enabled;
	}

	/** Stream table (linear) or L1 table (2-level) address. */
	public synchronized long strtabBase() {
		return strtabBase;
	}

	/** The STRTAB_BASE_CFG value written. */
	public synchronized int strtabBaseCfg() {
		return strtabCfg;
	}

	public boolean twoLevelStrtab() {
		return features.twoLevelStrtab();
	}

	/** L1 descriptors of a 2-level stream table, 0 when linear. */
	public synchronized int strtabL1Entries() {
		return l1Entries;
	}

	/** Level-2 stream tables allocated so far. */
	public synchronized int strtabL2Tables() {
		int n = 0;
		if (l2Tables != null) {
			for (long t : l2Tables) {
				n += t == 0 ? 0 : 1;
			}
		}
		return n;
	}

	public synchronized long cmdqBase() {
		return cmdqBase;
	}

	public synchronized int cmdqLog2() {
		return cmdqLog2;
	}

	/** The driver's CMDQ_PROD (wrap and index). */
	public synchronized int cmdqProd() {
		return cmdqProd;
	}

	public synchronized long evtqBase() {
		return evtqBase;
	}

	public synchronized int evtqLog2() {
		return evtqLog2;
	}

	/** The driver's EVENTQ_CONS (overflow, wrap and index). */
	public synchronized int evtqCons() {
		return evtqCons;
	}

	/** Bytes of stream table, level-2 stream tables and queues allocated. */
	public synchronized long structureBytes() {
		return structureBytes;
	}

	/** The last command the SMMU rejected, or null. */
	public synchronized CommandQueueException lastCommandError() {
		return lastError;
	}

	public synchronized Stats stats() {
		return new Stats(commands, syncs, cmdqErrors, gerrors, steWrites, steSyncs, cdWrites, cdSyncs, events, unknownEvents, eventOverflows);
	}

	// ---- allocation

	private long allocDma(long size, long align) {
		long pa;
		try {
			pa = alloc.allocate(size, Math.max(align, 64));
		} catch (IllegalStateException e) {
			throw new DriverException(Errno.ENOMEM, e.getMessage());
		}
		structureBytes += (size + 7) & ~7L;
		return pa;
	}

	private void allocateStructures() {
		cmdqLog2 = Math.max(1, Math.min(features.cmdqLog2(), options.cmdqLog2()));
		long cmdqBytes = (long) Cmd.BYTES << cmdqLog2;
		cmdqBase = allocDma(cmdqBytes, cmdqBytes);
		evtqLog2 = Math.max(1, Math.min(features.evtqLog2(), options.evtqLog2()));
		long evtqBytes = (long) Event.BYTES << evtqLog2;
		evtqBase = allocDma(evtqBytes, evtqBytes);
		int sidBits = features.sidBits();
		if (features.twoLevelStrtab()) {
			long lastL1 = ((1L << sidBits) - 1) >>> STRTAB_SPLIT;
			l1Entries = (int) Math.min(lastL1 + 1, STRTAB_MAX_L1);
			strtabBase = allocDma(8L * l1Entries, 8L * l1Entries);
			l2Tables = new long[l1Entries];
			int log2 = 31 - Integer.numberOfLeadingZeros(l1Entries) + STRTAB_SPLIT;
			strtabCfg = (int) (Regs.STRTAB_CFG_FMT.with(0, Regs.STRTAB_FMT_2LVL) | Regs.STRTAB_CFG_LOG2SIZE.with(0, log2)
					| Regs.STRTAB_CFG_SPLIT.with(0, STRTAB_SPLIT));
		} else {
			long n = 1L << sidBits;
			strtabBase = allocDma(n * Ste.BYTES, n * Ste.BYTES);
			initAbortStes(strtabBase, n);
			strtabCfg = (int) (Regs.STRTAB_CFG_FMT.with(0, Regs.STRTAB_FMT_LINEAR) | Regs.STRTAB_CFG_LOG2SIZE.with(0, sidBits));
		}
		allocated = true;
	}

	private void initAbortStes(long base, long n) {
		long abort = SteBuilder.abort()[0];
		for (long i = 0; i < n; i++) {
			mem.write64(base + i * Ste.BYTES, abort);
		}
	}

	// ---- reset sequence

	/**
	 * Allocates the stream table and queues (first call only) and runs {@code arm_smmu_device_reset}:
	 * disable, CR1/CR2, stream table and command queue registers, CMDQEN, CFGI_ALL (+ TLBI_EL2_ALL with
	 * HYP) + TLBI_NSNH_ALL each with a sync, event queue registers, EVENTQEN, ATSCHK (with ATS),
	 * IRQ_CTRL, SMMUEN, waiting for CR0ACK each time.
	 */
	private void resetCommand(long[] cmd) {
		try {
			submitAndSync(cmd);
		} catch (CommandQueueException e) {
			// recorded in lastCommandError(), as Linux only logs it
		}
	}

	public synchronized void init() {
		if (!allocated) {
			allocateStructures();
		}
		if ((regs.read32(Regs.CR0) & Regs.CR0_SMMUEN) != 0) {
			updateGbpa(Regs.GBPA_ABORT, 0);
		}
		disableLocked();
		regs.write32(Regs.CR1, CR1_VALUE);
		regs.write32(Regs.CR2, CR2_PTM | CR2_RECINVSID | (features.e2h() ? CR2_E2H : 0));
		regs.write64(Regs.STRTAB_BASE, (strtabBase & Regs.STRTAB_BASE_ADDR_MASK) | Regs.STRTAB_BASE_RA);
		regs.write32(Regs.STRTAB_BASE_CFG, strtabCfg);
		regs.write64(Regs.CMDQ_BASE, Regs.Q_BASE_RA | (cmdqBase & Regs.Q_BASE_ADDR_MASK) | cmdqLog2);
		cmdqProd = 0;
		cmdqCons = 0;
		pendingError = null;
		regs.write32(Regs.CMDQ_PROD, cmdqProd);
		regs.write32(Regs.CMDQ_CONS, cmdqCons);
		int enables = Regs.CR0_CMDQEN;
		writeRegSync(Regs.CR0, enables, Regs.CR0ACK);
		cmdqEnabled = true;
		// arm_smmu_device_reset: a command the SMMU rejects here is skipped and logged, and the reset goes on
		resetCommand(Commands.cfgiAll());
		if (features.hyp()) {
			resetCommand(Commands.tlbiEl2All());
		}
		resetCommand(Commands.tlbiNsnhAll());
		regs.write64(Regs.EVENTQ_BASE, Regs.Q_BASE_RA | (evtqBase & Regs.Q_BASE_ADDR_MASK) | evtqLog2);
		evtqProd = 0;
		evtqCons = 0;
		regs.write32(evtqProdReg, evtqProd);
		regs.write32(evtqConsReg, evtqCons);
		enables |= Regs.CR0_EVENTQEN;
		writeRegSync(Regs.CR0, enables, Regs.CR0ACK);
		if (features.ats()) {
			enables |= Regs.CR0_ATSCHK;
			writeRegSync(Regs.CR0, enables, Regs.CR0ACK);
		}
		writeRegSync(Regs.IRQ_CTRL, 0, Regs.IRQ_CTRLACK);
		regs.write64(Regs.GERROR_IRQ_CFG0, 0);
		regs.write64(Regs.EVENTQ_IRQ_CFG0, 0);
		writeRegSync(Regs.IRQ_CTRL, Regs.IRQ_CTRL_GERROR_IRQEN | Regs.IRQ_CTRL_EVENTQ_IRQEN, Regs.IRQ_CTRLACK);
		enables |= Regs.CR0_SMMUEN;
		writeRegSync(Regs.CR0, enables, Regs.CR0ACK);
		enabled = true;
	}

	/** CR0 = 0 and wait for CR0ACK ({@code arm_smmu_device_disable}). */
	public synchronized void disable() {
		disableLocked();
	}

	private void disableLocked() {
		writeRegSync(Regs.CR0, 0, Regs.CR0ACK);
		cmdqEnabled = false;
		enabled = false;
	}

	private void writeRegSync(int off, int val, int ackOff) {
		regs.write32(off, val);
		for (int i = 0; i < options.pollLimit(); i++) {
			if (regs.read32(ackOff) == val) {
				return;
			}
			Thread.onSpinWait();
		}
		throw new DriverException(Errno.ETIMEDOUT, String.format("register 0x%x = 0x%x not acknowledged at 0x%x (reads 0x%x)", off, val, ackOff,
				regs.read32(ackOff)));
	}

	/** Sets GBPA.ABORT (or clears it) with the UPDATE handshake: incoming traffic aborts while SMMUEN = 0. */
	public synchronized void gbpa(boolean abort) {
		if (abort) {
			updateGbpa(Regs.GBPA_ABORT, 0);
		} else {
			updateGbpa(0, Regs.GBPA_ABORT);
		}
	}

	/** {@code arm_smmu_update_gbpa}: wait for UPDATE = 0, write (reg & ~clr | set | UPDATE), wait for UPDATE = 0. */
	public synchronized void updateGbpa(int set, int clr) {
		int reg = waitGbpa();
		reg = (reg & ~clr) | set;
		regs.write32(Regs.GBPA, reg | Regs.GBPA_UPDATE);
		waitGbpa();
	}

	private int waitGbpa() {
		for (int i = 0; i < options.pollLimit(); i++) {
			int reg = regs.read32(Regs.GBPA);
			if ((reg & Regs.GBPA_UPDATE) == 0) {
				return reg;
			}
			Thread.onSpinWait();
		}
		throw new DriverException(Errno.ETIMEDOUT, "GBPA not responding to update");
	}

	// ---- command queue

	private int qMask(int log2) {
		return (1 << (log2 + 1)) - 1;
	}

	private boolean cmdqFull(int prod, int cons) {
		return ((prod ^ cons) & qMask(cmdqLog2)) == 1 << cmdqLog2;
	}

	/** Linux's {@code queue_consumed}: CONS has moved past the entry at {@code pos}. */
	private boolean consumed(int cons, int pos) {
		int wrap = 1 << cmdqLog2, idx = wrap - 1;
		return ((cons & wrap) == (pos & wrap) && (cons & idx) > (pos & idx)) || ((cons & wrap) != (pos & wrap) && (cons & idx) <= (pos & idx));
	}

	private void requireCmdq() {
		if (!cmdqEnabled) {
			throw new IllegalStateException("command queue not enabled: call init()");
		}
	}

	/**
	 * Writes the commands at CMDQ_PROD and publishes the new PROD once (earlier if the queue fills,
	 * then waiting for CONS to make room). Does not wait for completion.
	 */
	public synchronized void submit(long[]... cmds) {
		requireCmdq();
		for (long[] c : cmds) {
			insert(c);
		}
		regs.write32(Regs.CMDQ_PROD, cmdqProd);
	}

	/** Submits the commands, then a CMD_SYNC, and waits for it ({@code arm_smmu_cmdq_issue_cmd_with_sync}). */
	public synchronized void submitAndSync(long[]... cmds) {
		submit(cmds);
		sync();
	}

	private void insert(long[] c) {
		if (c.length != Cmd.WORDS) {
			throw new IllegalArgumentException("a command has two words");
		}
		if (cmdqFull(cmdqProd, cmdqCons)) {
			cmdqCons = regs.read32(Regs.CMDQ_CONS) & qMask(cmdqLog2);
			if (cmdqFull(cmdqProd, cmdqCons)) {
				regs.write32(Regs.CMDQ_PROD, cmdqProd);
				waitNotFull();
			}
		}
		long addr = cmdqBase + ((long) (cmdqProd & ((1 << cmdqLog2) - 1)) << 4);
		mem.write64(addr, c[0]);
		mem.write64(addr + 8, c[1]);
		cmdqProd = (cmdqProd + 1) & qMask(cmdqLog2);
		commands++;
	}

	private void waitNotFull() {
		for (int i = 0; i < options.pollLimit(); i++) {
			cmdqCons = regs.read32(Regs.CMDQ_CONS) & qMask(cmdqLog2);
			if (!cmdqFull(cmdqProd, cmdqCons)) {
				return;
			}
			handleGlobalErrors();
			Thread.onSpinWait();
		}
		throw new DriverException(Errno.ETIMEDOUT, String.format("command queue full [prod 0x%08x, hwcons 0x%08x]", cmdqProd,
				regs.read32(Regs.CMDQ_CONS)));
	}

	/**
	 * Issues a CMD_SYNC and waits until CONS passes it. A command the SMMU rejected meanwhile
	 * (GERROR.CMDQ_ERR with CERROR_ILL) is replaced by a CMD_SYNC and GERRORN acknowledged, as Linux
	 * does; the sync still completes, then a {@link CommandQueueException} reports the skipped command.
	 *
	 * @throws DriverException ETIMEDOUT when CONS does not reach the sync within the poll limit
	 */
	public synchronized void sync() {
		requireCmdq();
		int pos = cmdqProd;
		insert(Commands.cmdSync());
		regs.write32(Regs.CMDQ_PROD, cmdqProd);
		syncs++;
		boolean done = false;
		for (int i = 0; i < options.pollLimit(); i++) {
			int cons = regs.read32(Regs.CMDQ_CONS);
			cmdqCons = cons & qMask(cmdqLog2);
			if (consumed(cons, pos)) {
				done = true;
				break;
			}
			handleGlobalErrors();
			Thread.onSpinWait();
		}
		if (!done) {
			throw new DriverException(Errno.ETIMEDOUT, String.format("CMD_SYNC timeout at 0x%08x [hwprod 0x%08x, hwcons 0x%08x]", pos,
					regs.read32(Regs.CMDQ_PROD), regs.read32(Regs.CMDQ_CONS)));
		}
		if (pendingError != null) {
			CommandQueueException e = pendingError;
			pendingError = null;
			throw e;
		}
	}

	/** {@code arm_smmu_gerror_handler}, polled: handles CMDQ_ERR and acknowledges every active error. */
	private void handleGlobalErrors() {
		int gerror = regs.read32(Regs.GERROR);
		int active = gerror ^ regs.read32(Regs.GERRORN);
		if ((active & GERROR_ERR_MASK) == 0) {
			return;
		}
		gerrors++;
		if ((active & Regs.GERROR_SFM_ERR) != 0) {
			regs.write32(Regs.GERRORN, gerror);
			disableLocked();
			throw new DriverException(Errno.EIO, "device has entered Service Failure Mode");
		}
		if ((active & Regs.GERROR_CMDQ_ERR) != 0) {
			skipCommandError();
		}
		regs.write32(Regs.GERRORN, gerror);
		regs.write32(Regs.CMDQ_PROD, cmdqProd);
	}

	/** {@code __arm_smmu_cmdq_skip_err}: an illegal command becomes a CMD_SYNC; fetch aborts and ATC timeouts are retried. */
	private void skipCommandError() {
		cmdqErrors++;
		int cons = regs.read32(Regs.CMDQ_CONS);
		int err = (int) Regs.CMDQ_CONS_ERR.get(cons);
		if (err == Regs.CERROR_NONE || err == Regs.CERROR_ABT || err == Regs.CERROR_ATC_INV_SYNC) {
			return;
		}
		int idx = cons & ((1 << cmdqLog2) - 1);
		long addr = cmdqBase + ((long) idx << 4);
		long[] bad = { mem.read64(addr), mem.read64(addr + 8) };
		long[] s = Commands.cmdSync();
		mem.write64(addr, s[0]);
		mem.write64(addr + 8, s[1]);
		lastError = new CommandQueueException(err, bad, idx);
		pendingError = lastError;
	}

	/**
	 * Invalidates [iova, iova + size) of a domain with the commands {@link Commands#planTlbi} plans for
	 * this SMMU (range commands if it has RIL) and a CMD_SYNC.
	 */
	public synchronized void invalidateRange(Commands.TlbiKind kind, int vmid, int asid, long iova, long size, long granule, boolean leaf,
			int pageShift) {
		List<long[]> cmds = Commands.planTlbi(kind, vmid, asid, iova, size, granule, leaf, pageShift, features.ril());
		submitAndSync(cmds.toArray(new long[0][]));
	}

	// ---- stream table

	private void checkSid(int sid) {
		if (Integer.toUnsignedLong(sid) >= 1L << features.sidBits()) {
			throw new DriverException(Errno.ERANGE, "StreamID " + Integer.toUnsignedString(sid) + " beyond " + features.sidBits() + " bits");
		}
	}

	private void requireAllocated() {
		if (!allocated) {
			throw new IllegalStateException("stream table not allocated: call init()");
		}
	}

	/** Allocates the level-2 stream table covering {@code sid} (abort STEs) and publishes its L1 descriptor. */
	public synchronized void ensureL2(int sid) {
		requireAllocated();
		checkSid(sid);
		if (!features.twoLevelStrtab()) {
			return;
		}
		int l1 = sid >>> STRTAB_SPLIT;
		if (l1 >= l1Entries) {
			throw new DriverException(Errno.ERANGE, "2-level stream table does not cover StreamID " + Integer.toUnsignedString(sid));
		}
		if (l2Tables[l1] != 0) {
			return;
		}
		long bytes = (long) STRTAB_L2_STES * Ste.BYTES;
		long t = allocDma(bytes, bytes);
		initAbortStes(t, STRTAB_L2_STES);
		VarHandle.releaseFence();
		mem.write64(strtabBase + 8L * l1, (t & Ste.L1_L2PTR_MASK) | (STRTAB_SPLIT + 1));
		l2Tables[l1] = t;
	}

	/** Address of the STE of {@code sid}, or -1 if out of range or its level-2 table does not exist. */
	public synchronized long steAddress(int sid) {
		if (!allocated || Integer.toUnsignedLong(sid) >= 1L << features.sidBits()) {
			return -1;
		}
		if (!features.twoLevelStrtab()) {
			return strtabBase + Integer.toUnsignedLong(sid) * Ste.BYTES;
		}
		int l1 = sid >>> STRTAB_SPLIT;
		if (l1 >= l1Entries || l2Tables[l1] == 0) {
			return -1;
		}
		return l2Tables[l1] + (long) (sid & (STRTAB_L2_STES - 1)) * Ste.BYTES;
	}

	/** The STE of {@code sid} as in memory, or null if it does not exist. */
	public synchronized long[] readSte(int sid) {
		long a = steAddress(sid);
		return a < 0 ? null : readEntry(a);
	}

	private long[] readEntry(long a) {
		long[] e = new long[EntryWriter.QWORDS];
		for (int i = 0; i < e.length; i++) {
			e[i] = mem.read64(a + 8L * i);
		}
		return e;
	}

	/**
	 * Writes an STE with the entry writer; each step is followed by CFGI_STE(sid, leaf) + CMD_SYNC, then
	 * PREFETCH_CFG is issued unless {@link Options#skipPrefetch}. Allocates the level-2 table if needed.
	 */
	public synchronized EntryWriter.Outcome writeSte(int sid, long[] target) {
		requireCmdq();
		ensureL2(sid);
		EntryWriter.Outcome o = EntryWriter.write(EntryWriter.Kind.STE, new MemEntry(steAddress(sid), sid, -1, null), target);
		steWrites++;
		steSyncs += o.syncs();
		if (!options.skipPrefetch()) {
			submit(Commands.prefetchCfg(sid));
		}
		return o;
	}

	private final class MemEntry implements EntryWriter.Entry {
		private final long addr;
		private final int sid, ssid;
		private final int[] sids;

		MemEntry(long addr, int sid, int ssid, int[] sids) {
			this.addr = addr;
			this.sid = sid;
			this.ssid = ssid;
			this.sids = sids;
		}

		@Override
		public long get(int qword) {
			return mem.read64(addr + 8L * qword);
		}

		@Override
		public void set(int qword, long value) {
			mem.write64(addr + 8L * qword, value);
		}

		@Override
		public void sync() {
			if (sids == null) {
				submitAndSync(Commands.cfgiSte(sid, true));
			} else {
				syncCd(sids, ssid, true);
			}
		}
	}

	// ---- CD tables

	/**
	 * Allocates a master's CD table for {@code ssidBits} SubstreamID bits (capped by IDR1.SSIDSIZE, and
	 * by 10 without CD2L): linear up to 1024 CDs or without CD2L, else 64K_L2 with level-2 tables
	 * allocated when a CD in them is first written.
	 */
	public synchronized CdTable allocCdTable(int ssidBits) {
		int bits = Math.max(0, Math.min(ssidBits, features.ssidBits()));
		if (!features.cd2l()) {
			bits = Math.min(bits, CTXDESC_LINEAR_CDMAX);
		}
		long max = 1L << bits;
		if (!features.cd2l() || max <= CdTable.L2_ENTRIES) {
			long size = max * Cd.BYTES;
			return new CdTable(allocCd(size), Ste.S1FMT_LINEAR, bits, size);
		}
		long size = 8L * ((max + CdTable.L2_ENTRIES - 1) / CdTable.L2_ENTRIES);
		return new CdTable(allocCd(size), Ste.S1FMT_64K_L2, bits, size);
	}

	private long allocCd(long size) {
		try {
			return alloc.allocate(size, Math.max(size, 64));
		} catch (IllegalStateException e) {
			throw new DriverException(Errno.ENOMEM, e.getMessage());
		}
	}

	/** Frees a CD table and its level-2 tables (no STE may point at it any more). */
	public synchronized void freeCdTable(CdTable t) {
		if (!t.markFreed()) {
			return;
		}
		for (int i = 0; i < t.l1Entries(); i++) {
			long l2 = t.l2(i);
			if (l2 != 0) {
				alloc.free(l2, CdTable.L2_BYTES);
				t.setL2(i, 0);
			}
		}
		alloc.free(t.base(), t.baseBytes());
	}

	/** The CD of {@code ssid} as in memory, or null if it does not exist. */
	public synchronized long[] readCd(CdTable t, int ssid) {
		long a = t.cdAddress(ssid);
		return a < 0 ? null : readEntry(a);
	}

	/**
	 * Writes the CD of {@code ssid} with the entry writer; each step is followed by CFGI_CD(sid, ssid,
	 * leaf) for every StreamID in {@code sids} and a CMD_SYNC. For a 64K_L2 table a missing level-2 table
	 * is allocated first (its L1 descriptor followed by non-leaf CFGI_CDs); writing an invalid CD where
	 * there is no level-2 table does nothing.
	 *
	 * @throws DriverException EINVAL for an SSID beyond the table
	 */
	public synchronized EntryWriter.Outcome writeCd(CdTable t, int ssid, long[] cd, int... sids) {
		requireCmdq();
		if (t.isFreed()) {
			throw new IllegalStateException("CD table freed");
		}
		if (ssid < 0 || ssid >= t.maxContexts()) {
			throw new DriverException(Errno.EINVAL, "SSID " + ssid + " beyond a table of " + t.maxContexts() + " CDs");
		}
		boolean targetValid = Cd.V.isSet(cd);
		long addr = t.cdAddress(ssid);
		if (addr < 0) {
			if (!targetValid) {
				return new EntryWriter.Outcome(EntryWriter.Mode.DIRECT, 0);
			}
			int l1 = ssid >>> Cd.L2_CDS_LOG2;
			long l2 = allocCd(CdTable.L2_BYTES);
			VarHandle.releaseFence();
			mem.write64(t.base() + 8L * l1, (l2 & Cd.L1_L2PTR_MASK) | Cd.L1_V);
			t.setL2(l1, l2);
			syncCd(sids, ssid, false);
			addr = t.cdAddress(ssid);
		}
		boolean curValid = (mem.read64(addr) & Cd.V.mask()) != 0;
		if (curValid != targetValid) {
			t.addUsed(targetValid ? 1 : -1);
		}
		EntryWriter.Outcome o = EntryWriter.write(EntryWriter.Kind.CD, new MemEntry(addr, -1, ssid, sids.clone()), cd);
		cdWrites++;
		cdSyncs += o.syncs();
		return o;
	}

	private void syncCd(int[] sids, int ssid, boolean leaf) {
		long[][] cmds = new long[sids.length][];
		for (int i = 0; i < sids.length; i++) {
			cmds[i] = Commands.cfgiCd(sids[i], ssid, leaf);
		}
		submitAndSync(cmds);
	}

	// ---- event queue

	/**
	 * Reads every event record from EVENTQ_CONS to EVENTQ_PROD, advancing EVENTQ_CONS after each, as
	 * {@code arm_smmu_evtq_thread}; notes an overflow when EVENTQ_PROD.OVFLG toggled and then acknowledges
	 * it in EVENTQ_CONS. Records with an unknown type are counted and skipped.
	 */
	public synchronized List<Event> drainEvents() {
		List<Event> out = new ArrayList<>();
		for (long[] w : drainEventRecords()) {
			Event e = Event.decode(w);
			if (e != null) {
				out.add(e);
			}
		}
		return out;
	}

	/**
	 * {@link #drainEvents} returning each record raw, as the four 64-bit words the SMMU wrote (unknown
	 * types included, and counted), for a kernel that forwards records verbatim
	 * ({@code arm_vmaster_report_event}).
	 */
	public synchronized List<long[]> drainEventRecords() {
		requireAllocated();
		List<long[]> out = new ArrayList<>();
		int mask = qMask(evtqLog2);
		do {
			while (((evtqProd ^ evtqCons) & mask) != 0) {
				long a = evtqBase + ((long) (evtqCons & ((1 << evtqLog2) - 1)) * Event.BYTES);
				long[] w = new long[4];
				for (int i = 0; i < 4; i++) {
					w[i] = mem.read64(a + 8L * i);
				}
				if (Event.decode(w) == null) {
					unknownEvents++;
				}
				out.add(w);
				events++;
				evtqCons = (evtqCons & Regs.Q_OVF) | (((evtqCons & mask) + 1) & mask);
				VarHandle.fullFence();
				regs.write32(evtqConsReg, evtqCons);
			}
			int prod = regs.read32(evtqProdReg);
			if ((prod & Regs.Q_OVF) != (evtqProd & Regs.Q_OVF)) {
				eventOverflows++;
			}
			evtqProd = prod;
		} while (((evtqProd ^ evtqCons) & mask) != 0);
		if ((evtqProd & Regs.Q_OVF) != (evtqCons & Regs.Q_OVF)) {
			evtqCons = (evtqProd & Regs.Q_OVF) | (evtqCons & mask);
			regs.write32(evtqConsReg, evtqCons);
		}
		return out;
	}

	@Override
	public String toString() {
		return String.format("SmmuDriver[%s strtab 0x%x %s cmdq 0x%x (2^%d) evtq 0x%x (2^%d)%s]", features, strtabBase,
				features.twoLevelStrtab() ? "2lvl" : "linear", cmdqBase, cmdqLog2, evtqBase, evtqLog2, enabled ? " enabled" : "");
	}
}
