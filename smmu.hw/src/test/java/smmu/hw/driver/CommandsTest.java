package smmu.hw.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.hw.arch.Cmd;
import smmu.hw.driver.Commands.TlbiKind;

class CommandsTest {

	static void eq(long w0, long w1, long[] c) {
		assertArrayEquals(new long[] { w0, w1 }, c, () -> String.format("got [0x%016x 0x%016x]", c[0], c[1]));
	}

	@Test
	void configurationInvalidations() {
		eq(0x0000_1234_0000_0003L, 1, Commands.cfgiSte(0x1234, true));
		eq(0x0000_1234_0000_0003L, 0, Commands.cfgiSte(0x1234, false));
		eq(0xFFFF_FFFF_0000_0003L, 1, Commands.cfgiSte(-1, true));
		eq(0x0000_0100_0000_0004L, 7, Commands.cfgiSteRange(0x100, 7));
		eq(0x04, 31, Commands.cfgiAll());
		eq(0x0000_0007_0005_5005L, 0, Commands.cfgiCd(7, 0x55, false));
		eq(0x0000_0007_FFFF_F005L, 1, Commands.cfgiCd(7, 0xFFFFF, true));
		eq(0x0000_0009_0000_0006L, 0, Commands.cfgiCdAll(9));
		eq(0xFFFF_FFFF_0000_0001L, 0, Commands.prefetchCfg(-1));
		assertThrows(IllegalArgumentException.class, () -> Commands.cfgiCd(1, 1 << 20, true));
	}

	@Test
	void tlbInvalidations() {
		eq(0x0000_0003_0000_0010L, 0, Commands.tlbiNhAll(3));
		eq(0x0077_0003_0000_0011L, 0, Commands.tlbiNhAsid(3, 0x77));
		eq(0x0002_0001_0000_0012L, 0x1234_5678_9000L | 1, Commands.tlbiNhVa(1, 2, 0x1234_5678_9abcL, true));
		eq(0x0002_0001_0020_3012L, 0x1234_5678_9701L, Commands.tlbiNhVa(1, 2, 0x1234_5678_9000L, true, 1, 3, 2, 3));
		eq(0xFFFF_0000_0000_0012L, 0xFFFF_FFFF_FFFF_F000L, Commands.tlbiNhVa(0, 0xffff, -1L, false));
		eq(0x0000_0005_01F1_F013L, 0x8000_0000L | 0xC00, Commands.tlbiNhVaa(5, 0x8000_0000L, false, 3, 31, 31, 0));
		eq(0x20, 0, Commands.tlbiEl2All());
		eq(0x0005_0000_0000_0021L, 0, Commands.tlbiEl2Asid(5));
		eq(0x0009_0000_0000_1022L, 0x4000_0000L | 0x500, Commands.tlbiEl2Va(9, 0x4000_0000L, false, 1, 1, 0, 1));
		eq(0x23, 0x4000_0001L, Commands.tlbiEl2Vaa(0x4000_0000L, true, 0, 0, 0, 0));
		eq(0x0000_FFFF_0000_0028L, 0, Commands.tlbiS12Vmall(0xffff));
		eq(0x0000_0005_0000_002AL, 0x000F_FFFF_FFFF_F001L, Commands.tlbiS2Ipa(5, -1L, true));
		eq(0x0000_0005_0010_002AL, 0x8020_0000L | 0x200 | 0x400 | 1, Commands.tlbiS2Ipa(5, 0x8020_0000L, true, 1, 0, 1, 2));
		eq(0x30, 0, Commands.tlbiNsnhAll());
		assertThrows(IllegalArgumentException.class, () -> Commands.tlbiNhAll(0x10000));
		assertThrows(IllegalArgumentException.class, () -> Commands.tlbiNhVa(0, 0, 0, true, 4, 0, 0, 0));
	}

	@Test
	void syncAndMisc() {
		eq(0x0FC0_2046L, 0, Commands.cmdSync());
		eq(0xDEAD_BEEF_0FC0_1046L, 0x1234_5678_9ABCL, Commands.cmdSync(Cmd.SYNC_CS_IRQ, 0x1234_5678_9ABFL, 0xdeadbeef));
		eq(0x46, 0, Commands.cmdSync(0, 0, 0, 0, 0));
		eq(0x0000_0003_0001_0841L, 0x2005, Commands.priResp(3, true, 0x10, 5, Commands.PRI_RESP_SUCC));
		eq(0x0000_0004_0000_1044L, 0xabcd, Commands.resume(4, 0xabcd, Commands.RESUME_RETRY));
	}

