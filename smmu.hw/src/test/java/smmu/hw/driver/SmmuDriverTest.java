package smmu.hw.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.FrameAllocator;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.hw.driver.SmmuDriver.Options;

class SmmuDriverTest {
	static final long BASE = 1L << 30;

	SparseMemory mem;
	FrameAllocator alloc;

	@BeforeEach
	void setUp() {
		mem = new SparseMemory(48);
		alloc = new FrameAllocator(mem, BASE, 1L << 32);
	}

	static int[] mmu700() {
		return SmmuSpec.mmu700("smmu0", 0).idr().clone();
	}

	/** Linear stream table (no ST_LEVEL), 6-bit SIDs, no HYP, no CD2L, no RIL. */
	static int[] small() {
		int[] idr = mmu700();
		idr[0] = (int) Regs.IDR0_ST_LEVEL.with(idr[0], 0);
		idr[0] = (int) Regs.IDR0_HYP.with(idr[0], 0);
		idr[0] = (int) Regs.IDR0_CD2L.with(idr[0], 0);
		idr[1] = (int) Regs.IDR1_SIDSIZE.with(idr[1], 6);
		idr[3] = (int) Regs.IDR3_RIL.with(idr[3], 0);
		return idr;
	}

	FakeSmmu dev;

	SmmuDriver driver(int[] idr, Options o) {
		dev = new FakeSmmu(mem, idr);
		return SmmuDriver.probe(dev, mem, alloc, o);
	}

	SmmuDriver up(int[] idr, Options o) {
		SmmuDriver d = driver(idr, o);
		d.init();
		dev.commands.clear();
		dev.writes.clear();
		return d;
	}

	static String w32(int off, long v) {
		return String.format("w32 0x%02x=0x%x", off, v);
	}

	static String w64(int off, long v) {
		return String.format("w64 0x%02x=0x%x", off, v);
	}

	@Test
	void initProgramsTheSmmuInLinuxOrder() {
		SmmuDriver d = driver(mmu700(), Options.DEFAULT);
		assertTrue(d.features().twoLevelStrtab());
		assertEquals(0, dev.writes.size(), "probe only reads");
		d.init();
		assertEquals(BASE, d.cmdqBase());
		assertEquals(BASE + 0x1000, d.strtabBase());
		assertEquals(BASE + 0x2000, d.evtqBase());
		assertEquals(8, d.cmdqLog2());
		assertEquals(8, d.evtqLog2());
		assertEquals(256, d.strtabL1Entries());
		assertEquals(0x10210, d.strtabBaseCfg());
		List<String> expected = List.of(w32(Regs.CR0, 0), w32(Regs.CR1, 0xd75), w32(Regs.CR2, 6), w64(Regs.STRTAB_BASE, 1L << 62 | BASE + 0x1000),
				w32(Regs.STRTAB_BASE_CFG, 0x10210), w64(Regs.CMDQ_BASE, 1L << 62 | BASE | 8), w32(Regs.CMDQ_PROD, 0), w32(Regs.CMDQ_CONS, 0),
				w32(Regs.CR0, 8), w32(Regs.CMDQ_PROD, 1), w32(Regs.CMDQ_PROD, 2), w32(Regs.CMDQ_PROD, 3), w32(Regs.CMDQ_PROD, 4),
				w32(Regs.CMDQ_PROD, 5), w32(Regs.CMDQ_PROD, 6), w64(Regs.EVENTQ_BASE, 1L << 62 | BASE + 0x2000 | 8), w32(Regs.EVENTQ_PROD, 0),
				w32(Regs.EVENTQ_CONS, 0), w32(Regs.CR0, 0xc), w32(Regs.IRQ_CTRL, 0), w64(Regs.GERROR_IRQ_CFG0, 0), w64(Regs.EVENTQ_IRQ_CFG0, 0),
				w32(Regs.IRQ_CTRL, 5), w32(Regs.CR0, 0xd));
		assertEquals(expected, dev.writes);
		assertEquals(List.of("CFGI_ALL", "CMD_SYNC cs=2 msiaddr=0x0 msidata=0x0", "TLBI_EL2_ALL [0x0000000000000020 0x0000000000000000]",
				"CMD_SYNC cs=2 msiaddr=0x0 msidata=0x0", "TLBI_NSNH_ALL [0x0000000000000030 0x0000000000000000]",
				"CMD_SYNC cs=2 msiaddr=0x0 msidata=0x0"), dev.commandNames());
		assertTrue(d.isEnabled());
		assertEquals(2048 + 4096 + 8192, d.structureBytes());
		assertEquals(0, mem.read64(d.strtabBase()), "L1 descriptors start invalid (SPAN 0)");
		// re-init of an enabled SMMU aborts incoming traffic through GBPA first
		dev.writes.clear();
		d.init();
		assertEquals(w32(Regs.GBPA, 0x8010_1000L), dev.writes.get(0));
		assertEquals(w32(Regs.CR0, 0), dev.writes.get(1));
		assertEquals(2048 + 4096 + 8192, d.structureBytes(), "structures are allocated once");
	}

