package smmu.accel.vsmmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import smmu.accel.guest.DmaBuffer;
import smmu.accel.guest.GuestSmmu;
import smmu.accel.vm.Vm;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Regs;
import smmu.hw.arch.Ste;
import smmu.hw.emul.EmulatedSmmu;
import smmu.hw.testing.TestHost;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.impl.HostKernel;
import smmu.iommufd.impl.IommufdComponent;
import smmu.vfio.DmaResult;

/**
 * A hostile guest: one VM with two accel vSMMUs over two physical SMMUs, booted by the guest kernel
 * model, whose "guest" then writes garbage into its vSMMUs' registers, stream tables, context
 * descriptors, stage-1 tables and command queues while a thread DMAs through its devices. A second VM
 * on the same host, untouched, DMAs into its own buffers all along. Invariants: no Java exception
 * escapes a register write, a queue or a DMA (garbage ends as events, GERROR, CERROR or QEMU's
 * messages); no step takes more than {@link #STEP_LIMIT_MS}; the fuzzed VM's DMA reaches only host
 * pages of its own RAM (or the host's MSI doorbell, which the nest parent maps for every VM) and the
 * other VM's DMA keeps landing exactly on its buffers' pages; the iommufd object graph stays
 * consistent, and closing the fuzzed VM leaves no object behind.
 * <p>
 * CI runs three fixed seeds of 3000 steps; {@code -Dsmmu.fuzz.iterations=N -Dsmmu.fuzz.seed=S -Dsmmu.fuzz.seeds=K} run
 * K seeds from S, N steps each.
 */
class HostileGuestFuzzTest {
	static final long RAM = 32L << 20, PAGE = 4096, STEP_LIMIT_MS = 5_000;
	static final String[] DEVS = { "dev0", "dev1", "dev2", "dev3" };
	static final int[] REGS = { Regs.CR0, Regs.CR1, Regs.CR2, Regs.GBPA, Regs.IRQ_CTRL, Regs.GERRORN, Regs.STRTAB_BASE, Regs.STRTAB_BASE + 4,
			Regs.STRTAB_BASE_CFG, Regs.CMDQ_BASE, Regs.CMDQ_BASE + 4, Regs.CMDQ_PROD, Regs.CMDQ_CONS, Regs.EVENTQ_BASE, Regs.EVENTQ_BASE + 4,
			Regs.EVENTQ_PROD, Regs.EVENTQ_CONS, Regs.GERROR_IRQ_CFG0, Regs.EVENTQ_IRQ_CFG0, Regs.EVENTQ_PROD + 0x10000,
			Regs.EVENTQ_CONS + 0x10000 };
	static final int[] OPS = { Cmd.CFGI_STE, Cmd.CFGI_STE_RANGE, Cmd.CFGI_CD, Cmd.CFGI_CD_ALL, Cmd.TLBI_NH_ALL, Cmd.TLBI_NH_ASID, Cmd.TLBI_NH_VA,
			Cmd.TLBI_NH_VAA, Cmd.TLBI_NSNH_ALL, Cmd.TLBI_S12_VMALL, Cmd.TLBI_S2_IPA, Cmd.ATC_INV, Cmd.PREFETCH_CFG, Cmd.SYNC, Cmd.TLBI_EL2_ALL,
			Cmd.RESUME, Cmd.PRI_RESP };

	TestHost hw;
	HostKernel kernel;
	final List<Vm> vms = new ArrayList<>();

	@AfterEach
	void shutdown() {
		for (Vm vm : vms) {
			vm.close();
		}
		vms.clear();
		if (kernel != null) {
			kernel.deactivate();
			kernel = null;
		}
	}

	Vm vm(String name, int fn, IommufdComponent iommufd) {
		Vm vm = new Vm(name, hw, iommufd, hw.userPages, RAM, kernel::awaitInterrupts);
		vms.add(vm);
		vm.addPxb("pcie.1", 1);
		vm.addPxb("pcie.2", 8);
		vm.addVsmmu("smmuv3.0", "pcie.1", AccelVsmmu.Properties.DEFAULT);
		vm.addVsmmu("smmuv3.1", "pcie.2", AccelVsmmu.Properties.DEFAULT);
		vm.plug("dev0", TestHost.bdf(0, fn), "pcie.1", 0);
		vm.plug("dev1", TestHost.bdf(0, fn + 1), "pcie.1", 8);
		vm.plug("dev2", TestHost.bdf(1, fn), "pcie.2", 0);
		vm.plug("dev3", TestHost.bdf(1, fn + 1), "pcie.2", 8);
		vm.boot();
		return vm;
	}

