package smmu.hw.impl;

import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import smmu.hw.Event;
import smmu.hw.InterruptSink;
import smmu.hw.InterruptSink.Line;
import smmu.hw.PhysicalMemory;
import smmu.hw.Smmu;
import smmu.hw.SmmuSpec;
import smmu.hw.SmmuStats;
import smmu.hw.StreamPort;
import smmu.hw.StreamStats;
import smmu.hw.TableEntry;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Path;
import smmu.hw.TranslationResult.Translated;
import smmu.hw.Walk;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Regs;
import smmu.hw.emul.FrontEndHooks;
import smmu.hw.impl.queue.CommandDecoder;
import smmu.hw.impl.queue.CommandQueue;
import smmu.hw.impl.queue.EventQueue;
import smmu.hw.impl.xlate.EventSink;
import smmu.hw.impl.xlate.StreamTable;
import smmu.hw.impl.xlate.TranslationEngine;

/**
 * An SMMUv3 device: the register file (page 0 and its page-1 alias), the command queue consumer,
 * the event queue producer and GERROR, driving a {@link TranslationEngine} for the translation half.
 * Register semantics follow QEMU's emulated SMMUv3 where the architecture leaves a choice, with the
 * architected event queue overflow flag. Commands run synchronously on the thread that writes
 * CMDQ_PROD, CR0 or GERRORN. Register accesses may come from several threads and translations from
 * many; nothing a guest writes makes it throw. As an emulated vSMMU it takes a VMM front end
 * ({@link #frontEnd}: raw commands before decoding, GBPA and CR0 writes) and injected events ({@link #inject}).
 */
public final class SmmuDevice implements Smmu {

	private static final int CR0_RESERVED = 0xfffffc20;
	private static final int CR2_E2H = 1;
	private static final int GERROR_BITS = 0x1fd;
	private static final int IRQ_CTRL_BITS = Regs.IRQ_CTRL_GERROR_IRQEN | Regs.IRQ_CTRL_PRIQ_IRQEN | Regs.IRQ_CTRL_EVENTQ_IRQEN;
	private static final long STRTAB_BASE_BITS = Regs.STRTAB_BASE_RA | Regs.STRTAB_BASE_ADDR_MASK;
	private static final int STRTAB_CFG_BITS = (int) (Regs.STRTAB_CFG_LOG2SIZE.mask() | Regs.STRTAB_CFG_SPLIT.mask()
			| Regs.STRTAB_CFG_FMT.mask());
	private static final int PAGE_MASK = 0xffff;
	private static final int IDREGS = 0xfd0;
	/** PIDR4-7, PIDR0-3, CIDR0-3 at 0xfd0..0xffc, one byte per word, as QEMU (MMU-600 r0p1 style). */
	private static final int[] ID_BYTES = { 0x04, 0, 0, 0, 0x84, 0xb4, 0xf0, 0x10, 0x0d, 0xf0, 0x05, 0xb1 };
	private static final TranslationResult GBPA_ABORTED = new Aborted(null, "GBPA abort");

	/** What translate() needs, published as one immutable snapshot. */
	private record Gate(boolean enabled, boolean abort, StreamTable table) {}

	private final SmmuSpec spec;
	private final PhysicalMemory memory;
	private final TranslationEngine engine;
	private final EventQueue eventQueue;
	private final CommandQueue commandQueue;
	private final CommandDecoder decoder;
	private final CommandQueue.Processor processor = this::execute;
	private final ReentrantLock lock = new ReentrantLock();
	private final boolean hyp;
	private final Object errorLock = new Object();

	private volatile Gate gate;
	private volatile InterruptSink sink;
	private volatile FrontEndHooks frontEnd;
	private volatile int cr0, cr0ack, cr1, cr2, gbpa, irqCtrl, gerror, gerrorn;
	private volatile long strtabBase, gerrorIrqCfg0, eventqIrqCfg0;
	private volatile int strtabCfg, gerrorIrqCfg1, gerrorIrqCfg2, eventqIrqCfg1, eventqIrqCfg2;
	// guarded by lock
	private boolean consuming, rerun;
	private int pendingLines;