	@Test
	void linearStreamTableStartsAllAbort() {
		SmmuDriver d = driver(small(), Options.DEFAULT.withPage0RegsOnly(true));
		assertTrue(!d.features().twoLevelStrtab());
		d.init();
		assertEquals(6, d.strtabBaseCfg());
		for (int sid = 0; sid < 64; sid++) {
			assertArrayEquals(SteBuilder.abort(), d.readSte(sid));
		}
		assertEquals(d.strtabBase() + 63 * 64, d.steAddress(63));
		assertEquals(-1, d.steAddress(64));
		assertNull(d.readSte(64));
		assertTrue(dev.commandNames().stream().noneMatch(s -> s.startsWith("TLBI_EL2")), "no HYP, no TLBI_EL2_ALL");
		assertThrows(DriverException.class, () -> d.writeSte(64, SteBuilder.bypass(false)));
	}

	@Test
	void twoLevelStreamTableAllocatesLevelTwoLazily() {
		SmmuDriver d = up(mmu700(), Options.DEFAULT);
		assertEquals(-1, d.steAddress(0x1234));
		assertNull(d.readSte(0x1234));
		d.ensureL2(0x1234);
		long l1 = mem.read64(d.strtabBase() + 0x12 * 8);
		long l2 = l1 & Ste.L1_L2PTR_MASK;
		assertEquals(9, l1 & 0x1f, "SPAN = SPLIT + 1");
		assertEquals(0, l2 % (256 * 64), "level-2 table naturally aligned");
		assertEquals(l2 + 0x34 * 64, d.steAddress(0x1234));
		for (int i = 0; i < 256; i++) {
			assertEquals(1, mem.read64(l2 + 64L * i));
		}
		d.ensureL2(0x12ff);
		assertEquals(1, d.strtabL2Tables());
		assertEquals(0, dev.commands.size(), "publishing an L1 descriptor needs no command");
		DriverException e = assertThrows(DriverException.class, () -> d.ensureL2(0x10000));
		assertEquals(Errno.ERANGE, e.errno());
	}