	/** Host physical ranges {start, end} backing a VM's RAM. */
	static List<long[]> hostRanges(Vm vm) {
		List<long[]> l = new ArrayList<>();
		for (long gpa = vm.ram().base(); gpa < vm.ram().end(); gpa += PAGE) {
			long pa = vm.ram().memory().hostPa(gpa);
			l.add(new long[] { pa, pa + PAGE });
		}
		return l;
	}

	static boolean in(List<long[]> ranges, long pa) {
		for (long[] r : ranges) {
			if (pa >= r[0] && pa < r[1]) {
				return true;
			}
		}
		return false;
	}

	static long prop(String name, long def) {
		String v = System.getProperty(name);
		return v == null || v.isBlank() ? def : Long.decode(v.trim());
	}

	@Test
	void aHostileGuestReachesNothingButItsOwnRamAndBreaksNothingOnTheHost() throws Exception {
		long seed = prop("smmu.fuzz.seed", 20261204);
		for (long s = seed; s < seed + prop("smmu.fuzz.seeds", 3); s++) {
			run(s, (int) prop("smmu.fuzz.iterations", 3000));
			shutdown();
		}
	}

	/**
	 * Found by this fuzzer (seeds 20261204..20261243 before the fix): a guest that broke its own page
	 * tables or disabled its vSMMU's command queue made {@code Vm.close()} throw from the guest kernel's
	 * detach (MemoryAbort from its page-table walk, IllegalArgumentException freeing pages that are not its
	 * own, IllegalStateException from its driver), leaving the VM's devices and vIOMMU objects behind.
	 */
	@Test
	void closingAVmWhoseGuestBrokeItsOwnStateFreesEverything() {
		hw = new TestHost(2, 4, UnaryOperator.identity());
		kernel = new HostKernel(hw, KernelMode.SHARED);
		IommufdComponent iommufd = new IommufdComponent(kernel);
		Vm bad = vm("bad", 0, iommufd);
		var mem = bad.ram().memory();
		for (int i = 0; i < 4; i++) {
			bad.dmaMap(DEVS[i], PAGE);
			int sid = bad.device(DEVS[i]).vsid();
			long ste = bad.kernel().smmus().get(i / 2).driver().steAddress(sid);
			long cd = Ste.S1CTXPTR.get(new long[] { mem.read64(ste) }) << 6;
			long ttb = mem.read64(cd + 8) & 0x000f_ffff_ffff_f000L;
			// devices 0 and 2: a table descriptor out of RAM; devices 1 and 3: one at a page the guest's allocator never gave out
			mem.write64(ttb, (i % 2 == 0 ? 0x4_0000_0000L : bad.ram().base()) | 3);
		}
		bad.vsmmus().get(1).smmu().write32(Regs.CR0, 0);
		vms.remove(bad);
		bad.close();
		assertEquals(List.of(), bad.iommufd().objects());
		Vm again = vm("again", 0, iommufd);
		DmaBuffer b = again.dmaMap("dev3", PAGE);
		assertTrue(again.dmaWrite("dev3", b.iova(), new byte[16]).ok());
	}

