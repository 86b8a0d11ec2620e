package smmu.accel;

/**
 * How KVM's MSI route of a passed-through device behind an accel vSMMU gets its address (the physical path,
 * the host's SW MSI page in stage 2 and the guest's IORT RMR window in stage 1 are the same in both).
 */
public enum MsiDesign {
	/**
	 * QEMU as merged (2026): {@code get_msi_direct_gpa} returns the vSMMU's {@code msi-gpa} and
	 * {@code kvm_arch_fixup_msi_route} puts it in the route; the guest's programmed address is ignored.
	 */
	DIRECT_GPA("msi-gpa"),
	/**
	 * The alternative argued in seed 003 (the v4/v5 series' {@code get_msi_address_space}): the device's MSI
	 * AddressSpace is the vSMMU's IOMMU AddressSpace (stage 2 mapped by a listener on system memory registered
	 * first) and the VMM translates the guest's MSI IOVA through the vSMMU's stage 1, a software walk of the
	 * guest's tables, each time a route is set up.
	 */
	TRANSLATE_STAGE1("translate");

	private final String shellName;

	MsiDesign(String shellName) {
		this.shellName = shellName;
	}

	/** The name the shell and reports use: {@code msi-gpa} or {@code translate}. */
	public String shellName() {
		return shellName;
	}

	/** The design of a shell name, or null. */
	public static MsiDesign ofShellName(String name) {
		for (MsiDesign d : values()) {
			if (d.shellName.equals(name)) {
				return d;
			}
		}
		return null;
	}
}
