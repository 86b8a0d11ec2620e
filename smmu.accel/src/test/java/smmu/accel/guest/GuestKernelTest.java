package smmu.accel.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

import org.junit.jupiter.api.Test;

import smmu.accel.vm.GuestMemory;
import smmu.accel.vm.GuestRam;
import smmu.accel.vm.VirtMemoryMap;
import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.FrameAllocator;
import smmu.hw.SparseMemory;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Translated;
import smmu.hw.Walk;
import smmu.hw.WalkStep;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.hw.driver.CommandQueueException;
import smmu.hw.driver.DriverException;
import smmu.hw.driver.Errno;
import smmu.hw.driver.SmmuDriver;
import smmu.hw.emul.EmulatedSmmu;
import smmu.hw.emul.EmulatedSmmus;
import smmu.hw.emul.FrontEndHooks;
import smmu.iommufd.VmmAddressSpace;

class GuestKernelTest {
	static final long VA = 0xffff_0000_0000L, RAM = 256L << 20;
	static final long KERNEL_OFFSET = 128L << 20, KERNEL_SIZE = 64L << 20;

	/** What QEMU's front end would see of one vSMMU. */
	static final class Hooks implements FrontEndHooks {
		final List<long[]> commands = new ArrayList<>();
		final List<Integer> gbpa = new ArrayList<>(), cr0 = new ArrayList<>();
		ToIntFunction<long[]> answer = c -> Regs.CERROR_NONE;

		@Override
		public int command(long[] cmd) {
			commands.add(cmd);
			return answer.applyAsInt(cmd);
		}

		@Override
		public void gbpaWritten(int value) {
			gbpa.add(value);
		}

		@Override
		public void cr0Written(int value) {
			cr0.add(value);
		}

		List<Integer> opcodes() {
			List<Integer> l = new ArrayList<>();
			for (long[] c : commands) {
				l.add((int) (c[0] & 0xff));
			}
			return l;
		}
	}

	final SparseMemory host = new SparseMemory(44);
	final FrameAllocator hostPages = new FrameAllocator(host, 0x1_0000_0000L, 0x2_0000_0000L);
	final VmmAddressSpace vmm = new VmmAddressSpace(host);
	final GuestRam ram = new GuestRam(vmm, hostPages, VA, RAM);
	final GuestMemory gm = ram.memory();
	final FrameAllocator pages = ram.pageAllocator(KERNEL_OFFSET, KERNEL_SIZE);
	final Hooks hooks0 = new Hooks(), hooks1 = new Hooks();
	final EmulatedSmmu vs0 = EmulatedSmmus.create(EmulatedSmmus.qemuAccelSpec("smmuv3.0", VirtMemoryMap.smmuMmio(0)), gm, hooks0);
	final EmulatedSmmu vs1 = EmulatedSmmus.create(EmulatedSmmus.qemuAccelSpec("smmuv3.1", VirtMemoryMap.smmuMmio(1)), gm, hooks1);
	final GuestKernel kernel = new GuestKernel(gm, pages);
	final GuestSmmu g0 = kernel.probe("smmuv3.0", vs0);
	final GuestSmmu g1 = kernel.probe("smmuv3.1", vs1);

	/** Reads guest memory through the VMM's page tables and host memory, not through GuestMemory. */
	long[] hostWords(long gpa, int n) {
		long va = VA + (gpa - VirtMemoryMap.RAM_BASE);
		long hpa = vmm.lookup(va).hostPa(va);
		long[] w = new long[n];
		for (int i = 0; i < n; i++) {
			w[i] = host.read64(hpa + 8L * i);
		}
		return w;
	}

	boolean inKernelWindow(long gpa, long size) {
		return gpa >= pages.base() && gpa + size <= pages.limit();
	}

	static long pa(TranslationResult r) {
		return assertInstanceOf(Translated.class, r).pa();
	}

	static int sid(long[] cmd) {
		return (int) Cmd.SID.get(cmd);
	}

