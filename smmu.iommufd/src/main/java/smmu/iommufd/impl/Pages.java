package smmu.iommufd.impl;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import smmu.hw.FileRegion;
import smmu.hw.HostPlatform;
import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;
import smmu.iommufd.VmmAddressSpace;

/**
 * The pages behind one IOAS_MAP or IOAS_MAP_FILE (the kernel's {@code iopt_pages}): {@code npages}
 * pages from the page-aligned {@code uptr} of the VMM's memory (IOPT_ADDRESS_USER), or from the
 * page-aligned file offset {@code uptr} of a file (IOPT_ADDRESS_FILE), shared by every area that
 * maps part of them (IOAS_COPY shares, it never re-pins). Pinning resolves them once to host
 * physical pages, kept as physically contiguous runs; a file's pages are pinned by mapping them into
 * host physical memory as one {@link FileRegion}, released when they are unpinned.
 */
public final class Pages {
	static final long PAGE_SIZE = VmmAddressSpace.PAGE_SIZE;

	private final VmmAddressSpace mm;
	private final HostPlatform host;
	private final Path file;
	private FileRegion region;
	private final long uptr;
	private final long npages;
	private final boolean writable;
	/** Run i covers pages [runPage[i], runPage[i + 1]) starting at host PA runPa[i]. */
	private long[] runPage, runPa;
	/** The number of areas mapping these pages (the kernel's kref). */
	int users;

	Pages(VmmAddressSpace mm, long uptr, long npages, boolean writable) {
		this.mm = mm;
		this.host = null;
		this.file = null;
		this.uptr = uptr;
		this.npages = npages;
		this.writable = writable;
	}

	/** Pages of {@code file} from the page-aligned offset {@code start}, pinned into {@code host}'s memory. */
	Pages(HostPlatform host, Path file, long start, long npages, boolean writable) {
		this.mm = null;
		this.host = host;
		this.file = file;
		this.uptr = start;
		this.npages = npages;
		this.writable = writable;
	}

	/** The page-aligned user VA of page 0, or for file pages its file offset. */
	public long uptr() {
		return uptr;
	}

	/** The file of IOPT_ADDRESS_FILE pages, else null. */
	public Path file() {
		return file;
	}

	/** The host memory the file's pages are pinned as, while pinned (else null). */
	public FileRegion region() {
		return region;
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
		if (file != null) {
			pinFile();
			return;
		}
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

	/**
	 * memfd_pin_folios of the file's pages: EINVAL for pages past the end of the file (the file is
	 * never grown) or a host whose memory cannot hold files, EFAULT when the file cannot be mapped.
	 */
	private void pinFile() {
		if (file == Context.NOT_A_FILE) {
			throw new IommufdException(Errno.EINVAL, "the fd is not a regular file: memfd_pin_folios refuses it");
		}
		if (host == null) {
			throw new IommufdException(Errno.EINVAL, "the host's memory cannot pin file pages");
		}
		FileRegion r;
		try {
			r = host.mapFile(file, uptr, npages * PAGE_SIZE, writable);
		} catch (IllegalArgumentException | UnsupportedOperationException e) {
			throw new IommufdException(Errno.EINVAL, "cannot pin pages of " + file + ": " + e.getMessage());
		} catch (IOException e) {
			throw new IommufdException(Errno.EFAULT, "cannot map " + file + ": " + e);
		}
		region = r;
		runPage = new long[] { 0, npages };
		runPa = new long[] { r.pa(uptr) };
	}

	void unpin() {
		runPage = null;
		runPa = null;
		if (region != null) {
			region.release();
			region = null;
		}
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