	/**
	 * @param spec ID registers and parameters
	 * @param memory the physical memory the SMMU's accesses go to
	 * @param engineFactory builds the translation half, given where it records events
	 */
	/** An SMMU with the full translation engine. */
	public static SmmuDevice create(SmmuSpec spec, PhysicalMemory memory) {
		return new SmmuDevice(spec, memory, sink -> new smmu.hw.impl.xlate.SmmuTranslationEngine(spec, memory, sink));
	}

	public SmmuDevice(SmmuSpec spec, PhysicalMemory memory, Function<EventSink, TranslationEngine> engineFactory) {
		this.spec = spec;
		this.memory = memory;
		int idr1 = spec.idr(1);
		this.eventQueue = new EventQueue(memory, (int) Regs.IDR1_EVENTQS.get(idr1), new EventHost());
		this.commandQueue = new CommandQueue(memory, (int) Regs.IDR1_CMDQS.get(idr1));
		this.engine = engineFactory.apply(eventQueue);
		this.decoder = new CommandDecoder(spec, engine, memory, new CommandSignals());
		this.gbpa = Regs.GBPA_RESET;
		this.hyp = Regs.IDR0_HYP.get(spec.idr(0)) != 0;
		publishGate();
	}

	@Override
	public SmmuSpec spec() {
		return spec;
	}

	@Override
	public PhysicalMemory memory() {
		return memory;
	}

	// ---- front end (an emulating VMM)

	/**
	 * Connects a VMM front end: {@link FrontEndHooks#command} sees each consumed command before the
	 * local decoding, {@link FrontEndHooks#gbpaWritten} and {@link FrontEndHooks#cr0Written} follow
	 * those register writes. Null disconnects.
	 */
	public void frontEnd(FrontEndHooks hooks) {
		this.frontEnd = hooks;
	}

	/** Records an event in the event queue as if this SMMU had raised it (architected overflow rules). */
	public void inject(Event event) {
		eventQueue.record(event);
	}

	/** Writes a raw 32-byte event record (four words) into the event queue verbatim. */
	public void injectRecord(long[] record) {
		eventQueue.write(record);
	}

	/**
	 * The event queue follows QEMU's {@code smmuv3_write_eventq} (an emulated vSMMU): a disabled or full
	 * queue raises GERROR.EVENTQ_ABT_ERR instead of the architecture's drop / overflow flag.
	 */
	public void qemuEventQueue() {
		eventQueue.qemuSemantics(true);
	}

	private int execute(long w0, long w1) {
		FrontEndHooks h = frontEnd;
		if (h != null) {
			int err;
			try {
				err = h.command(new long[] { w0, w1 });
			} catch (RuntimeException e) {
				// QEMU: any failure to forward a command makes it CERROR_ILL
				err = Regs.CERROR_ILL;
			}
			if (err != Regs.CERROR_NONE) {
				return err == Regs.CERROR_ABT || err == Regs.CERROR_ATC_INV_SYNC ? err : Regs.CERROR_ILL;
			}
			int op = (int) (w0 & 0xff);
			if ((op == Cmd.TLBI_NH_VA || op == Cmd.TLBI_NH_VAA) && CommandDecoder.span(w0, w1) == 0) {
				// QEMU's smmuv3_range_inval never fails: a range TLBI with NUM = SCALE = TTL = 0 is one page
				// (num_pages = 1). The command was forwarded; the guest sees no CERROR_ILL for it.
				w1 = Cmd.TLBI_TG.with(w1, 0);
			}
		}
		return decoder.execute(w0, w1);
	}

	// ---- translation entry

	@Override
	public TranslationResult translate(TranslationRequest request) {
		Gate g = gate;
		if (!g.enabled) {
			return g.abort ? GBPA_ABORTED : new Translated(request.iova(), Path.GLOBAL_BYPASS);
		}
		return engine.translate(g.table, request);
	}