	@Test
	void probeEnablesEachVsmmuWithItsStructuresInGuestRam() {
		for (GuestSmmu g : List.of(g0, g1)) {
			EmulatedSmmu vs = g == g0 ? vs0 : vs1;
			assertTrue(g.driver().isEnabled());
			int en = Regs.CR0_SMMUEN | Regs.CR0_CMDQEN | Regs.CR0_EVENTQEN;
			assertEquals(en, vs.read32(Regs.CR0ACK));
			long strtab = vs.read64(Regs.STRTAB_BASE) & Regs.STRTAB_BASE_ADDR_MASK;
			assertEquals(g.driver().strtabBase(), strtab);
			assertTrue(inKernelWindow(strtab, 8));
			assertTrue(inKernelWindow(vs.read64(Regs.CMDQ_BASE) & Regs.Q_BASE_ADDR_MASK, 16));
			assertTrue(inKernelWindow(vs.read64(Regs.EVENTQ_BASE) & Regs.Q_BASE_ADDR_MASK, 32));
			assertEquals(Regs.STRTAB_FMT_2LVL, Regs.STRTAB_CFG_FMT.get(vs.read32(Regs.STRTAB_BASE_CFG)), "QEMU offers 2-level tables");
			Hooks h = g == g0 ? hooks0 : hooks1;
			assertEquals(List.of(Cmd.CFGI_ALL, Cmd.SYNC, Cmd.TLBI_NSNH_ALL, Cmd.SYNC), h.opcodes());
			assertEquals(en, h.cr0.get(h.cr0.size() - 1));
			assertEquals(List.of(), h.gbpa, "SMMUEN was 0: the driver leaves GBPA alone");
		}
		assertNotEquals(g0.driver().strtabBase(), g1.driver().strtabBase());
	}

	@Test
	void attachWritesTheSteCdAndTablesAsBytesInGuestRam() {
		GuestDevice dev = kernel.attach(g0, 0x10);
		long steGpa = g0.driver().steAddress(0x10);
		assertTrue(inKernelWindow(steGpa, 64));
		long[] ste = hostWords(steGpa, 8);
		assertEquals(1, Ste.V.get(ste));
		assertEquals(Ste.CFG_S1_TRANS, Ste.CONFIG.get(ste));
		assertEquals(Ste.S1FMT_LINEAR, Ste.S1FMT.get(ste));
		assertEquals(dev.cdTable().base(), ste[0] & Ste.S1CTXPTR.mask());
		assertEquals(0, Ste.S1CDMAX.get(ste), "QEMU has no SSIDs: one CD");
		assertEquals(Ste.S1DSS_SSID0, Ste.S1DSS.get(ste));
		// the level-1 descriptor of the 2-level stream table points at the level-2 table holding the STE
		long l1 = hostWords(g0.driver().strtabBase(), 1)[0];
		assertEquals(steGpa - 0x10 * 64, l1 & Ste.L1_L2PTR_MASK);
		assertEquals(9, l1 & 0x1f, "span covers 256 STEs");

		long[] cd = hostWords(dev.cdTable().base(), 8);
		assertTrue(inKernelWindow(dev.cdTable().base(), 64));
		assertEquals(1, Cd.V.get(cd));
		assertEquals(dev.asid(), Cd.ASID.get(cd));
		assertEquals(16, Cd.T0SZ.get(cd), "48-bit input");
		assertEquals(dev.pageTable().ttbr(), cd[1] & Cd.TTB0.mask());
		assertTrue(inKernelWindow(dev.pageTable().ttbr(), 4096));

		// the vSMMU's own view of the entry is the same bytes
		var seen = vs0.readSte(0x10);
		assertEquals(steGpa, seen.address());
		assertArrayEquals(ste, seen.words());
		assertArrayEquals(cd, vs0.readCd(0x10, Event.NO_SSID).words());

		// the front end saw the CD invalidated, then the STE, each followed by a sync
		List<long[]> c = hooks0.commands;
		int firstCd = -1, firstSte = -1;
		for (int i = 4; i < c.size(); i++) {
			int op = (int) (c.get(i)[0] & 0xff);
			if (op == Cmd.CFGI_STE || op == Cmd.CFGI_CD) {
				assertEquals(0x10, sid(c.get(i)));
				assertEquals(Cmd.SYNC, c.get(i + 1)[0] & 0xff, "sync after command " + i);
				if (op == Cmd.CFGI_CD && firstCd < 0) {
					firstCd = i;
				}
				if (op == Cmd.CFGI_STE && firstSte < 0) {
					firstSte = i;
				}
			}
		}
		assertTrue(firstCd > 0 && firstSte > firstCd, "CFGI_CD before CFGI_STE: " + firstCd + " " + firstSte);
		assertTrue(hooks1.commands.size() == 4, "the other vSMMU saw nothing");
	}