	void run(long seed, int iterations) throws Exception {
		KernelMode mode = seed % 2 == 0 ? KernelMode.SHARED : KernelMode.PER_SMMU;
		String tag = "seed " + seed + " (" + mode + "): ";
		hw = new TestHost(2, 4, UnaryOperator.identity());
		kernel = new HostKernel(hw, mode);
		IommufdComponent iommufd = new IommufdComponent(kernel);
		Vm bad = vm("bad", 0, iommufd), good = vm("good", 2, iommufd);
		Random setup = new Random(seed);
		List<long[]> badRam = hostRanges(bad), goodRam = hostRanges(good);
		Map<String, List<DmaBuffer>> badBufs = new java.util.HashMap<>(), goodBufs = new java.util.HashMap<>();
		for (String d : DEVS) {
			List<DmaBuffer> b = new ArrayList<>(), g = new ArrayList<>();
			for (int i = 0; i < 3; i++) {
				b.add(bad.dmaMap(d, PAGE * (1 + setup.nextInt(3))));
				g.add(good.dmaMap(d, PAGE * (1 + setup.nextInt(3))));
			}
			badBufs.put(d, b);
			goodBufs.put(d, g);
		}
		List<GuestSmmu> gsmmus = bad.kernel().smmus();
		long[][] booted = new long[2][];
		for (int v = 0; v < 2; v++) {
			EmulatedSmmu e = bad.vsmmus().get(v).smmu();
			booted[v] = new long[] { e.read64(Regs.STRTAB_BASE), e.read32(Regs.STRTAB_BASE_CFG), e.read64(Regs.CMDQ_BASE), e.read64(Regs.EVENTQ_BASE),
					e.read32(Regs.CR0), e.read32(Regs.CR1), e.read32(Regs.CR2) };
		}
		long[] steGpas = new long[8];
		for (int i = 0; i < 4; i++) {
			Vm.Device dev = bad.device(DEVS[i]);
			steGpas[i] = gsmmus.get(i / 2).driver().steAddress(dev.vsid());
		}
		ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
		AtomicBoolean stop = new AtomicBoolean();
		AtomicLong fuzzSteps = new AtomicLong(), badDmas = new AtomicLong(), goodDmas = new AtomicLong(), badReached = new AtomicLong();
		AtomicLong gerrors = new AtomicLong(), cerrors = new AtomicLong(), injected = new AtomicLong();
		Set<Long> foreignTargets = java.util.concurrent.ConcurrentHashMap.newKeySet();
		long doorbellPage = hw.msi.doorbell() & ~(PAGE - 1);

		Thread badDma = new Thread(() -> {
			Random rnd = new Random(seed + 1);
			while (!stop.get()) {
				String d = DEVS[rnd.nextInt(4)];
				List<DmaBuffer> bufs = badBufs.get(d);
				long iova = switch (rnd.nextInt(4)) {
					case 0, 1 -> bufs.get(rnd.nextInt(bufs.size())).iova() + rnd.nextInt((int) PAGE);
					case 2 -> bad.ram().base() + rnd.nextLong(RAM + PAGE);
					default -> rnd.nextLong(1L << 40);
				};
				byte[] data = new byte[1 + rnd.nextInt(2 * (int) PAGE)];
				rnd.nextBytes(data);
				try {
					DmaResult r = rnd.nextBoolean() ? bad.dmaWrite(d, iova, data) : bad.dmaRead(d, iova, data);
					for (long pa : r.hostPas()) {
						if (in(goodRam, pa)) {
							failures.add(String.format("%sbad VM's %s reached the good VM's host page 0x%x (IOVA 0x%x)", tag, d, pa, iova));
						} else if (!in(badRam, pa) && (pa & ~(PAGE - 1)) != doorbellPage) {
							foreignTargets.add(pa);
							failures.add(String.format("%sbad VM's %s reached host PA 0x%x outside its RAM (IOVA 0x%x)", tag, d, pa, iova));
						}
					}
					badDmas.incrementAndGet();
					badReached.addAndGet(r.bytes() > 0 ? 1 : 0);
				} catch (RuntimeException e) {
					failures.add(tag + "bad VM DMA threw " + e);
					return;
				}
			}
		}, "bad-dma");
		Thread goodDma = new Thread(() -> {
			Random rnd = new Random(seed + 2);
			while (!stop.get()) {
				String d = DEVS[rnd.nextInt(4)];
				List<DmaBuffer> bufs = goodBufs.get(d);
				DmaBuffer b = bufs.get(rnd.nextInt(bufs.size()));
				int off = rnd.nextInt((int) b.size());
				byte[] data = new byte[1 + rnd.nextInt((int) b.size() - off)];
				rnd.nextBytes(data);
				try {
					DmaResult r = good.dmaWrite(d, b.iova() + off, data);
					if (!r.ok() || r.bytes() != data.length) {
						failures.add(String.format("%sgood VM's %s DMA into its buffer failed: %s", tag, d, r.fault()));
						return;
					}
					byte[] landed = new byte[data.length];
					good.ram().memory().read(b.gpa() + off, landed, 0, landed.length);
					if (!java.util.Arrays.equals(data, landed)) {
						failures.add(tag + "good VM's DMA did not land in its buffer");
						return;
					}
					for (long pa : r.hostPas()) {
						if (!in(goodRam, pa)) {
							failures.add(String.format("%sgood VM's %s reached host PA 0x%x outside its RAM", tag, d, pa));
						}
					}
					goodDmas.incrementAndGet();
				} catch (RuntimeException e) {
					failures.add(tag + "good VM DMA threw " + e);
					return;
				}
			}
		}, "good-dma");

		AtomicLong stepStart = new AtomicLong(System.nanoTime());
		StringBuilder lastStep = new StringBuilder();
		Thread fuzzer = new Thread(() -> {
			Random rnd = new Random(seed);
			for (int i = 0; i < iterations && failures.isEmpty(); i++) {
				stepStart.set(System.nanoTime());
				int v = rnd.nextInt(2);
				AccelVsmmu vs = bad.vsmmus().get(v);
				String what = "";
				try {
					what = step(rnd, bad, vs, v, steGpas, booted[v]);
					gerrors.accumulateAndGet((vs.smmu().read32(Regs.GERROR) ^ vs.smmu().read32(Regs.GERRORN)) & 0xff, (a, b) -> a | b);
					cerrors.addAndGet(Regs.CMDQ_CONS_ERR.get(vs.smmu().read32(Regs.CMDQ_CONS) & 0xffff_ffffL) != 0 ? 1 : 0);
					synchronized (lastStep) {
						lastStep.setLength(0);
						lastStep.append("step ").append(i).append(' ').append(what);
					}
					if (i % 50 == 49) {
						kernel.awaitInterrupts();
						injected.addAndGet(vs.pollEvents());
						checkGraph(tag + "step " + i, bad, failures);
					}
				} catch (RuntimeException e) {
					java.io.StringWriter sw = new java.io.StringWriter();
					e.printStackTrace(new java.io.PrintWriter(sw));
					failures.add(tag + "step " + i + " (" + what + ") threw " + sw);
					return;
				}
				fuzzSteps.incrementAndGet();
			}
		}, "fuzzer");
		long t0 = System.nanoTime();
		badDma.start();
		goodDma.start();
		fuzzer.start();
		while (fuzzer.isAlive()) {
			fuzzer.join(200);
			if (fuzzer.isAlive() && System.nanoTime() - stepStart.get() > STEP_LIMIT_MS * 1_000_000L) {
				StringBuilder st = new StringBuilder();
				for (StackTraceElement e : fuzzer.getStackTrace()) {
					st.append("\n  at ").append(e);
				}
				stop.set(true);
				fail(tag + "a fuzz step hangs after " + lastStep + st);
			}
		}
		stop.set(true);
		badDma.join(STEP_LIMIT_MS);
		goodDma.join(STEP_LIMIT_MS);
		double secs = (System.nanoTime() - t0) / 1e9;
		int qemuMessages = bad.vsmmus().get(0).reported().size() + bad.vsmmus().get(1).reported().size();
		System.out.printf(
				"HostileGuestFuzzTest %s%d fuzz steps, %d hostile DMAs (%d reached RAM), %d good DMAs in %.1f s (%.0f steps/s); "
						+ "GERROR bits seen 0x%x, steps with CERROR %d, events injected %d, QEMU messages %d%n",
				tag, fuzzSteps.get(), badDmas.get(), badReached.get(), goodDmas.get(), secs, fuzzSteps.get() / secs, gerrors.get(), cerrors.get(),
				injected.get(), qemuMessages);
		assertEquals(List.of(), List.copyOf(failures));
		assertTrue(!badDma.isAlive() && !goodDma.isAlive(), tag + "a DMA hangs");
		assertEquals(iterations, fuzzSteps.get(), tag);
		assertTrue(goodDmas.get() > 0 && badDmas.get() > 0, tag + "DMA ran during the fuzzing");

		// the good VM: its guest saw nothing, QEMU printed nothing, and its buffers still translate
		for (AccelVsmmu s : good.vsmmus()) {
			assertEquals(List.of(), good.guestEvents(s.id()), tag + s.id());
			assertEquals(List.of(), s.reported(), tag + s.id());
		}
		assertEquals(List.of(), good.kernel().commandErrors(), tag);
		for (String d : DEVS) {
			for (DmaBuffer b : goodBufs.get(d)) {
				byte[] data = new byte[(int) b.size()];
				setup.nextBytes(data);
				DmaResult r = good.dmaWrite(d, b.iova(), data);
				assertTrue(r.ok(), tag + d);
				byte[] landed = new byte[data.length];
				good.ram().memory().read(b.gpa(), landed, 0, landed.length);
				assertArrayEquals(data, landed, tag + d);
			}
		}
		// the bad VM's object graph, then its destruction
		checkGraph(tag + "end", bad, failures);
		assertEquals(List.of(), List.copyOf(failures));
		List<IommufdObject> goodBefore = good.iommufd().objects();
		vms.remove(bad);
		bad.close();
		assertEquals(List.of(), bad.iommufd().objects(), tag + "the bad VM leaves no object behind");
		assertEquals(goodBefore.toString(), good.iommufd().objects().toString(), tag + "closing the bad VM touches the good VM's objects");
		Vm again = vm("again", 0, iommufd);
		DmaBuffer b = again.dmaMap("dev0", PAGE);
		assertTrue(again.dmaWrite("dev0", b.iova(), new byte[16]).ok(), tag + "the bad VM's devices are usable by a fresh VM");
	}