	@Test
	void writeSteSyncsEachStepThenPrefetches() {
		SmmuDriver d = up(mmu700(), Options.DEFAULT);
		EntryWriter.Outcome o = d.writeSte(0x1234, SteBuilder.bypass(false));
		assertEquals(new EntryWriter.Outcome(EntryWriter.Mode.HITLESS, 1), o, "abort -> bypass without SHCFG: only qword 0");
		assertArrayEquals(SteBuilder.bypass(false), d.readSte(0x1234));
		String cfgi = "CFGI_STE sid=4660 leaf=1", sync = "CMD_SYNC cs=2 msiaddr=0x0 msidata=0x0", prefetch = "PREFETCH_CFG sid=4660";
		assertEquals(List.of(cfgi, sync, prefetch), dev.commandNames());
		dev.commands.clear();
		assertEquals(new EntryWriter.Outcome(EntryWriter.Mode.DIRECT, 0), d.writeSte(0x1234, SteBuilder.bypass(false)));
		assertEquals(List.of(prefetch), dev.commandNames());
		dev.commands.clear();
		// bypass -> cdtable: hitless in three steps (the SHCFG-less bypass needs just two)
		long[] cdtab = SteBuilder.cdTable(0x8000_0000L, 0, 0, Ste.S1DSS_SSID0, false, false, false, false);
		assertEquals(new EntryWriter.Outcome(EntryWriter.Mode.HITLESS, 2), d.writeSte(0x1234, cdtab));
		assertEquals(List.of(cfgi, sync, cfgi, sync, prefetch), dev.commandNames());
		dev.commands.clear();
		long[] other = SteBuilder.cdTable(0x9000_0000L, 0, 0, Ste.S1DSS_BYPASS, false, false, false, false);
		assertEquals(new EntryWriter.Outcome(EntryWriter.Mode.BREAKING, 3), d.writeSte(0x1234, other));
		assertEquals(List.of(cfgi, sync, cfgi, sync, cfgi, sync, prefetch), dev.commandNames());
		SmmuDriver.Stats s = d.stats();
		assertEquals(4, s.steWrites());
		assertEquals(6, s.steSyncs());
		// neighbours untouched
		assertArrayEquals(SteBuilder.abort(), d.readSte(0x1235));
	}

	@Test
	void skipPrefetchOption() {
		SmmuDriver d = up(mmu700(), Options.DEFAULT.withSkipPrefetch(true));
		d.writeSte(3, SteBuilder.abort());
		assertEquals(0, dev.commands.size(), "already abort: nothing to do");
		d.writeSte(3, SteBuilder.bypass(true));
		assertEquals(List.of("CFGI_STE sid=3 leaf=1", "CMD_SYNC cs=2 msiaddr=0x0 msidata=0x0", "CFGI_STE sid=3 leaf=1",
				"CMD_SYNC cs=2 msiaddr=0x0 msidata=0x0"), dev.commandNames());
	}

	@Test
	void illegalCommandIsSkippedLikeLinuxAndReported() {
		SmmuDriver d = up(mmu700(), Options.DEFAULT);
		dev.illegal.add(0x07);
		d.submit(Commands.cfgiSte(1, true), new long[] { 0x07, 0xabc }, Commands.cfgiSte(2, true));
		assertEquals(1, dev.commands.size(), "the SMMU stopped at the bad command");
		assertEquals(Regs.GERROR_CMDQ_ERR, dev.gerror ^ dev.gerrorn);
		CommandQueueException e = assertThrows(CommandQueueException.class, d::sync);
		assertEquals(Regs.CERROR_ILL, e.error());
		assertArrayEquals(new long[] { 0x07, 0xabc }, e.command());
		assertEquals(7, e.index(), "after the six commands of init");
		assertEquals(Errno.EIO, e.errno());
		assertEquals(dev.gerror, dev.gerrorn, "acknowledged through GERRORN");
		assertArrayEquals(Commands.cmdSync(), new long[] { mem.read64(d.cmdqBase() + 7 * 16), mem.read64(d.cmdqBase() + 7 * 16 + 8) },
				"the bad command was replaced by a CMD_SYNC");
		assertEquals(List.of("CFGI_STE sid=1 leaf=1", "CMD_SYNC cs=2 msiaddr=0x0 msidata=0x0", "CFGI_STE sid=2 leaf=1",
				"CMD_SYNC cs=2 msiaddr=0x0 msidata=0x0"), dev.commandNames());
		assertEquals(1, d.stats().cmdqErrors());
		assertNotNull(d.lastCommandError());
		// the queue works again, and the error is not reported twice
		dev.commands.clear();
		d.submitAndSync(Commands.cfgiAll());
		assertEquals(2, dev.commands.size());
	}

