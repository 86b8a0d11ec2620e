package smmu.hw.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.arch.Cmd;
import smmu.hw.arch.Regs;

/** Random register writes, random command words and random events never throw out of the device. */
class SmmuDeviceRandomTest {

	private static final int[] REGS = { Regs.CR0, Regs.CR1, Regs.CR2, Regs.GBPA, Regs.IRQ_CTRL, Regs.GERROR, Regs.GERRORN,
			Regs.GERROR_IRQ_CFG0, Regs.GERROR_IRQ_CFG0 + 4, Regs.GERROR_IRQ_CFG1, Regs.GERROR_IRQ_CFG2, Regs.STRTAB_BASE, Regs.STRTAB_BASE + 4,
			Regs.STRTAB_BASE_CFG, Regs.CMDQ_BASE, Regs.CMDQ_BASE + 4, Regs.CMDQ_PROD, Regs.CMDQ_CONS, Regs.EVENTQ_BASE, Regs.EVENTQ_BASE + 4,
			Regs.EVENTQ_PROD, Regs.EVENTQ_CONS, Regs.EVENTQ_IRQ_CFG0, Regs.EVENTQ_IRQ_CFG1, Regs.EVENTQ_IRQ_CFG2, Regs.IDR0, Regs.CR0ACK,
			0xfd0 };
	private static final int[] OPS = { Cmd.PREFETCH_CFG, Cmd.PREFETCH_ADDR, Cmd.CFGI_STE, Cmd.CFGI_STE_RANGE, Cmd.CFGI_CD, Cmd.CFGI_CD_ALL,
			Cmd.TLBI_NH_ALL, Cmd.TLBI_NH_ASID, Cmd.TLBI_NH_VA, Cmd.TLBI_NH_VAA, Cmd.TLBI_EL3_ALL, Cmd.TLBI_EL3_VA, Cmd.TLBI_EL2_ALL,
			Cmd.TLBI_EL2_ASID, Cmd.TLBI_EL2_VA, Cmd.TLBI_EL2_VAA, Cmd.TLBI_S12_VMALL, Cmd.TLBI_S2_IPA, Cmd.TLBI_NSNH_ALL, Cmd.ATC_INV,
			Cmd.PRI_RESP, Cmd.RESUME, Cmd.STALL_TERM, Cmd.SYNC };

	private static int offset(Random r) {
		return switch (r.nextInt(4)) {
			case 0 -> r.nextInt();
			case 1 -> r.nextInt(0x20000);
			default -> REGS[r.nextInt(REGS.length)] + (r.nextBoolean() ? 0x10000 : 0);
		};
	}

	private static long value(Random r) {
		return switch (r.nextInt(4)) {
			case 0 -> r.nextLong();
			case 1 -> r.nextInt(64);
			case 2 -> (r.nextLong() & 0xff_ffff_ffe0L) | r.nextInt(32); // a plausible base
			default -> 1L << r.nextInt(64);
		};
	}