	@Test
	void dmaBuffersTranslateThroughTheGuestTablesToTheirGpa() {
		GuestDevice dev = kernel.attach(g0, 0x10);
		hooks0.commands.clear();
		DmaBuffer small = kernel.dmaMap(dev, 0x3000), huge = kernel.dmaMap(dev, 2L << 20), tiny = kernel.dmaMap(dev, 100);
		assertEquals(List.of(), hooks0.commands, "a new mapping needs no invalidation");
		assertEquals(0x1000, tiny.size());
		for (DmaBuffer b : List.of(small, huge, tiny)) {
			assertTrue(inKernelWindow(b.gpa(), b.size()));
			assertTrue(b.iova() < GuestKernel.DMA_LIMIT);
			for (long off : new long[] { 0, b.size() / 2 + 8, b.size() - 8 }) {
				assertEquals(b.gpa() + off, pa(vs0.translate(TranslationRequest.write(0x10, b.iova() + off))), b + " +" + off);
				assertEquals(b.gpa() + off, dev.pageTable().iovaToPhys(b.iova() + off));
			}
		}
		assertEquals(0, huge.iova() & ((2L << 20) - 1));
		assertEquals(0, huge.gpa() & ((2L << 20) - 1));
		Walk w = vs0.walk(TranslationRequest.read(0x10, huge.iova() + 0x1234));
		WalkStep last = w.steps().get(w.steps().size() - 1);
		assertEquals(2, last.level(), "2 MiB block");
		Walk w4k = vs0.walk(TranslationRequest.read(0x10, small.iova()));
		int s1Reads = 0;
		for (WalkStep s : w4k.steps()) {
			assertTrue(inKernelWindow(s.address(), 8), s.toString());
			s1Reads += s.what().equals("S1") ? 1 : 0;
		}
		assertEquals(4, s1Reads, "levels 0-3");

		// the device's DMA lands in the VMM's host pages of the buffer
		long target = pa(vs0.translate(TranslationRequest.write(0x10, small.iova() + 0x2008)));
		gm.write64(target, 0x5eed_5eed_5eed_5eedL);
		assertEquals(0x5eed_5eed_5eed_5eedL, hostWords(small.gpa() + 0x2008, 1)[0]);

		// another device has its own domain: same IOVA, another buffer
		GuestDevice other = kernel.attach(g0, 0x18);
		assertNotEquals(dev.asid(), other.asid());
		DmaBuffer o = kernel.dmaMap(other, 0x3000);
		assertEquals(small.iova(), o.iova(), "the first IOVA of a fresh domain");
		assertNotEquals(small.gpa(), o.gpa());
		assertEquals(o.gpa(), pa(vs0.translate(TranslationRequest.read(0x18, o.iova()))));
		assertEquals(small.gpa(), pa(vs0.translate(TranslationRequest.read(0x10, small.iova()))));
		assertEquals(List.of(small, huge, tiny).size(), dev.buffers().size());
	}