	@Override
	public long translateCached(int sid, int ssid, long iova, boolean write) {
		// with SMMUEN = 0 nothing is cached (translate() answers from GBPA): publishGate() tells the engine
		return engine.translateCached(sid, ssid, iova, write);
	}

	@Override
	public StreamPort port(int sid, int ssid) {
		return engine.port(sid, ssid);
	}

	@Override
	public Walk walk(TranslationRequest request) {
		Gate g = gate;
		if (!g.enabled) {
			return new Walk(List.of(), g.abort ? GBPA_ABORTED : new Translated(request.iova(), Path.GLOBAL_BYPASS));
		}
		return engine.walk(g.table, request);
	}

	@Override
	public TableEntry readSte(int sid) {
		return engine.readSte(gate.table, sid);
	}

	@Override
	public TableEntry readCd(int sid, int ssid) {
		return engine.readCd(gate.table, sid, ssid);
	}

	@Override
	public SmmuStats stats() {
		SmmuStats e = engine.stats();
		return new SmmuStats(e.caches(), e.steFetches(), e.steL1Fetches(), e.cdFetches(), e.cdL1Fetches(), e.tableReads(),
				e.translations(), e.faults(), decoder.counts(), eventQueue.recorded(), eventQueue.lost());
	}

	@Override
	public void resetStats() {
		engine.resetStats();
		decoder.resetCounts();
		eventQueue.resetCounters();
	}

	@Override
	public List<StreamStats> streamStats(int... sids) {
		return engine.streamStats(sids);
	}

	@Override
	public void resetStreamStats(int... sids) {
		engine.resetStreamStats(sids);
	}

	@Override
	public void connect(InterruptSink interruptSink) {
		this.sink = interruptSink;
	}

	// ---- register reads

	@Override
	public int read32(int offset) {
		if (offset < 0 || offset >= Regs.MMIO_SIZE || (offset & 3) != 0) {
			return 0;
		}
		int off = offset & PAGE_MASK;
		return switch (off) {
			case Regs.IDR0, Regs.IDR1, Regs.IDR2, Regs.IDR3, Regs.IDR4, Regs.IDR5 -> spec.idr(off >> 2);
			case Regs.IIDR -> spec.iidr();
			case Regs.AIDR -> spec.aidr();
			case Regs.CR0 -> cr0;
			case Regs.CR0ACK -> cr0ack;
			case Regs.CR1 -> cr1;
			case Regs.CR2 -> cr2;
			case Regs.GBPA -> gbpa;
			case Regs.IRQ_CTRL, Regs.IRQ_CTRLACK -> irqCtrl;
			case Regs.GERROR -> gerror;
			case Regs.GERRORN -> gerrorn;
			case Regs.GERROR_IRQ_CFG0 -> (int) gerrorIrqCfg0;
			case Regs.GERROR_IRQ_CFG0 + 4 -> (int) (gerrorIrqCfg0 >>> 32);
			case Regs.GERROR_IRQ_CFG1 -> gerrorIrqCfg1;
			case Regs.GERROR_IRQ_CFG2 -> gerrorIrqCfg2;
			case Regs.STRTAB_BASE -> (int) strtabBase;
			case Regs.STRTAB_BASE + 4 -> (int) (strtabBase >>> 32);
			case Regs.STRTAB_BASE_CFG -> strtabCfg;
			case Regs.CMDQ_BASE -> (int) commandQueue.base();
			case Regs.CMDQ_BASE + 4 -> (int) (commandQueue.base() >>> 32);
			case Regs.CMDQ_PROD -> commandQueue.prod();
			case Regs.CMDQ_CONS -> commandQueue.cons();
			case Regs.EVENTQ_BASE -> (int) eventQueue.base();
			case Regs.EVENTQ_BASE + 4 -> (int) (eventQueue.base() >>> 32);
			case Regs.EVENTQ_PROD -> eventQueue.prod();
			case Regs.EVENTQ_CONS -> eventQueue.cons();
			case Regs.EVENTQ_IRQ_CFG0 -> (int) eventqIrqCfg0;
			case Regs.EVENTQ_IRQ_CFG0 + 4 -> (int) (eventqIrqCfg0 >>> 32);
			case Regs.EVENTQ_IRQ_CFG1 -> eventqIrqCfg1;
			case Regs.EVENTQ_IRQ_CFG2 -> eventqIrqCfg2;
			default -> off >= IDREGS && off < IDREGS + 4 * ID_BYTES.length ? ID_BYTES[(off - IDREGS) >> 2] : 0;
		};
	}