	@Test
	void aResetCommandTheSmmuRejectsIsSkippedAndTheResetGoesOn() {
		SmmuDriver d = driver(mmu700(), Options.DEFAULT);
		dev.illegal.add(Cmd.CFGI_STE_RANGE);
		d.init();
		assertEquals(Regs.CR0_SMMUEN | Regs.CR0_EVENTQEN | Regs.CR0_CMDQEN, dev.read32(Regs.CR0ACK) & 0xd, "enabled anyway, as Linux");
		assertEquals(Regs.CERROR_ILL, d.lastCommandError().error());
		assertEquals(Cmd.CFGI_STE_RANGE, Commands.opcode(d.lastCommandError().command()));
		assertTrue(d.isEnabled());
	}

	@Test
	void commandQueueWrapsAndWaitsForRoom() {
		SmmuDriver d = up(mmu700(), Options.DEFAULT.withQueues(2, 2));
		assertEquals(2, d.cmdqLog2());
		List<String> expected = new ArrayList<>();
		long[][] cmds = new long[10][];
		for (int i = 0; i < 10; i++) {
			cmds[i] = Commands.cfgiSte(i, true);
			expected.add("CFGI_STE sid=" + i + " leaf=1");
		}
		expected.add("CMD_SYNC cs=2 msiaddr=0x0 msidata=0x0");
		d.submitAndSync(cmds);
		assertEquals(expected, dev.commandNames());
		// 6 commands at init + 11 now = 17 = 2 laps of 8 (wrap | index) + 1
		assertEquals(17 & 7, d.cmdqProd());
		assertEquals(d.cmdqProd(), dev.cmdqCons);
		// an SMMU that consumes one command per CONS read
		dev.commands.clear();
		dev.lazy = true;
		d.submitAndSync(cmds);
		assertEquals(expected, dev.commandNames());
		d.writeSte(9, SteBuilder.bypass(false));
		assertArrayEquals(SteBuilder.bypass(false), d.readSte(9));
	}

	@Test
	void waitsAreBounded() {
		SmmuDriver d = up(mmu700(), Options.DEFAULT.withQueues(2, 2).withPollLimit(50));
		dev.hang = true;
		DriverException e = assertThrows(DriverException.class, () -> d.submitAndSync(Commands.cfgiAll()));
		assertEquals(Errno.ETIMEDOUT, e.errno());
		assertTrue(e.getMessage().contains("CMD_SYNC timeout"), e.getMessage());
		e = assertThrows(DriverException.class, () -> d.submit(Commands.cfgiAll(), Commands.cfgiAll(), Commands.cfgiAll(), Commands.cfgiAll()));
		assertTrue(e.getMessage().contains("command queue full"), e.getMessage());
		SmmuDriver d2 = driver(mmu700(), Options.DEFAULT.withPollLimit(10));
		dev.ignoreCr0 = true;
		e = assertThrows(DriverException.class, d2::init);
		assertEquals(Errno.ETIMEDOUT, e.errno());
		assertThrows(IllegalStateException.class, () -> d2.writeSte(1, SteBuilder.abort()));
	}

	@Test
	void gbpaUpdateHandshake() {
		SmmuDriver d = driver(mmu700(), Options.DEFAULT);
		dev.gbpaBusyReads = 3;
		d.gbpa(true);
		assertEquals(List.of(w32(Regs.GBPA, 0x8010_1000L)), dev.writes);
		assertEquals(0x0010_1000, dev.read32(Regs.GBPA));
		d.gbpa(false);
		assertEquals(w32(Regs.GBPA, 0x8000_1000L), dev.writes.get(1));
		SmmuDriver stuck = driver(mmu700(), Options.DEFAULT.withPollLimit(5));
		dev.gbpaBusyReads = 100;
		assertEquals(Errno.ETIMEDOUT, assertThrows(DriverException.class, () -> stuck.gbpa(true)).errno());
	}