	@Test
	void dmaUnmapSendsTlbiNhVaAndTheVsmmuForgetsTheMapping() {
		GuestDevice dev = kernel.attach(g0, 0x10);
		DmaBuffer b = kernel.dmaMap(dev, 0x4000);
		long mapped = pages.allocatedBytes();
		assertEquals(b.gpa() + 0x3000, pa(vs0.translate(TranslationRequest.read(0x10, b.iova() + 0x3000))));
		assertEquals(TranslationResult.Path.TLB_HIT,
				assertInstanceOf(Translated.class, vs0.translate(TranslationRequest.read(0x10, b.iova() + 0x3000))).path());
		hooks0.commands.clear();

		assertEquals(0x4000, kernel.dmaUnmap(dev, b.iova(), 0x4000));
		assertEquals(List.of(Cmd.TLBI_NH_VA, Cmd.SYNC), hooks0.opcodes());
		long[] tlbi = hooks0.commands.get(0);
		assertEquals(dev.asid(), Cmd.TLBI_ASID.get(tlbi));
		assertEquals(b.iova(), tlbi[1] & Cmd.TLBI_VA_MASK);
		assertEquals(1, Cmd.TLBI_LEAF.get(tlbi));
		assertEquals(1, Cmd.TLBI_TG.get(tlbi), "range command (QEMU has RIL), 4K granule");
		assertEquals(0x4000, (Cmd.TLBI_NUM.get(tlbi) + 1) << (Cmd.TLBI_SCALE.get(tlbi) + 12), "four pages");

		Aborted a = assertInstanceOf(Aborted.class, vs0.translate(TranslationRequest.read(0x10, b.iova() + 0x3000)));
		assertEquals(EventType.F_TRANSLATION, a.event().type(), "the TLB entry is gone: the walk faults");
		List<Event> ev = kernel.events(g0);
		assertEquals(1, ev.size());
		assertEquals(EventType.F_TRANSLATION, ev.get(0).type());
		assertEquals(0x10, ev.get(0).sid());
		assertEquals(b.iova() + 0x3000, ev.get(0).address());
		assertEquals(mapped - 0x4000, pages.allocatedBytes(), "buffer pages freed (the emptied tables stay, as in io-pgtable-arm)");
		assertEquals(List.of(), dev.buffers());
		assertThrows(IllegalArgumentException.class, () -> kernel.dmaUnmap(dev, b.iova(), 0x4000));
	}

	@Test
	void aBlockMappingIsInvalidatedWithItsBlockSize() {
		GuestDevice dev = kernel.attach(g0, 0x10);
		DmaBuffer b = kernel.dmaMap(dev, 2L << 20);
		hooks0.commands.clear();
		kernel.dmaUnmap(dev, b.iova(), 2L << 20);
		long[] tlbi = hooks0.commands.get(0);
		assertEquals(Cmd.TLBI_NH_VA, tlbi[0] & 0xff);
		assertEquals(2, Cmd.TLBI_TTL.get(tlbi), "leaf at level 2");
		assertFalse(vs0.translate(TranslationRequest.read(0x10, b.iova())).ok());
	}

	@Test
	void injectedEventsComeBackFromTheirVsmmusEventQueue() {
		Event e0 = new Event(EventType.F_PERMISSION, 0x10, Event.NO_SSID, 0x1234_5000L, 0x4567_8000L, false, Event.CLASS_IN, false);
		Event e1 = Event.config(EventType.C_BAD_CD, 0x800, Event.NO_SSID, 0, 0);
		vs0.inject(e0);
		vs1.inject(e1);
		vs0.inject(e1);
		assertEquals(List.of(e0, e1), kernel.events(g0));
		assertEquals(List.of(e1), kernel.events(g1));
		assertEquals(List.of(), kernel.events(g0));
		assertEquals(vs0.read32(Regs.EVENTQ_PROD + 0x10000), vs0.read32(Regs.EVENTQ_CONS + 0x10000), "consumed");
	}

	@Test
	void aFullGuestEventQueueIsSeenAsEventqAbtErrAsQemuRaisesIt() {
		Hooks h = new Hooks();
		EmulatedSmmu vs = EmulatedSmmus.create(EmulatedSmmus.qemuAccelSpec("smmuv3.2", VirtMemoryMap.smmuMmio(2)), gm, h);
		GuestSmmu g = kernel.probe("smmuv3.2", vs, SmmuDriver.Options.DEFAULT.withQueues(8, 1));
		for (int i = 0; i < 3; i++) {
			vs.inject(Event.config(EventType.C_BAD_STE, i, Event.NO_SSID, 0, 0));
		}
		// QEMU's smmuv3_write_eventq: the third record meets a full queue, GERROR.EVENTQ_ABT_ERR, no OVFLG
		assertEquals(Regs.GERROR_EVENTQ_ABT_ERR, vs.read32(Regs.GERROR) ^ vs.read32(Regs.GERRORN));
		List<Event> ev = kernel.events(g);
		assertEquals(2, ev.size(), "a queue of two");
		assertEquals(1, ev.get(1).sid());
		assertEquals(0, g.driver().stats().eventOverflows());
		vs.inject(Event.config(EventType.C_BAD_STE, 7, Event.NO_SSID, 0, 0));
		assertEquals(7, kernel.events(g).get(0).sid(), "recording resumes after the acknowledgement");
	}