	@Test
	void randomSoftwareNeverThrows() {
		long engineCalls = 0, commands = 0;
		for (long seed = 1; seed <= 25; seed++) {
			Random r = new Random(seed);
			Rig rig = new Rig().commandQueue(4).eventQueue(3);
			SmmuDevice d = rig.smmu;
			for (int step = 0; step < 3000; step++) {
				switch (r.nextInt(11)) {
					case 0, 1, 2 -> d.write32(offset(r), (int) value(r));
					case 3 -> d.write64(offset(r) & ~7, value(r));
					case 4 -> {
						d.read32(offset(r));
						d.read64(offset(r));
					}
					case 5, 6 -> {
						long base = d.read64(Regs.CMDQ_BASE);
						int log2 = (int) (base & 0x1f);
						int prod = d.read32(Regs.CMDQ_PROD);
						int k = 1 + r.nextInt(3);
						for (int i = 0; i < k; i++) {
							long addr = (base & Regs.Q_BASE_ADDR_MASK) + 16L * ((prod + i) & ((1 << log2) - 1));
							if (addr + 16 <= 1L << 40) {
								long w0 = r.nextInt(8) == 0 ? r.nextLong() : (r.nextLong() & ~0xffL & ~(1L << 10)) | OPS[r.nextInt(OPS.length)];
								rig.memory.write64(addr, w0);
								rig.memory.write64(addr + 8, r.nextBoolean() ? r.nextLong() : r.nextLong() & 0xff_ffff_fffcL);
							}
						}
						d.write32(Regs.CMDQ_PROD, prod + k);
					}
					case 7 -> rig.engine.sink.record(new Event(EventType.values()[r.nextInt(EventType.values().length)], r.nextInt(),
							r.nextBoolean() ? Event.NO_SSID : r.nextInt(), r.nextLong(), r.nextLong(), r.nextBoolean(), r.nextInt(), r.nextBoolean()));
					case 8 -> {
						TranslationResult res = d.translate(new TranslationRequest(r.nextInt(), r.nextInt(), r.nextLong(), r.nextBoolean()));
						assertTrue(res != null);
						d.walk(TranslationRequest.read(r.nextInt(), r.nextLong()));
					}
					case 9 -> d.write32(Regs.GERRORN, d.read32(Regs.GERROR));
					default -> {
						if (r.nextInt(20) == 0) {
							d.reset();
						} else if (r.nextInt(20) == 0) {
							Map<Integer, Long> m = new HashMap<>();
							for (int i = 0; i < 6; i++) {
								m.put(offset(r), value(r));
							}
							d.restore(m);
						} else {
							d.write32(Regs.CR0, r.nextInt(16));
						}
					}
				}
				assertEquals(d.read32(Regs.CR0) & 0x3df, d.read32(Regs.CR0ACK), "seed " + seed);
				assertEquals(0, d.read32(Regs.GBPA) & Regs.GBPA_UPDATE);
				int log2 = (int) (d.read64(Regs.CMDQ_BASE) & 0x1f);
				assertTrue(log2 <= 19);
				assertEquals(0, d.read32(Regs.CMDQ_PROD) & ~((2 << log2) - 1));
				assertEquals(0, d.read32(Regs.CMDQ_CONS) & ~((2 << log2) - 1 | 0x7f00_0000));
				assertEquals(0, d.read32(Regs.GERROR) & ~0x1fd);
			}
			engineCalls += rig.engine.take().size();
			commands += d.stats().commands().values().stream().mapToLong(Long::longValue).sum();
		}
		// the random stream reaches the decoder, not only the error path
		assertTrue(engineCalls > 1000, "engine calls " + engineCalls);
		assertTrue(commands > 1000, "commands " + commands);
	}

	@Test
	void translationsRunWhileRegistersChange() throws Exception {
		Rig rig = new Rig().commandQueue(4).eventQueue(10);
		SmmuDevice d = rig.smmu;
		AtomicReference<Throwable> failure = new AtomicReference<>();
		Thread[] ts = new Thread[4];
		for (int t = 0; t < ts.length; t++) {
			int id = t;
			ts[t] = new Thread(() -> {
				try {
					for (int i = 0; i < 20_000; i++) {
						TranslationResult res = d.translate(TranslationRequest.read(id, 0x1000L * i));
						if (res instanceof TranslationResult.Translated tr) {
							long iova = 0x1000L * i;
							if (tr.pa() != iova && tr.pa() != iova + RecordingEngine.OFFSET) {
								throw new AssertionError("bad output " + tr);
							}
						}
						if (i % 64 == 0) {
							rig.engine.sink.record(Event.config(EventType.C_BAD_STREAMID, id, Event.NO_SSID, 0, 0));
						}
					}
				} catch (Throwable e) {
					failure.compareAndSet(null, e);
				}
			});
			ts[t].start();
		}
		Random r = new Random(7);
		for (int i = 0; i < 5000; i++) {
			d.write32(Regs.CR0, Regs.CR0_CMDQEN | Regs.CR0_EVENTQEN | (r.nextBoolean() ? Regs.CR0_SMMUEN : 0));
			d.write32(Regs.GBPA, Regs.GBPA_UPDATE | (r.nextBoolean() ? Regs.GBPA_ABORT : 0));
			d.write32(Regs.EVENTQ_CONS, d.read32(Regs.EVENTQ_PROD));
			rig.submit(Rig.cmd(Cmd.TLBI_NSNH_ALL, 0));
		}
		for (Thread t : ts) {
			t.join();
		}
		if (failure.get() != null) {
			throw new AssertionError(failure.get());
		}
		assertEquals(5000, rig.engine.take().stream().filter("all"::equals).count());
	}
}