	/**
	 * A 64-bit read: the 64-bit registers whole; at another 8-byte aligned offset, the two 32-bit
	 * registers there (low word first), one of the architecture's permitted behaviours.
	 */
	@Override
	public long read64(int offset) {
		if (offset < 0 || offset >= Regs.MMIO_SIZE || (offset & 7) != 0) {
			return 0;
		}
		return switch (offset & PAGE_MASK) {
			case Regs.GERROR_IRQ_CFG0 -> gerrorIrqCfg0;
			case Regs.STRTAB_BASE -> strtabBase;
			case Regs.CMDQ_BASE -> commandQueue.base();
			case Regs.EVENTQ_BASE -> eventQueue.base();
			case Regs.EVENTQ_IRQ_CFG0 -> eventqIrqCfg0;
			default -> (read32(offset) & 0xffff_ffffL) | ((long) read32(offset + 4) << 32);
		};
	}

	// ---- register writes

	@Override
	public void write32(int offset, int value) {
		if (offset < 0 || offset >= Regs.MMIO_SIZE || (offset & 3) != 0) {
			return;
		}
		int off = offset & PAGE_MASK;
		lock.lock();
		try {
			switch (off) {
				case Regs.CR0 -> writeCr0(value);
				case Regs.CR1 -> cr1 = value;
				case Regs.CR2 -> writeCr2(value);
				case Regs.GBPA -> writeGbpa(value);
				case Regs.IRQ_CTRL -> irqCtrl = value & IRQ_CTRL_BITS;
				case Regs.GERRORN -> writeGerrorn(value);
				case Regs.GERROR_IRQ_CFG0 -> gerrorIrqCfg0 = low(gerrorIrqCfg0, value);
				case Regs.GERROR_IRQ_CFG0 + 4 -> gerrorIrqCfg0 = high(gerrorIrqCfg0, value);
				case Regs.GERROR_IRQ_CFG1 -> gerrorIrqCfg1 = value;
				case Regs.GERROR_IRQ_CFG2 -> gerrorIrqCfg2 = value;
				case Regs.STRTAB_BASE -> writeStrtabBase(low(strtabBase, value));
				case Regs.STRTAB_BASE + 4 -> writeStrtabBase(high(strtabBase, value));
				case Regs.STRTAB_BASE_CFG -> writeStrtabCfg(value);
				case Regs.CMDQ_BASE -> writeCmdqBase(low(commandQueue.base(), value));
				case Regs.CMDQ_BASE + 4 -> writeCmdqBase(high(commandQueue.base(), value));
				case Regs.CMDQ_PROD -> {
					commandQueue.writeProd(value);
					runCommandQueue();
				}
				case Regs.CMDQ_CONS -> {
					// IHI 0070: CMDQ_CONS is read-only while the queue is enabled.
					if ((cr0ack & Regs.CR0_CMDQEN) == 0) {
						commandQueue.writeCons(value);
					}
				}
				case Regs.EVENTQ_BASE -> writeEventqBase(low(eventQueue.base(), value));
				case Regs.EVENTQ_BASE + 4 -> writeEventqBase(high(eventQueue.base(), value));
				case Regs.EVENTQ_PROD -> {
					// IHI 0070: EVENTQ_PROD is read-only while the queue is enabled.
					if ((cr0ack & Regs.CR0_EVENTQEN) == 0) {
						eventQueue.writeProd(value);
					}
				}
				case Regs.EVENTQ_CONS -> eventQueue.writeCons(value);
				case Regs.EVENTQ_IRQ_CFG0 -> eventqIrqCfg0 = low(eventqIrqCfg0, value);
				case Regs.EVENTQ_IRQ_CFG0 + 4 -> eventqIrqCfg0 = high(eventqIrqCfg0, value);
				case Regs.EVENTQ_IRQ_CFG1 -> eventqIrqCfg1 = value;
				case Regs.EVENTQ_IRQ_CFG2 -> eventqIrqCfg2 = value;
				default -> {
				}
			}
		} finally {
			lock.unlock();
		}
	}