	@Test
	void detachAbortsTheStreamAndFreesTheDomain() {
		long before = pages.allocatedBytes();
		GuestDevice dev = kernel.attach(g0, 0x10);
		DmaBuffer b = kernel.dmaMap(dev, 0x2000);
		assertTrue(vs0.translate(TranslationRequest.read(0x10, b.iova())).ok());
		long steGpa = g0.driver().steAddress(0x10);
		hooks0.commands.clear();

		kernel.detach(dev);
		assertArrayEquals(new long[] { 1, 0, 0, 0, 0, 0, 0, 0 }, hostWords(steGpa, 8), "V = 1, Config = abort");
		assertEquals(0, Cd.V.get(hostWords(dev.cdTable().base(), 8)), "CD cleared");
		List<Integer> ops = hooks0.opcodes();
		assertEquals(Cmd.CFGI_STE, ops.get(0));
		assertTrue(ops.contains(Cmd.CFGI_CD));
		int asidAt = ops.indexOf(Cmd.TLBI_NH_ASID);
		assertTrue(asidAt > ops.lastIndexOf(Cmd.CFGI_CD));
		assertEquals(dev.asid(), Cmd.TLBI_ASID.get(hooks0.commands.get(asidAt)));
		assertEquals(Cmd.SYNC, ops.get(ops.size() - 1));

		Aborted a = assertInstanceOf(Aborted.class, vs0.translate(TranslationRequest.read(0x10, b.iova())));
		assertNull(a.event(), "STE abort records no event");
		assertEquals(List.of(), kernel.events(g0));
		assertEquals(before + 256 * 64, pages.allocatedBytes(), "all freed but the level-2 stream table, as Linux keeps it");
		assertFalse(dev.attached());
		assertThrows(IllegalStateException.class, () -> kernel.dmaMap(dev, 0x1000));
		assertThrows(IllegalStateException.class, () -> kernel.detach(dev));

		GuestDevice again = kernel.attach(g0, 0x10);
		assertEquals(dev.asid(), again.asid(), "the ASID was released");
		DmaBuffer b2 = kernel.dmaMap(again, 0x1000);
		assertEquals(b2.gpa(), pa(vs0.translate(TranslationRequest.read(0x10, b2.iova()))));
	}

	@Test
	void aCfgiSteTheFrontEndRejectsIsSkippedAndLoggedAsLinuxDoes() {
		// QEMU: a failed STE install answers CERROR_ILL (GERROR.CMDQ_ERR); Linux skips the command and carries on
		hooks0.answer = c -> (c[0] & 0xff) == Cmd.CFGI_STE && sid(c) == 0x20 ? Regs.CERROR_ILL : Regs.CERROR_NONE;
		GuestDevice dev = kernel.attach(g0, 0x20);
		long[] ste = hostWords(g0.driver().steAddress(0x20), 8);
		assertEquals(Ste.CFG_S1_TRANS, Ste.CONFIG.get(ste), "the STE write completed");
		List<CommandQueueException> errs = kernel.commandErrors();
		assertFalse(errs.isEmpty());
		for (CommandQueueException e : errs) {
			assertEquals(Regs.CERROR_ILL, e.error());
			assertEquals(Cmd.CFGI_STE, e.command()[0] & 0xff);
			assertEquals(0x20, sid(e.command()));
		}
		assertEquals(vs0.read32(Regs.GERROR), vs0.read32(Regs.GERRORN), "the guest acknowledged CMDQ_ERR");
		assertEquals(vs0.read32(Regs.CMDQ_PROD), vs0.read32(Regs.CMDQ_CONS) & 0xfffff, "the queue drained");
		// after GERRORN the vSMMU re-reads the failing slot (QEMU §1.13 item 5); Linux has overwritten it with a
		// CMD_SYNC, so each rejection reached the hook once, followed by that CMD_SYNC
		long rejected = 0;
		List<long[]> c = hooks0.commands;
		for (int i = 0; i < c.size(); i++) {
			if ((c.get(i)[0] & 0xff) == Cmd.CFGI_STE && sid(c.get(i)) == 0x20) {
				rejected++;
				assertEquals(Cmd.SYNC, c.get(i + 1)[0] & 0xff);
			}
		}
		assertEquals(errs.size(), rejected);
		DmaBuffer b = kernel.dmaMap(dev, 0x1000);
		assertEquals(b.gpa(), pa(vs0.translate(TranslationRequest.read(0x20, b.iova()))));
	}

