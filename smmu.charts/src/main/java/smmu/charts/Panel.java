package smmu.charts;

/** One chart of a {@link Figure}. */
public sealed interface Panel permits Lines, Bars {
	String title();
}
