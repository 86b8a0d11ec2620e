package smmu.gogo.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;

import smmu.hw.EventType;
import smmu.hw.Smmu;
import smmu.hw.TranslationResult;
import smmu.hw.arch.Regs;
import smmu.hw.testing.TestHost;

class SmmuCommandsTest {
	@Test
	void translateIsADebugLookupUnlessAskedToRecord() {
		TestHost host = new TestHost(1, 1, idr -> idr);
		SmmuCommands c = new SmmuCommands(host);
		Smmu s = host.smmus().get(0);
		int prod = s.read32(Regs.EVENTQ_PROD + 0x10000);
		// a StreamID without an L2 stream table: C_BAD_STREAMID, as ATOS would report it, nothing recorded
		TranslationResult r = c.translate("-1", false, false, "smmu0", "0x4242", "0x1000");
		assertEquals(EventType.C_BAD_STREAMID, assertInstanceOf(TranslationResult.Aborted.class, r).event().type());
		assertEquals(prod, s.read32(Regs.EVENTQ_PROD + 0x10000), "no event queue change");
		assertEquals(0, s.stats().eventsRecorded());
		assertEquals(0, s.stats().translations());
		// --record: a real device transaction
		c.translate("-1", false, true, "smmu0", "0x4242", "0x1000");
		assertEquals(prod + 1, s.read32(Regs.EVENTQ_PROD + 0x10000));
		assertEquals(1, s.stats().eventsRecorded());
	}

	@Test
	void statsOfOneStreamIdAndItsReset() {
		TestHost host = new TestHost(1, 1, idr -> idr);
		SmmuCommands c = new SmmuCommands(host);
		Smmu s = host.smmus().get(0);
		c.translate("-1", false, true, "smmu0", "0x4242", "0x1000");
		c.translate("-1", false, true, "smmu0", "0x4242", "0x2000");
		c.translate("-1", false, true, "smmu0", "0x4243", "0x1000");
		Views.StreamStatsView v = assertInstanceOf(Views.StreamStatsView.class, c.stats(true, "", "0x4242", "smmu0"));
		assertEquals("-", v.vm());
		assertEquals(java.util.List.of(new Views.StreamRow("smmu0", "0x4242", "-", 2, 0, 0, 0, 0, 2, 2)), v.streams());
		assertEquals(java.util.List.of(new Views.StreamFaultRow("smmu0", "0x4242", "C_BAD_STREAMID", 2)), v.faults());
		assertEquals(true, v.note().endsWith("--reset zeroed these streams' counters only (the SMMUs' totals and other streams keep theirs)"), v.note());
		// --reset zeroed 0x4242 only: 0x4243 and the SMMU's totals keep theirs
		assertEquals(0, s.streamStats(0x4242).get(0).translations());
		assertEquals(1, s.streamStats(0x4243).get(0).translations());
		assertEquals(3, s.stats().translations());
		// the whole SMMU's view is unchanged by --sid and --vm
		assertInstanceOf(Views.StatsView.class, c.stats(false, "", "", "smmu0"));
	}

