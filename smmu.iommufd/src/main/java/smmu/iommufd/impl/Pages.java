package smmu.iommufd.impl;

import java.util.Arrays;

import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;
import smmu.iommufd.VmmAddressSpace;

/**
 * The user pages behind one IOAS_MAP (the kernel's {@code iopt_pages}): {@code npages} pages from
 * the page-aligned {@code uptr}, shared by every area that maps part of them (IOAS_COPY shares, it
 * never re-pins). Pinning resolves them once to host physical pages, kept as physically contiguous
 * runs.
 */
public final class Pages {
	static final long PAGE_SIZE = VmmAddressSpace.PAGE_SIZE;

	private final VmmAddressSpace mm;
	private final long uptr;
	private final long npages;
	private final boolean writable;
	/** Run i covers pages [runPage[i], runPage[i + 1]) starting at host PA runPa[i]. */
	private long[] runPage, runPa;
	/** The number of areas mapping these pages (the kernel's kref). */
	int users;

	Pages(VmmAddressSpace mm, long uptr, long npages, boolean writable) {
		this.mm = mm;
		this.uptr = uptr;
		this.npages = npages;
		this.writable = writable;
	}

	/** The page-aligned user VA of page 0. */
	public long uptr() {
		return uptr;
	}

	public long npages() {
		return npages;
	}

	/** Whether the pages were pinned for write, so areas may map them writeable. */
	public boolean writable() {
		return writable;
	}

	boolean pinned() {
		return runPage != null;
	}

	/**
	 * Pins every page: EFAULT when a page is not mapped (also part-way through; nothing stays
	 * pinned), EPERM when write access is wanted on a read-only mapping (the fact sheet's rule; GUP
	 * itself would say EFAULT).
	 */
	void pin() {
		long[] pg = new long[8], pa = new long[8];
		int runs = 0;
		long i = 0;
		while (i < npages) {
			long va = uptr + i * PAGE_SIZE;
			VmmAddressSpace.Mapping m = mm.lookup(va);
			if (m == null) {
				throw new IommufdException(Errno.EFAULT, String.format("user page 0x%x is not mapped", va));
			}
			if (writable && !m.writable()) {
				throw new IommufdException(Errno.EPERM, String.format("user page 0x%x is read-only", va));
			}
			long n = Math.min(npages - i, ((m.last() - va) >>> 12) + 1);
			long hpa = m.hostPa(va);
			if (runs > 0 && pa[runs - 1] + (i - pg[runs - 1]) * PAGE_SIZE == hpa) {
				i += n;
				continue;
			}
			if (runs == pg.length) {
				pg = Arrays.copyOf(pg, runs * 2);
				pa = Arrays.copyOf(pa, runs * 2);
			}
			pg[runs] = i;
			pa[runs] = hpa;
			runs++;
			i += n;
		}
		pg = Arrays.copyOf(pg, runs + 1);
		pg[runs] = npages;
		runPage = pg;
		runPa = Arrays.copyOf(pa, runs);
	}

	void unpin() {
		runPage = null;
		runPa = null;
	}

	/** The host physical address of byte {@code offset} of the pages. */
	public long hostPa(long offset) {
		long page = offset >>> 12;
		int r = run(page);
		return runPa[r] + (page - runPage[r]) * PAGE_SIZE + (offset & (PAGE_SIZE - 1));
	}

	/** Calls {@code v} for each physically contiguous piece of bytes [offset, offset + length). */
	void forEachSegment(long offset, long length, long iova, SegmentVisitor v) {
		long end = offset + length;
		while (offset < end) {
			int r = run(offset >>> 12);
			long runEnd = runPage[r + 1] * PAGE_SIZE;
			long n = Math.min(end, runEnd) - offset;
			v.segment(iova, hostPa(offset), n);
			iova += n;
			offset += n;
		}
	}

	private int run(long page) {
		int r = Arrays.binarySearch(runPage, 0, runPa.length, page);
		return r >= 0 ? r : -r - 2;
	}

	/** Receives one physically contiguous piece of an area. */
	@FunctionalInterface
	public interface SegmentVisitor {
		void segment(long iova, long hostPa, long length);
	}
}
