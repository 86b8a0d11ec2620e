package smmu.accel.config;

/** QAPI's OnOffAuto, as used by N's {@code ril}, {@code ats} and the machine's {@code acpi}. */
public enum OnOffAuto {
	ON, OFF, AUTO;

	/** The QAPI spelling: {@code on}, {@code off} or {@code auto}. */
	public String qapiName() {
		return name().toLowerCase(java.util.Locale.ROOT);
	}
}