	@Test
	void statsRefusesBadInputInOneLine() {
		TestHost host = new TestHost(1, 1, idr -> idr);
		SmmuCommands c = new SmmuCommands(host);
		int bits = (int) Regs.IDR1_SIDSIZE.get(host.smmus().get(0).read32(Regs.IDR1));
		String beyond = "0x" + Long.toHexString(1L << bits);
		String m = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> c.stats(false, "", beyond, "smmu0")).getMessage();
		assertEquals(true, m.contains(beyond) && m.contains("SIDSIZE " + bits), m);
		assertEquals("smmu:stats: give --vm or --sid, not both",
				org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> c.stats(false, "v", "1", "smmu0")).getMessage());
		assertEquals("smmu:stats: missing arguments; usage: smmu:stats [--reset] [--vm <vm>] | smmu:stats [--reset] [--vm <vm>] [--sid <sid>] <smmu>",
				org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> c.stats(false, "")).getMessage());
		assertEquals("no VM manager: the smmu.accel bundle is not running",
				org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> c.stats(false, "vmA")).getMessage());
	}

	@Test
	void snapshotsSayWhichIdRegistersTheyAssumed() {
		TestHost host = new TestHost(1, 1, idr -> idr);
		Smmu s = host.smmus().get(0);
		assertEquals("from the register files", SmmuCommands.idRegisters(java.util.Set.of(0x0, 0x4, 0x8, 0xc, 0x10, 0x14, 0x18, 0x1c, 0x20), s));
		String w = SmmuCommands.idRegisters(java.util.Set.of(0x0, 0x8, 0xc, 0x10, 0x18, 0x1c, 0x20), s);
		assertEquals("warning: not in the register files, assumed as an Arm MMU-700 (the model's default): IDR1=0x"
				+ Integer.toHexString(s.read32(Regs.IDR1)) + " IDR5=0x" + Integer.toHexString(s.read32(Regs.IDR5))
				+ "; give the values the guest read as offset=value lines (0x0-0x1c)", w);
	}

	@Test
	void replayListsEveryDisagreement(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
		TestHost host = new TestHost(1, 1, idr -> idr);
		SmmuCommands c = new SmmuCommands(host);
		java.nio.file.Path trace = dir.resolve("t.trace");
		java.nio.file.Files.writeString(trace, """
				12@1.5:smmuv3_translate_success smmuv3-iommu-memory-region-0-0 sid=0x4242 iova=0x1000 translated=0x80001000 perm=0x1
				smmuv3_translate_abort smmuv3-iommu-memory-region-0-0 sid=0x8 abort on iova:0x1000 is_write=1
				""");
		Views.ReplayView v = c.replay("smmu0", trace.toString());
		assertEquals(1, v.translations());
		// the read must give QEMU's address; the write, which QEMU's perm excluded, must fault (and does)
		assertEquals(2, v.accesses());
		assertEquals(1, v.agreed());
		assertEquals(java.util.List.of(new Views.ReplayRow(0x4242, 0x1000, "read", "0x80001000", "C_BAD_STREAMID")), v.disagreements());
		assertEquals("translations  1\naccesses      2\nagreed        1\n\ndisagreements (1)\nsid     iova    access  qemu        model\n0x4242  0x1000  read    0x80001000  C_BAD_STREAMID",
				new smmu.gogo.format.Formatter().inspect(v));

		java.nio.file.Files.writeString(trace, "smmuv3_write_mmio addr: 0x20 val:0x0 size: 0x4(0)\n");
		assertEquals(trace + ": no smmuv3_translate_success line",
				org.junit.jupiter.api.Assertions.assertThrows(smmu.gogo.format.ShellError.class, () -> c.replay("smmu0", trace.toString())).getMessage());
		java.nio.file.Files.writeString(trace, "smmuv3_translate_success mr sid=0x8 iova=0xq translated=0x0 perm=0x1\n");
		assertEquals(trace + ": line 1: bad number '0xq'",
				org.junit.jupiter.api.Assertions.assertThrows(smmu.gogo.format.ShellError.class, () -> c.replay("smmu0", trace.toString())).getMessage()
						.replaceAll(": smmuv3.*", ""));
	}

	static final String FIXTURE = "../smmu.hw/src/test/resources/snapshots/virtio-blk/";

	@Test
	void aSnapshotKeepsItsMmioBaseAndReplaysQemusTranslations() throws Exception {
		TestHost host = new TestHost(1, 1, idr -> idr);
		SmmuCommands c = new SmmuCommands(host);
		Views.SnapshotView v = c.snapshot(48, "0x9050000", "", "", "qemu", FIXTURE + "ram.img.gz", "0x40000000",
				FIXTURE + "regs.trace," + FIXTURE + "idregs.txt");
		assertEquals(0x905_0000L, v.mmioBase());
		assertEquals(0x905_0000L, host.smmu("qemu").orElseThrow().spec().mmioBase());
		Views.ReplayView r = c.replay("qemu", FIXTURE + "translations.trace");
		assertEquals(271, r.translations());
		assertEquals(542, r.accesses());
		assertEquals(542, r.agreed());
		assertEquals(java.util.List.of(), r.disagreements());
		assertEquals("translations  271\naccesses      542\nagreed        542\n\ndisagreements (0)", new smmu.gogo.format.Formatter().inspect(r),
				"as the README shows it");
		assertEquals("mmio-base 0x9050040 is not 64 KiB aligned (an SMMU's register pages are)",
				org.junit.jupiter.api.Assertions.assertThrows(smmu.gogo.format.ShellError.class,
						() -> c.snapshot(48, "0x9050040", "", "", "q2", FIXTURE + "ram.img.gz", "0x40000000", FIXTURE + "regs.trace")).getMessage());
		assertEquals("qemu detached", c.detach("qemu"));
	}

	@Test
	void aSnapshotTakesSeveralRamImages(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
		TestHost host = new TestHost(1, 1, idr -> idr);
		SmmuCommands c = new SmmuCommands(host);
		java.nio.file.Path low = dir.resolve("low.img"), high = dir.resolve("high.img"), regs = dir.resolve("regs.txt");
		byte[] a = new byte[8192], b = new byte[4096];
		java.util.Arrays.fill(a, (byte) 0x11);
		java.util.Arrays.fill(b, (byte) 0x22);
		java.nio.file.Files.write(low, a);
		java.nio.file.Files.write(high, b);
		java.nio.file.Files.writeString(regs, "0x20=0x0\n");
		String l = low.toString(), h = high.toString();
		c.snapshot(48, "0", "", "", "two", l + "@0x40000000," + h + "@0x100000000", regs.toString());
		smmu.hw.PhysicalMemory m = host.smmu("two").orElseThrow().memory();
		assertEquals(0x1111_1111_1111_1111L, m.read64(0x4000_1ff8L));
		assertEquals(0, m.read64(0x4000_2000L));
		assertEquals(0x2222_2222_2222_2222L, m.read64(0x1_0000_0ff8L));
		// the four-argument form: images without @BASE go at <base>
		c.snapshot(48, "0", "", "", "three", l + "," + h + "@0x50000000", "0x40000000", regs.toString());
		m = host.smmu("three").orElseThrow().memory();
		assertEquals(0x1111_1111_1111_1111L, m.read64(0x4000_0000L));
		assertEquals(0x2222_2222_2222_2222L, m.read64(0x5000_0000L));

		org.junit.jupiter.api.function.Executable overlap = () -> c.snapshot(48, "0", "", "", "four", l + "@0x40000000," + h + "@0x40001000", regs.toString());
		assertEquals("RAM images " + l + " [0x40000000, 0x40002000) and " + h + " [0x40001000, 0x40002000) overlap",
				org.junit.jupiter.api.Assertions.assertThrows(smmu.gogo.format.ShellError.class, overlap).getMessage());
		assertEquals("RAM image '" + l + "' has no @BASE (give FILE@BASE, e.g. " + l + "@0x40000000)",
				org.junit.jupiter.api.Assertions.assertThrows(smmu.gogo.format.ShellError.class,
						() -> c.snapshot(48, "0", "", "", "four", l, regs.toString())).getMessage());
		assertEquals(false, host.smmu("four").isPresent());
	}

	@Test
	void aQemuPresetGivesTheIdRegistersTheFilesLack() throws Exception {
		TestHost host = new TestHost(1, 1, idr -> idr);
		SmmuCommands c = new SmmuCommands(host);
		Views.SnapshotView v = c.snapshot(48, "0x9050000", "7.2", "", "qemu", FIXTURE + "ram.img.gz", "0x40000000",
				FIXTURE + "regs.trace," + FIXTURE + "idregs.txt");
		assertEquals("IDR2 IDR4 AIDR from QEMU 7.2's smmuv3 reset values (stage=1), the rest from the register files", v.idRegisters());
		Smmu s = host.smmu("qemu").orElseThrow();
		assertEquals(1, s.read32(Regs.AIDR), "QEMU's SMMUv3.1, not the MMU-700's");
		assertEquals(0, s.read32(Regs.IDR0 + 0x10));
		assertEquals(271, c.replay("qemu", FIXTURE + "translations.trace").agreed() / 2);
		// no ID register file: all from the preset, the files' values win over it
		v = c.snapshot(48, "0", "8.2", "", "q82", FIXTURE + "ram.img.gz", "0x40000000", FIXTURE + "regs.trace");
		assertEquals("all from QEMU 8.2's smmuv3 reset values (stage=1)", v.idRegisters());
		assertEquals(0x0d44_101a, host.smmu("q82").orElseThrow().read32(Regs.IDR0));
		assertEquals("--qemu 6.0: no preset (have: 7.2, 8.2, 10.2)",
				org.junit.jupiter.api.Assertions.assertThrows(smmu.gogo.format.ShellError.class,
						() -> c.snapshot(48, "0", "6.0", "", "q60", FIXTURE + "ram.img.gz", "0x40000000", FIXTURE + "regs.trace")).getMessage());
	}

	@Test
	void theQemuPresetTakesTheStagePropertyItsVersionHas() throws Exception {
		TestHost host = new TestHost(1, 1, idr -> idr);
		SmmuCommands c = new SmmuCommands(host);
		String ram = FIXTURE + "ram.img.gz";
		String regs = FIXTURE + "regs.trace";
		Views.SnapshotView v = c.snapshot(48, "0", "10.2", "nested", "n", ram, "0x40000000", regs);
		assertEquals("all from QEMU 10.2's smmuv3 reset values (stage=nested)", v.idRegisters());
		assertEquals("S1+S2", v.stages());
		assertEquals(0x0d44_101b, host.smmu("n").orElseThrow().read32(Regs.IDR0));
		assertEquals(0x3404, host.smmu("n").orElseThrow().read32(Regs.IDR0 + 0xc), "IDR3.XNX with stage 2");
		v = c.snapshot(48, "0", "8.2", "2", "s2", ram, "0x40000000", regs);
		assertEquals("all from QEMU 8.2's smmuv3 reset values (stage=2)", v.idRegisters());
		assertEquals("S2", v.stages());
		v = c.snapshot(48, "0", "8.2", "1", "s1", ram, "0x40000000", regs);
		assertEquals("S1", v.stages());
		String[][] refused = {
				{ "7.2", "2", "--stage 2: QEMU 7.2's smmuv3 has no stage property (stage 1 only; stage=2 came in 8.1, stage=nested in 9.1)" },
				{ "7.2", "nested", "--stage nested: QEMU 7.2's smmuv3 has no stage property (stage 1 only; stage=2 came in 8.1, stage=nested in 9.1)" },
				{ "8.2", "nested", "--stage nested: QEMU 8.2's smmuv3 takes stage=1 or stage=2 (stage=nested came in 9.1; 8.2 reads any other value as stage 1)" },
				{ "10.2", "3", "--stage 3: QEMU's smmuv3 stage is 1, 2 or nested" },
				{ "", "2", "--stage 2: a stage of QEMU's smmuv3 needs --qemu VERSION (without it the ID registers the files lack are an Arm MMU-700's)" } };
		for (String[] r : refused) {
			String m = org.junit.jupiter.api.Assertions.assertThrows(smmu.gogo.format.ShellError.class,
					() -> c.snapshot(48, "0", r[0], r[1], "x", ram, "0x40000000", regs)).getMessage();
			assertEquals(r[2], m);
			assertEquals(-1, m.indexOf('\n'), "one line");
			assertEquals(false, host.smmu("x").isPresent(), "nothing attached");
		}
	}
}
