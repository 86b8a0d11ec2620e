package smmu.accel.vsmmu;

import smmu.hw.arch.Field;
import smmu.hw.arch.Regs;
import smmu.vfio.VfioException;

/** {@code smmuv3_accel_check_hw_compatible}: the host's ID registers against the vSMMU's, with QEMU's messages. */
final class HwCompat {
	private HwCompat() {}

	private static final int[] OAS_BITS = { 32, 36, 40, 42, 44, 48, 52, 56 };

	static void check(int[] host, int[] v) {
		int hs = get(Regs.IDR0_ST_LEVEL, host[0]), vs = get(Regs.IDR0_ST_LEVEL, v[0]);
		if (hs != vs) {
			throw new VfioException(String.format("Host SMMUv3 Stream Table format mismatch (host STLEVEL=%d, QEMU STLEVEL=%d)", hs, vs));
		}
		if (get(Regs.IDR0_TTENDIAN, host[0]) > get(Regs.IDR0_TTENDIAN, v[0])) {
			throw new VfioException("Host SMMUv3 doesn't support Little-endian translation table");
		}
		if (get(Regs.IDR0_TTF, host[0]) < get(Regs.IDR0_TTF, v[0])) {
			throw new VfioException("Host SMMUv3 doesn't support AArch64 translation table format");
		}
		int hsid = get(Regs.IDR1_SIDSIZE, host[1]), vsid = get(Regs.IDR1_SIDSIZE, v[1]);
		if (hsid < vsid) {
			throw new VfioException(String.format("Host SMMUv3 SIDSIZE not compatible (host=%d, QEMU=%d)", hsid, vsid));
		}
		int hss = get(Regs.IDR1_SSIDSIZE, host[1]), vss = get(Regs.IDR1_SSIDSIZE, v[1]);
		if (hss < vss) {
			throw new VfioException(String.format("Host SMMUv3 SSIDSIZE not compatible (host=%d, QEMU=%d)", hss, vss));
		}
		if (get(Regs.IDR3_RIL, host[3]) < get(Regs.IDR3_RIL, v[3])) {
			throw new VfioException("Host SMMUv3 doesn't support Range Invalidation");
		}
		int ho = get(Regs.IDR5_OAS, host[5]), vo = get(Regs.IDR5_OAS, v[5]);
		if (ho < vo) {
			throw new VfioException(String.format("Host SMMUv3 supports only %d-bit IPA, but the vSMMU OAS implies %d-bit IPA", OAS_BITS[ho],
					OAS_BITS[vo]));
		}
		if (get(Regs.IDR0_ATS, host[0]) < get(Regs.IDR0_ATS, v[0])) {
			throw new VfioException("Host SMMUv3 doesn't support Address Translation Services");
		}
		granule(Regs.IDR5_GRAN4K, host, v, "4K");
		granule(Regs.IDR5_GRAN16K, host, v, "16K");
		granule(Regs.IDR5_GRAN64K, host, v, "64K");
	}

	private static void granule(Field f, int[] host, int[] v, String name) {
		if (get(f, host[5]) != get(f, v[5])) {
			throw new VfioException("Host SMMUv3 doesn't support " + name + " translation granule");
		}
	}

	private static int get(Field f, int reg) {
		return (int) f.get(Integer.toUnsignedLong(reg));
	}
}