	/** A 64-bit write: the 64-bit registers whole; elsewhere two 32-bit writes, low word first. */
	@Override
	public void write64(int offset, long value) {
		if (offset < 0 || offset >= Regs.MMIO_SIZE || (offset & 7) != 0) {
			return;
		}
		lock.lock();
		try {
			switch (offset & PAGE_MASK) {
				case Regs.GERROR_IRQ_CFG0 -> gerrorIrqCfg0 = value;
				case Regs.STRTAB_BASE -> writeStrtabBase(value);
				case Regs.CMDQ_BASE -> writeCmdqBase(value);
				case Regs.EVENTQ_BASE -> writeEventqBase(value);
				case Regs.EVENTQ_IRQ_CFG0 -> eventqIrqCfg0 = value;
				default -> {
					write32(offset, (int) value);
					write32(offset + 4, (int) (value >>> 32));
				}
			}
		} finally {
			lock.unlock();
		}
	}

	private static long low(long reg, int value) {
		return (reg & 0xffff_ffff_0000_0000L) | (value & 0xffff_ffffL);
	}

	private static long high(long reg, int value) {
		return (reg & 0xffff_ffffL) | ((long) value << 32);
	}

	private void writeCr0(int value) {
		cr0 = value;
		// QEMU: the update is acknowledged at once, reserved bits dropped.
		cr0ack = value & ~CR0_RESERVED;
		publishGate();
		runCommandQueue();
		FrontEndHooks h = frontEnd;
		if (h != null) {
			h.cr0Written(value);
		}
	}

	private void writeCr2(int value) {
		boolean e2h = (cr2 & CR2_E2H) != 0;
		cr2 = value;
		if (e2h != ((value & CR2_E2H) != 0)) {
			// IHI 0070: CR2 changes only while SMMUEN = 0; cached configurations were decoded for the old
			// StreamWorld meaning, so they go (EL2 and EL2-E2H entries are tagged apart in the TLB)
			publishGate();
			engine.invalidateSteRange(0, 31);
		}
	}

	private void writeGbpa(int value) {
		// A GBPA write takes effect only with UPDATE set; UPDATE reads back 0 (the update is complete).
		if ((value & Regs.GBPA_UPDATE) != 0) {
			gbpa = value & ~Regs.GBPA_UPDATE;
			publishGate();
			FrontEndHooks h = frontEnd;
			if (h != null) {
				h.gbpaWritten(gbpa);
			}
		}
	}

	private void writeGerrorn(int value) {
		synchronized (errorLock) {
			gerrorn = value & GERROR_BITS;
		}
		runCommandQueue();
	}

	private void writeStrtabBase(long value) {
		// IHI 0070: STRTAB_BASE and STRTAB_BASE_CFG writes while SMMUEN = 1 may be ignored.
		if ((cr0ack & Regs.CR0_SMMUEN) == 0) {
			strtabBase = value & STRTAB_BASE_BITS;
			publishGate();
		}
	}

	private void writeStrtabCfg(int value) {
		if ((cr0ack & Regs.CR0_SMMUEN) == 0) {
			strtabCfg = value & STRTAB_CFG_BITS;
			publishGate();
		}
	}

	private void writeCmdqBase(long value) {
		// IHI 0070: a queue base written while the queue is enabled is CONSTRAINED UNPREDICTABLE: ignored.
		if ((cr0ack & Regs.CR0_CMDQEN) == 0) {
			commandQueue.writeBase(value);
		}
	}