	/** References resolve; no more nested HWPTs than abort + bypass + one per device per vIOMMU. */
	static void checkGraph(String what, Vm vm, ConcurrentLinkedQueue<String> failures) {
		List<IommufdObject> objs = vm.iommufd().objects();
		Set<Integer> ids = new HashSet<>();
		for (IommufdObject o : objs) {
			ids.add(o.id());
		}
		int nested = 0, viommus = 0;
		for (IommufdObject o : objs) {
			for (int r : o.references()) {
				if (!ids.contains(r)) {
					failures.add(what + ": " + o + " references missing object " + r);
				}
			}
			String t = o.type().toString();
			nested += t.contains("NESTED") ? 1 : 0;
			viommus += t.contains("VIOMMU") ? 1 : 0;
		}
		if (nested > viommus * 4) {
			failures.add(what + ": " + nested + " nested HWPTs on " + viommus + " vIOMMUs: " + objs);
		}
	}

	/** One hostile act; returns what it did. */
	static String step(Random rnd, Vm vm, AccelVsmmu vs, int v, long[] steGpas, long[] booted) {
		EmulatedSmmu s = vs.smmu();
		var mem = vm.ram().memory();
		switch (rnd.nextInt(11)) {
			case 10: {
				// the guest recovers as a driver would: disable, the boot-time tables and queues back, enable, ack GERROR
				s.write32(Regs.CR0, 0);
				s.write32(Regs.CR1, (int) booted[5]);
				s.write32(Regs.CR2, (int) booted[6]);
				s.write64(Regs.STRTAB_BASE, booted[0]);
				s.write32(Regs.STRTAB_BASE_CFG, (int) booted[1]);
				s.write64(Regs.CMDQ_BASE, booted[2]);
				s.write32(Regs.CMDQ_PROD, 0);
				s.write32(Regs.CMDQ_CONS, 0);
				s.write64(Regs.EVENTQ_BASE, booted[3]);
				s.write32(Regs.EVENTQ_PROD + 0x10000, 0);
				s.write32(Regs.EVENTQ_CONS + 0x10000, 0);
				s.write32(Regs.GBPA, Regs.GBPA_UPDATE | (rnd.nextBoolean() ? Regs.GBPA_ABORT : 0));
				s.write32(Regs.CR0, (int) booted[4]);
				s.write32(Regs.GERRORN, s.read32(Regs.GERROR));
				return vs.id() + " recover";
			}
			case 0, 1: {
				int off = rnd.nextInt(8) == 0 ? rnd.nextInt(Regs.MMIO_SIZE) & ~3 : REGS[rnd.nextInt(REGS.length)];
				int val = garbage32(rnd);
				if (rnd.nextBoolean() && (off & 7) == 0 && off + 8 <= Regs.MMIO_SIZE) {
					long val64 = (long) val << 32 | (rnd.nextInt() & 0xffff_ffffL);
					s.write64(off, val64);
					return String.format("%s write64 0x%x = 0x%x", vs.id(), off, val64);
				}
				s.write32(off, val);
				return String.format("%s write32 0x%x = 0x%x", vs.id(), off, val);
			}
			case 2: {
				int off = REGS[rnd.nextInt(REGS.length)];
				s.read32(off);
				return String.format("%s read32 0x%x", vs.id(), off);
			}
			case 3, 4: {
				// flip bits in a device's STE, then CFGI_STE for it
				int d = v * 2 + rnd.nextInt(2);
				long gpa = steGpas[d] + 8L * rnd.nextInt(Ste.WORDS);
				mem.write64(gpa, mem.read64(gpa) ^ (1L << rnd.nextInt(64)) ^ (rnd.nextInt(4) == 0 ? rnd.nextLong() : 0));
				int sid = vm.device(DEVS[d]).vsid();
				return vs.id() + " STE bit flip @0x" + Long.toHexString(gpa) + "; " + command(rnd, s, mem, Cmd.CFGI_STE, sid);
			}
			case 5: {
				// flip bits in the device's CD or its stage-1 tables, then CFGI_CD or TLBI
				int d = v * 2 + rnd.nextInt(2);
				long ctx = Ste.S1CTXPTR.get(new long[] { mem.read64(steGpas[d]) }) << 6;
				if (!vm.ram().contains(ctx, 64)) {
					return "no CD";
				}
				long gpa;
				if (rnd.nextBoolean()) {
					gpa = ctx + 8L * rnd.nextInt(8);
				} else {
					long ttb = mem.read64(ctx + 8) & 0x000f_ffff_ffff_fff0L;
					if (!vm.ram().contains(ttb, PAGE)) {
						return "no table";
					}
					gpa = (ttb & ~(PAGE - 1)) + 8L * rnd.nextInt(512);
				}
				mem.write64(gpa, mem.read64(gpa) ^ (1L << rnd.nextInt(64)));
				int sid = vm.device(DEVS[d]).vsid();
				int op = rnd.nextBoolean() ? Cmd.CFGI_CD : OPS[4 + rnd.nextInt(5)];
				return vs.id() + " CD/table flip @0x" + Long.toHexString(gpa) + "; " + command(rnd, s, mem, op, sid);
			}
			case 6: {
				// garbage anywhere in the guest's RAM (its kernel's structures included)
				long gpa = vm.ram().base() + (rnd.nextLong(RAM) & ~7);
				mem.write64(gpa, rnd.nextLong());
				return "RAM garbage @0x" + Long.toHexString(gpa);
			}
			case 7: {
				vs.pollEvents();
				return vs.id() + " poll events";
			}
			default: {
				int op = rnd.nextInt(4) == 0 ? rnd.nextInt(256) : OPS[rnd.nextInt(OPS.length)];
				int sid = rnd.nextBoolean() ? vm.device(DEVS[v * 2 + rnd.nextInt(2)]).vsid() : rnd.nextInt();
				return vs.id() + " " + command(rnd, s, mem, op, sid);
			}
		}
	}