	@Test
	void atcInvalidationSpansLikeLinux() {
		// pages 8..11: span of 4 pages at 8
		eq(0x0000_0010_0000_0040L, 0x8000 | 2, Commands.atcInvRange(0x10, 0, 0x8000, 0x4000));
		// pages 7..10: 16 pages at 0
		eq(0x0000_0010_0000_0040L, 4, Commands.atcInvRange(0x10, 0, 0x7000, 0x4000));
		// one page: size 0
		eq(0x0000_0010_0000_0040L, 0x5000, Commands.atcInvRange(0x10, 0, 0x5000, 0x1000));
		// with a PASID: SSV and SSID
		eq(0x0000_0010_0000_3840L, 0x8000 | 2, Commands.atcInvRange(0x10, 3, 0x8000, 0x4000));
		// size 0: everything
		eq(0x0000_0010_0000_0040L, 52, Commands.atcInvRange(0x10, 0, 0x1234_5000L, 0));
		eq(0x0000_0010_0000_0240L, 52, Commands.atcInv(0x10, false, 0, 0, Commands.ATC_INV_SIZE_ALL, true));
	}

	@Test
	void describeNamesCommands() {
		assertEquals("CFGI_ALL", Commands.describe(Commands.cfgiAll()));
		assertEquals("CFGI_STE sid=5 leaf=1", Commands.describe(Commands.cfgiSte(5, true)));
		assertTrue(Commands.describe(Commands.tlbiS2Ipa(3, 0x4000, true)).startsWith("TLBI_S2_IPA vmid=3 asid=0 addr=0x4000 leaf=1"));
		assertEquals("0x07 [0x0000000000000007 0x0000000000000000]", Commands.describe(new long[] { 7, 0 }));
	}

	// ---- planner

	static int field(smmu.hw.arch.Field f, long[] c) {
		return (int) f.get(c);
	}

	@Test
	void rilLeafRangeIsOneCommand() {
		List<long[]> cmds = Commands.planTlbi(TlbiKind.NH_VA, 0, 7, 0x10000, 0x10000, 4096, true, 12, true);
		assertEquals(1, cmds.size());
		eq(0x0007_0000_0040_0012L, 0x10000 | 1 | 3 << 8 | 1 << 10, cmds.get(0));
		assertEquals(4, field(Cmd.TLBI_SCALE, cmds.get(0)));
		assertEquals(0, field(Cmd.TLBI_NUM, cmds.get(0)));
	}

	@Test
	void rilSplitsIntoFiveBitChunks() {
		// 33 pages: 1 page at scale 0, then 32 pages at scale 5
		List<long[]> cmds = Commands.planTlbi(TlbiKind.S2_IPA, 4, 0, 0x100000, 33 * 4096, 4096, true, 12, true);
		assertEquals(2, cmds.size());
		assertEquals(0x100000, cmds.get(0)[1] & Cmd.TLBI_IPA_MASK);
		assertEquals(0, field(Cmd.TLBI_NUM, cmds.get(0)));
		assertEquals(0, field(Cmd.TLBI_SCALE, cmds.get(0)));
		assertEquals(0x101000, cmds.get(1)[1] & Cmd.TLBI_IPA_MASK);
		assertEquals(0, field(Cmd.TLBI_NUM, cmds.get(1)));
		assertEquals(5, field(Cmd.TLBI_SCALE, cmds.get(1)));
		for (long[] c : cmds) {
			assertEquals(Cmd.TLBI_S2_IPA, Commands.opcode(c));
			assertEquals(4, field(Cmd.TLBI_VMID, c));
			assertEquals(1, field(Cmd.TLBI_TG, c));
			assertEquals(3, field(Cmd.TLBI_TTL, c));
		}
		// 100 pages = 25 << 2: one command
		cmds = Commands.planTlbi(TlbiKind.NH_VA, 0, 1, 0, 100 * 4096, 4096, true, 12, true);
		assertEquals(1, cmds.size());
		assertEquals(2, field(Cmd.TLBI_SCALE, cmds.get(0)));
		assertEquals(24, field(Cmd.TLBI_NUM, cmds.get(0)));
		// 1000 pages = 0b11_1110_1000: 29 << 3 (232 pages), then 3 << 8 (768 pages)
		cmds = Commands.planTlbi(TlbiKind.NH_VA, 0, 1, 0, 1000 * 4096, 4096, true, 12, true);
		assertEquals(2, cmds.size());
		assertEquals(3, field(Cmd.TLBI_SCALE, cmds.get(0)));
		assertEquals(28, field(Cmd.TLBI_NUM, cmds.get(0)));
		assertEquals(8, field(Cmd.TLBI_SCALE, cmds.get(1)));
		assertEquals(2, field(Cmd.TLBI_NUM, cmds.get(1)));
		assertEquals(232 * 4096, cmds.get(1)[1] & Cmd.TLBI_VA_MASK);
	}

