package smmu.iommufd.impl;

/** An inclusive range [start, last] of unsigned 64-bit addresses. */
interface Span {
	long start();

	long last();
}