	private void writeEventqBase(long value) {
		if ((cr0ack & Regs.CR0_EVENTQEN) == 0) {
			eventQueue.writeBase(value);
		}
	}

	private void publishGate() {
		int cfg = strtabCfg;
		StreamTable table = new StreamTable(strtabBase & Regs.STRTAB_BASE_ADDR_MASK, (int) Regs.STRTAB_CFG_LOG2SIZE.get(cfg),
				(int) Regs.STRTAB_CFG_FMT.get(cfg), (int) Regs.STRTAB_CFG_SPLIT.get(cfg), hyp && (cr2 & CR2_E2H) != 0);
		gate = new Gate((cr0ack & Regs.CR0_SMMUEN) != 0, (gbpa & Regs.GBPA_ABORT) != 0, table);
		engine.setSmmuEnabled(gate.enabled);
	}

	// ---- command queue, GERROR, interrupts

	/** Consumes commands if the queue is enabled and no command error is pending; lock held. */
	private void runCommandQueue() {
		if (consuming) {
			rerun = true;
			return;
		}
		consuming = true;
		try {
			do {
				rerun = false;
				if ((cr0ack & Regs.CR0_CMDQEN) != 0 && !errorActive(Regs.GERROR_CMDQ_ERR)) {
					int err = commandQueue.consume(processor);
					if (err != Regs.CERROR_NONE) {
						raiseGlobalError(Regs.GERROR_CMDQ_ERR);
					}
				}
				int lines = pendingLines;
				pendingLines = 0;
				for (Line line : Line.values()) {
					if ((lines & (1 << line.ordinal())) != 0) {
						deliver(line);
					}
				}
			} while (rerun || pendingLines != 0);
		} finally {
			consuming = false;
		}
	}

	private boolean errorActive(int bit) {
		return ((gerror ^ gerrorn) & bit) != 0;
	}

	/** Activates a GERROR condition (toggles its bit unless already active) and pulses GERROR if enabled. */
	private void raiseGlobalError(int bit) {
		boolean raised;
		synchronized (errorLock) {
			raised = !errorActive(bit);
			if (raised) {
				gerror ^= bit;
			}
		}
		if (raised && (irqCtrl & Regs.IRQ_CTRL_GERROR_IRQEN) != 0) {
			pulse(Line.GERROR);
		}
	}

	/** Pulses a line; during command consumption on this thread the pulse waits until the batch ends. */
	private void pulse(Line line) {
		if (lock.isHeldByCurrentThread() && consuming) {
			pendingLines |= 1 << line.ordinal();
		} else {
			deliver(line);
		}
	}

	private void deliver(Line line) {
		InterruptSink s = sink;
		if (s != null) {
			s.pulse(this, line);
		}
	}

	private final class EventHost implements EventQueue.Host {
		@Override
		public boolean enabled() {
			return (cr0ack & Regs.CR0_EVENTQEN) != 0;
		}

		@Override
		public void recorded() {
			if ((irqCtrl & Regs.IRQ_CTRL_EVENTQ_IRQEN) != 0) {
				pulse(Line.EVENTQ);
			}
		}

		@Override
		public void aborted() {
			raiseGlobalError(Regs.GERROR_EVENTQ_ABT_ERR);
		}
	}

	private final class CommandSignals implements CommandDecoder.Signals {
		@Override
		public void syncInterrupt() {
			pulse(Line.CMD_SYNC);
		}

		@Override
		public void globalError(int bit) {
			raiseGlobalError(bit);
		}
	}

	// ---- reset and restore

	/**
	 * Register reset as QEMU's smmuv3_reset: CR0, CR0ACK, IRQ_CTRL, GERROR, GERRORN = 0, GBPA = 0x1000,
	 * queue pointers 0 and queue LOG2SIZE at the maximum; ID registers, CR1/CR2, the stream table
	 * registers and the IRQ_CFG registers are kept. The engine's caches are emptied.
	 */
	public void reset() {
		lock.lock();
		try {
			cr0 = 0;
			cr0ack = 0;
			irqCtrl = 0;
			synchronized (errorLock) {
				gerror = 0;
				gerrorn = 0;
			}
			gbpa = Regs.GBPA_RESET;
			commandQueue.reset();
			eventQueue.reset();
			pendingLines = 0;
			publishGate();
			flushEngine();
		} finally {
			lock.unlock();
		}
	}