	@Test
	void rilNonLeafAvoidsTheReservedEncoding() {
		// 33 pages non-leaf: Linux rounds up to 34 so NUM/SCALE/TTL are never all zero
		List<long[]> cmds = Commands.planTlbi(TlbiKind.NH_VA, 0, 1, 0, 33 * 4096, 4096, false, 12, true);
		assertEquals(1, cmds.size());
		assertEquals(16, field(Cmd.TLBI_NUM, cmds.get(0)));
		assertEquals(1, field(Cmd.TLBI_SCALE, cmds.get(0)));
		assertEquals(0, field(Cmd.TLBI_TTL, cmds.get(0)));
		assertEquals(0, field(Cmd.TLBI_LEAF, cmds.get(0)));
		// a single page non-leaf becomes 2 pages
		cmds = Commands.planTlbi(TlbiKind.NH_VA, 0, 1, 0, 4096, 4096, false, 12, true);
		assertEquals(0, field(Cmd.TLBI_NUM, cmds.get(0)));
		assertEquals(1, field(Cmd.TLBI_SCALE, cmds.get(0)));
	}

	@Test
	void rilTtlAndTgFollowTheGranule() {
		long[] c = Commands.planTlbi(TlbiKind.S2_IPA, 1, 0, 0x4000_0000L, 4L << 20, 2L << 20, true, 12, true).get(0);
		assertEquals(2, field(Cmd.TLBI_TTL, c));
		assertEquals(10, field(Cmd.TLBI_SCALE, c));
		c = Commands.planTlbi(TlbiKind.S2_IPA, 1, 0, 0x4000_0000L, 1L << 30, 1L << 30, true, 12, true).get(0);
		assertEquals(1, field(Cmd.TLBI_TTL, c));
		c = Commands.planTlbi(TlbiKind.NH_VA, 0, 1, 0, 32L << 20, 32L << 20, true, 14, true).get(0);
		assertEquals(2, field(Cmd.TLBI_TG, c));
		assertEquals(2, field(Cmd.TLBI_TTL, c));
		assertEquals(11, field(Cmd.TLBI_SCALE, c));
		c = Commands.planTlbi(TlbiKind.EL2_VA, 0, 6, 0, 1L << 16, 1L << 16, true, 16, true).get(0);
		assertEquals(Cmd.TLBI_EL2_VA, Commands.opcode(c));
		assertEquals(3, field(Cmd.TLBI_TG, c));
		assertEquals(3, field(Cmd.TLBI_TTL, c));
		assertEquals(6, field(Cmd.TLBI_ASID, c));
	}

	@Test
	void withoutRilOneCommandPerGranuleUpToTheLimit() {
		List<long[]> cmds = Commands.planTlbi(TlbiKind.NH_VA, 2, 9, 0x40_0000, 16 * 4096, 4096, true, 12, false);
		assertEquals(16, cmds.size());
		for (int i = 0; i < 16; i++) {
			eq(0x0009_0002_0000_0012L, 0x40_0000 + i * 4096L | 1, cmds.get(i));
		}
		assertEquals(511, Commands.planTlbi(TlbiKind.S2_IPA, 2, 0, 0, 511 * 4096, 4096, true, 12, false).size());
		List<long[]> full = Commands.planTlbi(TlbiKind.S2_IPA, 2, 0, 0, 512 * 4096, 4096, true, 12, false);
		assertEquals(1, full.size());
		eq(0x0000_0002_0000_0028L, 0, full.get(0));
		eq(0x0009_0002_0000_0011L, 0, Commands.planTlbi(TlbiKind.NH_VA, 2, 9, 0, 2L << 20, 4096, true, 12, false).get(0));
		eq(0x0009_0000_0000_0021L, 0, Commands.planTlbi(TlbiKind.EL2_VA, 2, 9, 0, 0, 4096, true, 12, true).get(0));
		// 2 MiB granule: one command per block, limit 2^18 blocks
		List<long[]> blocks = Commands.planTlbi(TlbiKind.S2_IPA, 1, 0, 0x4000_0000L, 8L << 20, 2L << 20, true, 12, false);
		assertEquals(4, blocks.size());
		assertEquals(0x4060_0000L, blocks.get(3)[1] & Cmd.TLBI_IPA_MASK);
		assertFalse(Commands.tooBig(1L << 30, 2L << 20, false));
		assertTrue(Commands.tooBig(-1, 4096, true));
		assertThrows(IllegalArgumentException.class, () -> Commands.planTlbi(TlbiKind.NH_VA, 0, 1, 0x800, 4096, 4096, true, 12, true));
	}
}