	@Test
	void randomMapsAndUnmapsKeepTheVsmmusViewExact() {
		java.util.Random rnd = new java.util.Random(42);
		GuestDevice dev = kernel.attach(g1, 0x100);
		List<DmaBuffer> live = new ArrayList<>();
		List<DmaBuffer> gone = new ArrayList<>();
		for (int step = 0; step < 300; step++) {
			if (live.isEmpty() || rnd.nextInt(3) != 0) {
				long size = rnd.nextInt(10) == 0 ? 2L << 20 : 1 + rnd.nextInt(5 * 4096);
				live.add(kernel.dmaMap(dev, size));
			} else {
				DmaBuffer b = live.remove(rnd.nextInt(live.size()));
				assertEquals(b.size(), kernel.dmaUnmap(dev, b.iova(), b.size()));
				gone.add(b);
			}
			for (DmaBuffer b : live) {
				long off = (rnd.nextLong() & Long.MAX_VALUE) % b.size() & ~7L;
				assertEquals(b.gpa() + off, pa(vs1.translate(TranslationRequest.write(0x100, b.iova() + off))), "step " + step);
			}
			for (DmaBuffer b : gone) {
				long iova = b.iova() + ((rnd.nextLong() & Long.MAX_VALUE) % b.size() & ~7L);
				boolean remapped = false;
				for (DmaBuffer l : live) {
					remapped |= l.containsIova(iova);
				}
				if (!remapped) {
					assertFalse(vs1.translate(TranslationRequest.read(0x100, iova)).ok(), "stale translation at step " + step);
				}
			}
			for (Event e : kernel.events(g1)) {
				assertEquals(EventType.F_TRANSLATION, e.type());
			}
		}
		assertEquals(live.size(), dev.buffers().size());
		assertEquals(0, g1.driver().stats().eventOverflows());
	}

	@Test
	void badRequestsFailWithoutTouchingTheVsmmu() {
		GuestDevice dev = kernel.attach(g0, 0x10);
		assertThrows(IllegalStateException.class, () -> kernel.attach(g0, 0x10));
		DriverException e = assertThrows(DriverException.class, () -> kernel.attach(g0, 0x1_0000));
		assertEquals(Errno.ERANGE, e.errno());
		assertThrows(IllegalArgumentException.class, () -> kernel.dmaMap(dev, 0));
		DmaBuffer b = kernel.dmaMap(dev, 0x2000);
		int n = hooks0.commands.size();
		assertThrows(IllegalArgumentException.class, () -> kernel.dmaUnmap(dev, b.iova(), 0x1000), "size mismatch");
		assertThrows(IllegalArgumentException.class, () -> kernel.dmaUnmap(dev, b.iova() + 0x1000, 0x1000));
		assertEquals(n, hooks0.commands.size());
		GuestKernel otherKernel = new GuestKernel(gm, ram.pageAllocator(0, 16L << 20));
		assertThrows(IllegalArgumentException.class, () -> otherKernel.events(g0));
		assertThrows(IllegalArgumentException.class, () -> new GuestKernel(new SparseMemory(40), pages));
		DriverException big = assertThrows(DriverException.class, () -> kernel.dmaMap(dev, KERNEL_SIZE));
		assertEquals(Errno.ENOMEM, big.errno());
		assertEquals(1, dev.buffers().size());
	}
}