	@Test
	void eventsAreDrainedAndOverflowAcknowledged() {
		SmmuDriver d = up(mmu700(), Options.DEFAULT.withQueues(8, 2));
		Event e1 = new Event(EventType.F_TRANSLATION, 5, Event.NO_SSID, 0x1000, 0, false, Event.CLASS_IN, true);
		Event e2 = new Event(EventType.C_BAD_STE, 0x1234, 7, 0, 0, false, Event.CLASS_CD, true);
		dev.pushEvent(e1.encode(), false);
		dev.pushEvent(new long[] { 0x7f, 0, 0, 0 }, false);
		dev.pushEvent(e2.encode(), false);
		assertEquals(List.of(e1, e2), d.drainEvents());
		assertEquals(3, dev.evtqCons);
		assertEquals(List.of(), d.drainEvents());
		// wrap, and an overflow the SMMU signalled
		for (int i = 0; i < 3; i++) {
			dev.pushEvent(new Event(EventType.F_PERMISSION, i, Event.NO_SSID, i * 0x1000L, 0, true, Event.CLASS_IN, false).encode(), i == 2);
		}
		List<Event> ev = d.drainEvents();
		assertEquals(3, ev.size());
		assertEquals(2, ev.get(2).sid());
		assertTrue(ev.get(2).s2());
		assertEquals(Regs.Q_OVF | 6 & 7, dev.evtqCons, "CONS carries the overflow flag back");
		SmmuDriver.Stats s = d.stats();
		assertEquals(6, s.events());
		assertEquals(1, s.unknownEvents());
		assertEquals(1, s.eventOverflows());
		assertTrue(dev.writes.contains(w32(Regs.EVENTQ_CONS, 1)));
	}

	@Test
	void cdTablesLinearAndTwoLevel() {
		SmmuDriver d = up(mmu700(), Options.DEFAULT);
		long before = alloc.allocatedBytes();
		CdTable t = d.allocCdTable(20);
		assertTrue(t.twoLevel());
		assertEquals(Ste.S1FMT_64K_L2, t.s1fmt());
		assertEquals(20, t.s1cdmax());
		assertEquals(1024, t.l1Entries());
		assertEquals(8192, t.bytes());
		long[] cd = CdBuilder.s1(new IoPageTable.Tcr(16, 0, 1, 1, 3, 5), 0x8000_0000L, 0xf404ff44L, 9, false, false);
		assertEquals(new EntryWriter.Outcome(EntryWriter.Mode.DIRECT, 0), d.writeCd(t, 1500, CdBuilder.clear(), 3, 4), "no L2 table: nothing");
		assertEquals(-1, t.cdAddress(1500));
		EntryWriter.Outcome o = d.writeCd(t, 1500, cd, 3, 4);
		assertEquals(new EntryWriter.Outcome(EntryWriter.Mode.HITLESS, 2), o);
		long l1 = mem.read64(t.base() + 8);
		assertEquals(Cd.L1_V, l1 & 1);
		assertEquals((l1 & Cd.L1_L2PTR_MASK) + (1500 - 1024) * 64, t.cdAddress(1500));
		assertArrayEquals(cd, d.readCd(t, 1500));
		String sync = "CMD_SYNC cs=2 msiaddr=0x0 msidata=0x0";
		assertEquals(List.of("CFGI_CD sid=3 ssid=1500 leaf=0", "CFGI_CD sid=4 ssid=1500 leaf=0", sync, "CFGI_CD sid=3 ssid=1500 leaf=1",
				"CFGI_CD sid=4 ssid=1500 leaf=1", sync, "CFGI_CD sid=3 ssid=1500 leaf=1", "CFGI_CD sid=4 ssid=1500 leaf=1", sync),
				dev.commandNames());
		assertEquals(1, t.usedSsids());
		assertEquals(8192 + 65536, t.bytes());
		// ASID change: one step
		long[] cd2 = cd.clone();
		Cd.ASID.set(cd2, 10);
		assertEquals(new EntryWriter.Outcome(EntryWriter.Mode.HITLESS, 1), d.writeCd(t, 1500, cd2));
		assertEquals(new EntryWriter.Outcome(EntryWriter.Mode.HITLESS, 2), d.writeCd(t, 1500, CdBuilder.clear(), 3));
		assertEquals(0, t.usedSsids());
		assertEquals(Errno.EINVAL, assertThrows(DriverException.class, () -> d.writeCd(t, 1 << 20, cd, 3)).errno());
		d.freeCdTable(t);
		assertEquals(before, alloc.allocatedBytes());
		assertThrows(IllegalStateException.class, () -> d.writeCd(t, 0, cd, 3));
		// small tables are linear
		CdTable one = d.allocCdTable(0);
		assertEquals(Ste.S1FMT_LINEAR, one.s1fmt());
		assertEquals(1, one.maxContexts());
		assertEquals(one.base(), one.cdAddress(0));
		assertEquals(-1, one.cdAddress(1));
		CdTable k = d.allocCdTable(10);
		assertEquals(Ste.S1FMT_LINEAR, k.s1fmt());
		assertEquals(65536, k.bytes());
		assertEquals(0, k.base() % 65536);
	}

