package smmu.iommufd.impl;

/**
 * One IOAS mapping (the kernel's {@code iopt_area}): IOVAs [iova, iova + length) backed by bytes
 * [startByte, startByte + length) of its {@link Pages}, with IOMMU_READ/WRITE/CACHE protection
 * (smmu.hw.driver.Prot bits). UNMAP removes whole areas only.
 */
public final class Area implements Span {
	private final long iova, length;
	private final int prot;
	private final Pages pages;
	private final long startByte;
	int locks;

	Area(long iova, long length, int prot, Pages pages, long startByte) {
		this.iova = iova;
		this.length = length;
		this.prot = prot;
		this.pages = pages;
		this.startByte = startByte;
	}

	public long iova() {
		return iova;
	}

	public long length() {
		return length;
	}

	@Override
	public long start() {
		return iova;
	}

	@Override
	public long last() {
		return iova + length - 1;
	}

	public int prot() {
		return prot;
	}

	public Pages pages() {
		return pages;
	}

	public long startByte() {
		return startByte;
	}

	/** The user VA of the area's first byte (for file pages: its file offset). */
	public long userVa() {
		return pages.uptr() + startByte;
	}

	public long pageOffset() {
		return startByte & (Pages.PAGE_SIZE - 1);
	}

	/** The area's physically contiguous pieces, by ascending IOVA. */
	public void forEachSegment(Pages.SegmentVisitor v) {
		pages.forEachSegment(startByte, length, iova, v);
	}

	@Override
	public String toString() {
		String src = pages.file() == null ? String.format("va 0x%x", userVa()) : String.format("file %s+0x%x", pages.file().getFileName(), userVa());
		return String.format("area[0x%x, 0x%x] %s prot 0x%x%s", iova, last(), src, prot, locks == 0 ? "" : " locks " + locks);
	}
}