	/** Puts a command at the queue's PROD (wherever the guest's garbage left the queue) and bumps PROD. */
	static String command(Random rnd, EmulatedSmmu s, smmu.accel.vm.GuestMemory mem, int op, int sid) {
		long[] cmd = { (op & 0xffL) | (long) sid << 32, 0 };
		if (rnd.nextInt(3) == 0) {
			cmd[0] ^= rnd.nextLong() & 0xffff_ff00L;
			cmd[1] = rnd.nextLong();
		}
		long base = s.read64(Regs.CMDQ_BASE);
		int log2 = (int) Regs.Q_BASE_LOG2SIZE.get(base);
		long q = base & Regs.Q_BASE_ADDR_MASK;
		int prod = s.read32(Regs.CMDQ_PROD);
		long mask = (1L << Math.min(log2, 19)) - 1;
		long idx = prod & mask;
		long gpa = q + idx * Cmd.BYTES;
		if (mem.ram().contains(gpa, Cmd.BYTES)) {
			mem.write64(gpa, cmd[0]);
			mem.write64(gpa + 8, cmd[1]);
		}
		int wrap = 1 << Math.min(log2, 19);
		int next = (int) ((prod & (wrap | mask)) + 1) & (int) ((wrap << 1) - 1);
		s.write32(Regs.CMDQ_PROD, next);
		int cons = s.read32(Regs.CMDQ_CONS);
		return String.format("cmd 0x%02x sid 0x%x [0x%x 0x%x] @0x%x, CONS 0x%x", op, sid, cmd[0], cmd[1], gpa, cons);
	}

	static int garbage32(Random rnd) {
		return switch (rnd.nextInt(4)) {
			case 0 -> rnd.nextInt();
			case 1 -> 1 << rnd.nextInt(32);
			case 2 -> rnd.nextInt(16);
			default -> ~0;
		};
	}
}
