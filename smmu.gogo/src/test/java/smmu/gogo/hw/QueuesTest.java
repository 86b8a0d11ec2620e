package smmu.gogo.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import smmu.gogo.format.Formatter;
import smmu.gogo.format.Json;
import smmu.gogo.format.ShellError;
import smmu.gogo.hw.Views.CommandRow;
import smmu.gogo.hw.Views.EventRow;
import smmu.gogo.hw.Views.QueueView;
import smmu.hw.Smmu;
import smmu.hw.arch.Regs;
import smmu.hw.testing.TestHost;

class QueuesTest {
	private final TestHost host = new TestHost(1, 1, idr -> idr);
	private final SmmuCommands c = new SmmuCommands(host);
	private final Smmu s = host.smmus().get(0);

	@Test
	void eventQueueShowsThePendingEventsDecodedFromMemory() {
		QueueView before = c.evtq("", "smmu0");
		assertEquals(0, before.pending());
		assertEquals(0, before.entries().size());
		assertEquals("-", before.flags(), "no overflow: a dash, not an empty value");
		assertEquals("-", c.cmdq("", "smmu0").flags(), "no CONS.ERR");
		assertEquals("none", new Formatter().inspect(before.entries()), "an empty result says so, not an empty line");
		c.translate("-1", true, true, "smmu0", "0x4242", "0x1000");
		QueueView v = c.evtq("", "smmu0");
		assertEquals(1, v.pending());
		assertEquals("yes", v.enabled());
		assertEquals(s.read64(Regs.EVENTQ_BASE) & Regs.Q_BASE_ADDR_MASK, v.base());
		assertEquals(Regs.Q_BASE_LOG2SIZE.get(s.read64(Regs.EVENTQ_BASE)), v.log2size());
		assertEquals(s.read32(Regs.EVENTQ_PROD + 0x10000) & 0xffff_ffffL, v.prod());
		assertEquals(v.consIndex() + 1, v.prodIndex());
		EventRow e = assertInstanceOf(EventRow.class, v.entries().get(0));
		assertEquals("C_BAD_STREAMID", e.type());
		assertEquals(0x4242, e.sid());
		assertEquals(v.base() + 32L * v.consIndex(), e.address());
		// the view reads the bytes: change the record in memory and the view changes with it
		s.memory().write64(e.address(), (0x4243L << 32) | 0x10);
		EventRow changed = (EventRow) c.evtq("", "smmu0").entries().get(0);
		assertEquals("F_TRANSLATION", changed.type());
		assertEquals(0x4243, changed.sid());
		s.memory().write64(e.address(), 0x7f);
		assertEquals("0x7f (not an event)", ((EventRow) c.evtq("", "smmu0").entries().get(0)).type());
	}

	@Test
	void commandQueueShowsTheLastCommandsTheDriverWrote() {
		QueueView v = c.cmdq("", "smmu0");
		assertEquals("yes", v.enabled());
		assertEquals(0, v.pending(), "the SMMU consumed everything");
		assertTrue(v.shown().contains("--last"));
		QueueView last = c.cmdq("3", "smmu0");
		assertEquals(3, last.entries().size());
		CommandRow sync = assertInstanceOf(CommandRow.class, last.entries().get(2));
		assertEquals("CMD_SYNC", sync.opcode(), "the driver ends every batch with a CMD_SYNC");
		int mask = (1 << v.log2size()) - 1;
		assertEquals(v.base() + 16L * ((v.prodIndex() - 1) & mask), sync.address());
		String text = new Formatter().inspect(last);
		assertTrue(text.contains("CMD_SYNC"), text);
		assertTrue(text.contains("entries (3)"), text);
		assertTrue(Json.render(last).contains("\"opcode\" : \"CMD_SYNC\""), Json.render(last));
	}

	@Test
	void decodesCommandFields() {
		assertEquals("SID=0x42 Leaf=1", Queues.command(0, 0, new long[] { 0x42L << 32 | 0x03, 1 }).fields());
		assertEquals("SID=0x0 Range=0x1f (CFGI_ALL)", Queues.command(0, 0, new long[] { 0x04, 31 }).fields());
		assertEquals("VMID=0x5 IPA=0x40000000 Leaf=1", Queues.command(0, 0, new long[] { 5L << 32 | 0x2a, 0x4000_0001L }).fields());
		assertEquals("0x7e", Queues.command(0, 0, new long[] { 0x7e, 0 }).opcode());
	}

	@Test
	void wrongCountsAreOneLine() {
		assertEquals("last: 0 is out of range (0x1..0x" + Integer.toHexString(1 << c.cmdq("", "smmu0").log2size()) + ")",
				assertThrows(ShellError.class, () -> c.cmdq("0", "smmu0")).getMessage());
		assertTrue(assertThrows(ShellError.class, () -> c.evtq("", "smmu7")).getMessage().startsWith("no SMMU named 'smmu7'"));
	}
}
