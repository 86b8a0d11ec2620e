package smmu.hw.driver;

/**
 * What Linux's {@code arm_smmu_device_iidr_probe} concludes from SMMU_IIDR: features it turns off for a
 * part's errata and options it turns on. Current upstream rules:
 * <ul>
 * <li>Arm MMU-600 (ProductID 0x483): r0p0..r0p2 lose SEV (erratum 1076982); variants below r2 lose
 * nesting (erratum 1209401).</li>
 * <li>Arm MMU-700 (ProductID 0x487): BTM off and CMDQ_FORCE_SYNC on (erratum 2812531); r0px and r1p0 lose
 * nesting (errata 2268618, 2812531); r1p1 and later nest.</li>
 * </ul>
 *
 * @param iidr the raw SMMU_IIDR
 * @param noSev FEAT_SEV cleared
 * @param noNesting FEAT_NESTING cleared (NEST_PARENT and VIOMMU_ALLOC become EOPNOTSUPP)
 * @param noBtm FEAT_BTM cleared
 * @param cmdqForceSync ARM_SMMU_OPT_CMDQ_FORCE_SYNC: a command batch is issued with a CMD_SYNC once it holds
 *        63 commands
 */
public record Errata(int iidr, boolean noSev, boolean noNesting, boolean noBtm, boolean cmdqForceSync) {
	/** IIDR.Implementer of Arm (JEP106 0x43b). */
	public static final int IMPLEMENTER_ARM = 0x43b;
	public static final int PRODUCT_MMU_600 = 0x483, PRODUCT_MMU_700 = 0x487;

	/** The rules applied to a raw IIDR. */
	public static Errata of(int iidr) {
		int implementer = implementer(iidr), product = productId(iidr), variant = variant(iidr), revision = revision(iidr);
		boolean sev = false, nesting = false, btm = false, forceSync = false;
		if (implementer == IMPLEMENTER_ARM) {
			if (product == PRODUCT_MMU_600) {
				sev = variant == 0 && revision <= 2;
				nesting = variant < 2;
			} else if (product == PRODUCT_MMU_700) {
				btm = true;
				forceSync = true;
				nesting = variant < 1 || variant == 1 && revision < 1;
			}
		}
		return new Errata(iidr, sev, nesting, btm, forceSync);
	}

	/** IIDR[11:0]. */
	public static int implementer(int iidr) {
		return iidr & 0xfff;
	}

	/** IIDR[15:12]. */
	public static int revision(int iidr) {
		return iidr >>> 12 & 0xf;
	}

	/** IIDR[19:16]. */
	public static int variant(int iidr) {
		return iidr >>> 16 & 0xf;
	}

	/** IIDR[31:20]. */
	public static int productId(int iidr) {
		return iidr >>> 20;
	}

	/** The features with this part's errata applied. */
	public Features apply(Features f) {
		return f.withErrata(noSev, noNesting, noBtm);
	}

	/** "Arm MMU-700 r1p1" and the like. */
	public String part() {
		String name = implementer(iidr) != IMPLEMENTER_ARM ? String.format("implementer 0x%03x product 0x%03x", implementer(iidr), productId(iidr))
				: switch (productId(iidr)) {
					case PRODUCT_MMU_600 -> "Arm MMU-600";
					case PRODUCT_MMU_700 -> "Arm MMU-700";
					default -> String.format("Arm product 0x%03x", productId(iidr));
				};
		return name + " r" + variant(iidr) + "p" + revision(iidr);
	}
}