	@Test
	void withoutCd2lTablesAreLinearAndCapped() {
		SmmuDriver d = up(small(), Options.DEFAULT);
		CdTable t = d.allocCdTable(20);
		assertEquals(Ste.S1FMT_LINEAR, t.s1fmt());
		assertEquals(10, t.s1cdmax());
		long[] cd = CdBuilder.s1(new IoPageTable.Tcr(16, 0, 1, 1, 3, 5), 0x8000_0000L, 0xf404ff44L, 9, false, false);
		d.writeCd(t, 1023, cd, 1);
		assertArrayEquals(cd, new long[] { mem.read64(t.base() + 1023 * 64), mem.read64(t.base() + 1023 * 64 + 8), 0, 0xf404ff44L, 0, 0, 0, 0 });
		long[] ste = SteBuilder.cdTable(d.features(), t, Ste.S1DSS_SSID0, false, false);
		assertEquals(t.base() | 0xB | 10L << 59, ste[0]);
	}

	@Test
	void rangeInvalidationUsesRilWhenPresent() {
		SmmuDriver d = up(mmu700(), Options.DEFAULT);
		d.invalidateRange(Commands.TlbiKind.S2_IPA, 3, 0, 0x4000_0000L, 64 * 4096, 4096, true, 12);
		assertEquals(2, dev.commands.size());
		assertEquals(Cmd.TLBI_S2_IPA, Commands.opcode(dev.commands.get(0)));
		assertEquals(6, Cmd.TLBI_SCALE.get(dev.commands.get(0)));
		SmmuDriver n = up(small(), Options.DEFAULT);
		n.invalidateRange(Commands.TlbiKind.S2_IPA, 3, 0, 0x4000_0000L, 64 * 4096, 4096, true, 12);
		assertEquals(65, dev.commands.size());
		dev.commands.clear();
		n.invalidateRange(Commands.TlbiKind.NH_VA, 0, 5, 0, 1L << 30, 4096, true, 12);
		assertEquals(List.of("TLBI_NH_ASID vmid=0 asid=5", "CMD_SYNC cs=2 msiaddr=0x0 msidata=0x0"), dev.commandNames());
	}

	@Test
	void probeRejectsWhatLinuxRejects() {
		int[] idr = mmu700();
		idr[0] &= ~3; // neither stage
		assertEquals(Errno.ENXIO, assertThrows(DriverException.class, () -> driver(idr, Options.DEFAULT)).errno());
		int[] be = mmu700();
		be[0] = (int) Regs.IDR0_TTENDIAN.with(be[0], 3);
		assertEquals(Errno.ENXIO, assertThrows(DriverException.class, () -> driver(be, Options.DEFAULT)).errno());
		assertThrows(IllegalArgumentException.class,
				() -> SmmuDriver.probe(new FakeSmmu(mem, mmu700()), new SparseMemory(40), alloc));
		assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.withQueues(0, 8));
	}
}
