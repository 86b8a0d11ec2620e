package smmu.iommufd.impl;

/** A plain inclusive interval, the node of an interval set. */
record Iv(long start, long last) implements Span {
}