	/**
	 * Loads register values taken from a running SMMU (e.g. a real guest's vSMMU) without side effects:
	 * CR0ACK = CR0, IRQ_CTRLACK = IRQ_CTRL, GBPA as given without UPDATE, GERROR/GERRORN as given, queue
	 * bases and pointers as given (CONS included: queued commands are not replayed, nothing is consumed).
	 * Keys are register offsets (page-1 aliases accepted); the 64-bit registers take their whole value at
	 * their base offset; ID, ACK and unknown offsets are ignored; absent registers keep their values.
	 * The engine's caches are emptied.
	 */
	public void restore(Map<Integer, Long> registers) {
		lock.lock();
		try {
			long cmdqBase = commandQueue.base(), eventqBase = eventQueue.base();
			int cmdqProd = commandQueue.prod(), cmdqCons = commandQueue.cons();
			int eventqProd = eventQueue.prod(), eventqCons = eventQueue.cons();
			int newGerror = gerror, newGerrorn = gerrorn;
			for (Map.Entry<Integer, Long> e : registers.entrySet()) {
				Integer key = e.getKey();
				Long boxed = e.getValue();
				if (key == null || boxed == null || key < 0 || key >= Regs.MMIO_SIZE) {
					continue;
				}
				long v = boxed;
				int lo = (int) v;
				switch (key & PAGE_MASK) {
					case Regs.CR0 -> cr0 = lo;
					case Regs.CR1 -> cr1 = lo;
					case Regs.CR2 -> cr2 = lo;
					case Regs.GBPA -> gbpa = lo & ~Regs.GBPA_UPDATE;
					case Regs.IRQ_CTRL -> irqCtrl = lo & IRQ_CTRL_BITS;
					case Regs.GERROR -> newGerror = lo & GERROR_BITS;
					case Regs.GERRORN -> newGerrorn = lo & GERROR_BITS;
					case Regs.GERROR_IRQ_CFG0 -> gerrorIrqCfg0 = v;
					case Regs.GERROR_IRQ_CFG1 -> gerrorIrqCfg1 = lo;
					case Regs.GERROR_IRQ_CFG2 -> gerrorIrqCfg2 = lo;
					case Regs.STRTAB_BASE -> strtabBase = v & STRTAB_BASE_BITS;
					case Regs.STRTAB_BASE_CFG -> strtabCfg = lo & STRTAB_CFG_BITS;
					case Regs.CMDQ_BASE -> cmdqBase = v;
					case Regs.CMDQ_PROD -> cmdqProd = lo;
					case Regs.CMDQ_CONS -> cmdqCons = lo;
					case Regs.EVENTQ_BASE -> eventqBase = v;
					case Regs.EVENTQ_PROD -> eventqProd = lo;
					case Regs.EVENTQ_CONS -> eventqCons = lo;
					case Regs.EVENTQ_IRQ_CFG0 -> eventqIrqCfg0 = v;
					case Regs.EVENTQ_IRQ_CFG1 -> eventqIrqCfg1 = lo;
					case Regs.EVENTQ_IRQ_CFG2 -> eventqIrqCfg2 = lo;
					default -> {
					}
				}
			}
			cr0ack = cr0 & ~CR0_RESERVED;
			synchronized (errorLock) {
				gerror = newGerror;
				gerrorn = newGerrorn;
			}
			commandQueue.restore(cmdqBase, cmdqProd, cmdqCons);
			eventQueue.restore(eventqBase, eventqProd, eventqCons);
			pendingLines = 0;
			publishGate();
			flushEngine();
		} finally {
			lock.unlock();
		}
	}

	private void flushEngine() {
		engine.invalidateSteRange(0, 31);
		engine.invalidateAll();
	}
}
