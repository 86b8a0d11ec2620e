package smmu.iommufd.impl;

import static smmu.iommufd.impl.Spans.ULONG_MAX;
import static smmu.iommufd.impl.Spans.le;
import static smmu.iommufd.impl.Spans.lt;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import smmu.hw.driver.Prot;
import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;
import smmu.iommufd.IovaRange;

/**
 * The IOVA space of one IOAS (the kernel's {@code io_pagetable}): areas, reserved ranges (owned by
 * whoever reserved them), the allowed ranges of automatic allocation, the IOVA alignment, and the
 * attached domains that mirror every area. Not thread-safe: the owning context serializes calls.
 * Every operation either succeeds or leaves the state as it was.
 */
public final class IoPagetable {
	public static final long PAGE_SIZE = Pages.PAGE_SIZE;
	/** HPAGE_SIZE with 4K pages: the cap of automatic IOVA alignment (CONFIG_TRANSPARENT_HUGEPAGE). */
	public static final long HPAGE_SIZE = 2L << 20;
	/** The arm64 software MSI window (MSI_IOVA_BASE, MSI_IOVA_LENGTH in arm-smmu-v3.c). */
	public static final long SW_MSI_BASE = 0x8000000L, SW_MSI_LENGTH = 0x100000L;

	private record Reserved(long start, long last, Object owner) implements Span {
	}

	private record Domain(AreaListener listener, long minPageSize) {
	}

	/** One piece of source pages to map, the kernel's {@code iopt_pages_list} element. */
	record Elem(Pages pages, long startByte, long length) {
	}

	private final TreeMap<Long, Area> areas = Spans.newMap();
	private final List<Reserved> reservedList = new ArrayList<>();
	private TreeMap<Long, Iv> reserved = Spans.newMap();
	private TreeMap<Long, Iv> allowed = Spans.newMap();
	private final Map<Object, Domain> domains = new LinkedHashMap<>();
	private long iovaAlignment = 1;
	private boolean disableLargePages;

	public long iovaAlignment() {
		return iovaAlignment;
	}

	public boolean largePagesDisabled() {
		return disableLargePages;
	}

	public List<Area> areas() {
		return new ArrayList<>(areas.values());
	}

	/**
	 * Whether {@code other} maps exactly the same IOVAs to the same host pages with the same
	 * protections (so domains filled from either translate identically).
	 */
	public boolean sameTranslation(IoPagetable other) {
		if (areas.size() != other.areas.size()) {
			return false;
		}
		java.util.Iterator<Area> b = other.areas.values().iterator();
		for (Area x : areas.values()) {
			Area y = b.next();
			if (x.iova() != y.iova() || x.length() != y.length() || x.prot() != y.prot() || !segments(x).equals(segments(y))) {
				return false;
			}
		}
		return true;
	}

	private static List<Long> segments(Area a) {
		List<Long> l = new ArrayList<>();
		a.pages().forEachSegment(a.startByte(), a.length(), a.iova(), (iova, pa, len) -> {
			l.add(iova);
			l.add(pa);
			l.add(len);
		});
		return l;
	}

	public List<IovaRange> allowedRanges() {
		return ranges(allowed);
	}

	/** The union of the reserved ranges. */
	public List<IovaRange> reservedRanges() {
		return ranges(reserved);
	}

	/** IOAS_IOVA_RANGES: the holes of the reserved ranges in [0, ULONG_MAX]. */
	public List<IovaRange> usableRanges() {
		List<IovaRange> out = new ArrayList<>();
		for (Iv h : Spans.holes(0, ULONG_MAX, reserved)) {
			out.add(new IovaRange(h.start(), h.last()));
		}
		return out;
	}

	static int prot(int mapFlags) {
		// conv_iommu_prot: user space cannot flush caches, so every mapping is IOMMU_CACHE
		int prot = Prot.CACHE;
		if ((mapFlags & smmu.iommufd.IoasMap.WRITEABLE) != 0) {
			prot |= Prot.WRITE;
		}
		if ((mapFlags & smmu.iommufd.IoasMap.READABLE) != 0) {
			prot |= Prot.READ;
		}
		return prot;
	}

	/**
	 * iopt_map_pages: maps the elements back to back at {@code iova} (or at an allocated IOVA),
	 * pins pages not yet pinned, inserts one area per element and fills every domain.
	 */
	long mapPages(List<Elem> elems, long length, long iova, int prot, boolean allocIova) {
		if ((length & (iovaAlignment - 1)) != 0 || length == 0) {
			throw err(Errno.EINVAL, "length 0x%x is 0 or not a multiple of the IOVA alignment 0x%x", length, iovaAlignment);
		}
		if (allocIova) {
			Elem first = elems.get(0);
			iova = allocIova(first.pages().uptr() + first.startByte(), length);
		} else {
			checkIova(iova, length);
		}
		List<Area> made = new ArrayList<>();
		long cur = iova;
		for (Elem e : elems) {
			// iopt_insert_area (Linux, the sheet is silent on these two): COPY of read-only pinned pages
			// asking WRITE, and a user page offset the IOVA alignment cannot keep
			if ((prot & Prot.WRITE) != 0 && !e.pages().writable()) {
				throw err(Errno.EPERM, "write access to pages pinned read-only");
			}
			Area a = new Area(cur, e.length(), prot, e.pages(), e.startByte());
			if ((a.pageOffset() & (iovaAlignment - 1)) != 0) {
				throw err(Errno.EINVAL, "page offset 0x%x of the user VA breaks the IOVA alignment 0x%x", a.pageOffset(), iovaAlignment);
			}
			made.add(a);
			cur += e.length();
		}
		// Linux pins only when a domain or access needs the pages; the model pins at map time.
		List<Pages> pinnedNow = new ArrayList<>();
		try {
			for (Elem e : elems) {
				if (!e.pages().pinned()) {
					e.pages().pin();
					pinnedNow.add(e.pages());
				}
			}
		} catch (IommufdException ex) {
			pinnedNow.forEach(Pages::unpin);
			throw ex;
		}
		for (Area a : made) {
			areas.put(a.iova(), a);
		}
		try {
			fill(made);
		} catch (IommufdException ex) {
			for (Area a : made) {
				areas.remove(a.iova());
			}
			pinnedNow.forEach(Pages::unpin);
			throw ex;
		}
		for (Area a : made) {
			a.pages().users++;
		}
		return iova;
	}

	/** Tells every domain of the new areas; on failure undoes what was told. */
	private void fill(List<Area> made) {
		List<AreaListener> done = new ArrayList<>();
		for (Domain d : domains.values()) {
			List<Area> mapped = new ArrayList<>();
			try {
				for (Area a : made) {
					d.listener().mapped(a);
					mapped.add(a);
				}
			} catch (IommufdException ex) {
				mapped.forEach(d.listener()::unmapped);
				for (AreaListener l : done) {
					made.forEach(l::unmapped);
				}
				throw ex;
			}
			done.add(d.listener());
		}
	}

	/** iopt_alloc_iova. */
	private long allocIova(long addr, long length) {
		long pageOffset = addr & (PAGE_SIZE - 1);
		// Linux (the sheet is silent): protects roundup_pow_of_two from overflow
		if (length == 0 || !lt(length, Long.divideUnsigned(ULONG_MAX, 2))) {
			throw err(Errno.EOVERFLOW, "length 0x%x too large to allocate an IOVA for", length);
		}
		long roundup = Long.highestOneBit(length) == length ? length : Long.highestOneBit(length) << 1;
		// keep the alignment present in the user VA: it raises the chance of a huge mapping
		long low = Long.lowestOneBit(addr);
		long align = addr == 0 || lt(roundup, low) ? roundup : low;
		if (!lt(align, HPAGE_SIZE)) {
			align = HPAGE_SIZE;
		}
		if (lt(align, iovaAlignment)) {
			throw err(Errno.EINVAL, "IOVA alignment 0x%x from the user VA is below the IOAS alignment 0x%x", align, iovaAlignment);
		}
		List<Iv> allowedSpans = new ArrayList<>();
		if (allowed.isEmpty()) {
			allowedSpans.add(new Iv(PAGE_SIZE, ULONG_MAX - PAGE_SIZE));
		} else {
			for (Iv s : Spans.union(Spans.intersecting(allowed, PAGE_SIZE, ULONG_MAX - PAGE_SIZE)).values()) {
				allowedSpans.add(new Iv(lt(s.start(), PAGE_SIZE) ? PAGE_SIZE : s.start(),
						lt(ULONG_MAX - PAGE_SIZE, s.last()) ? ULONG_MAX - PAGE_SIZE : s.last()));
			}
		}
		for (Iv span : allowedSpans) {
			long start = fit(span.start(), span.last(), length, align, pageOffset);
			if (start == 0) {
				continue;
			}
			for (Iv hole : Spans.holes(start, span.last(), reserved, areas)) {
				long iova = fit(hole.start(), hole.last(), length, align, pageOffset);
				if (iova != 0) {
					return iova;
				}
			}
		}
		throw err(Errno.ENOSPC, "no free IOVA range of 0x%x bytes aligned to 0x%x", length, align);
	}

	/**
	 * __alloc_iova_check_range: the aligned start (with the page offset or'ed in) if [start, last]
	 * holds length bytes from it, else 0 (never a valid result: the search starts at PAGE_SIZE).
	 */
	private static long fit(long start, long last, long length, long align, long pageOffset) {
		if (lt(last - start, length - 1)) {
			return 0;
		}
		long aligned = start + (align - 1);
		if (lt(aligned, start)) {
			return 0;
		}
		aligned = (aligned & -align) | pageOffset;
		if (!lt(aligned, last) || lt(last - aligned, length - 1)) {
			return 0;
		}
		return aligned;
	}

	/** iopt_check_iova: a fixed IOVA must be aligned, not wrap, avoid reserved ranges and areas. */
	private void checkIova(long iova, long length) {
		if ((iova & (iovaAlignment - 1)) != 0) {
			throw err(Errno.EINVAL, "IOVA 0x%x not aligned to 0x%x", iova, iovaAlignment);
		}
		long last = iova + length - 1;
		if (lt(last, iova)) {
			throw err(Errno.EOVERFLOW, "IOVA 0x%x + length 0x%x wraps", iova, length);
		}
		if (Spans.first(reserved, iova, last) != null) {
			throw err(Errno.EINVAL, "IOVA range [0x%x, 0x%x] intersects a reserved range", iova, last);
		}
		Area a = Spans.first(areas, iova, last);
		if (a != null) {
			throw err(Errno.EEXIST, "IOVA range [0x%x, 0x%x] intersects %s", iova, last, a);
		}
	}

	/**
	 * iopt_unmap_iova_range over [start, last]: every intersecting area must lie inside it (ENOENT)
	 * and not be locked (EBUSY). Returns the bytes unmapped, 0 when nothing intersects. Linux
	 * unmaps the areas before the first offending one; here a failure unmaps nothing.
	 */
	long unmap(long start, long last) {
		List<Area> hit = Spans.intersecting(areas, start, last);
		for (Area a : hit) {
			if (a.locks != 0) {
				throw err(Errno.EBUSY, "%s is locked", a);
			}
			if (lt(a.iova(), start) || lt(last, a.last())) {
				throw err(Errno.ENOENT, "%s is not inside [0x%x, 0x%x]", a, start, last);
			}
		}
		long unmapped = 0;
		for (Area a : hit) {
			remove(a);
			unmapped += a.length();
		}
		return unmapped;
	}

	private void remove(Area a) {
		for (Domain d : domains.values()) {
			d.listener().unmapped(a);
		}
		areas.remove(a.iova());
		// the pages stay pinned while an area of any IOAS (IOAS_COPY shares them) still maps them
		if (--a.pages().users == 0) {
			a.pages().unpin();
		}
	}

	/** iopt_get_pages: the pieces of the areas contiguously covering [iova, iova + length). */
	List<Elem> getPages(long iova, long length) {
		if (length == 0) {
			throw err(Errno.EINVAL, "length 0");
		}
		long last = iova + length - 1;
		if (lt(last, iova)) {
			throw err(Errno.EOVERFLOW, "IOVA 0x%x + length 0x%x wraps", iova, length);
		}
		List<Elem> out = new ArrayList<>();
		long cur = iova;
		while (true) {
			Area a = Spans.first(areas, cur, cur);
			if (a == null) {
				throw err(Errno.ENOENT, "IOVA 0x%x is not mapped", cur);
			}
			long end = lt(a.last(), last) ? a.last() : last;
			out.add(new Elem(a.pages(), a.startByte() + (cur - a.iova()), end - cur + 1));
			if (end == last) {
				return out;
			}
			cur = end + 1;
		}
	}

	/** iommufd_ioas_load_iovas + iopt_set_allow_iova. */
	void setAllowed(List<IovaRange> ranges) {
		setAllowed(loadAllowed(ranges));
	}

	/** iopt_set_allow_iova of ranges already loaded: EADDRINUSE when one intersects a reserved range. */
	void setAllowed(TreeMap<Long, Iv> next) {
		for (Iv r : next.values()) {
			if (Spans.first(reserved, r.start(), r.last()) != null) {
				throw err(Errno.EADDRINUSE, "allowed range [0x%x, 0x%x] intersects a reserved range", r.start(), r.last());
			}
		}
		allowed = next;
	}

	/** iommufd_ioas_load_iovas: each range needs start < last and no overlap with the ones before (EINVAL). */
	static TreeMap<Long, Iv> loadAllowed(List<IovaRange> ranges) {
		TreeMap<Long, Iv> next = Spans.newMap();
		for (IovaRange r : ranges) {
			loadAllowedRange(next, r.start(), r.last());
		}
		return next;
	}

	/** One range of iommufd_ioas_load_iovas into {@code tree}. */
	static void loadAllowedRange(TreeMap<Long, Iv> tree, long start, long last) {
		if (!lt(start, last)) {
			throw err(Errno.EINVAL, "allowed range [0x%x, 0x%x] has start >= last", start, last);
		}
		if (Spans.first(tree, start, last) != null) {
			throw err(Errno.EINVAL, "allowed range [0x%x, 0x%x] overlaps another one", start, last);
		}
		tree.put(start, new Iv(start, last));
	}

	/**
	 * iopt_reserve_iova: reserves [start, last] for {@code owner} (a device's SW MSI window, the
	 * outside of a domain's aperture); EADDRINUSE when an area or an allowed range intersects it.
	 */
	public void reserve(long start, long last, Object owner) {
		if (lt(last, start)) {
			throw new IllegalArgumentException(String.format("bad reserved range [0x%x, 0x%x]", start, last));
		}
		if (Spans.first(areas, start, last) != null || Spans.first(allowed, start, last) != null) {
			throw err(Errno.EADDRINUSE, "[0x%x, 0x%x] is mapped or allowed", start, last);
		}
		reservedList.add(new Reserved(start, last, owner));
		reserved = Spans.union(reservedList);
	}

	/** Drops every range {@code owner} reserved. */
	public void unreserve(Object owner) {
		reservedList.removeIf(r -> r.owner() == owner);
		reserved = Spans.union(reservedList);
	}

	/** Reserves the arm64 software MSI window for {@code owner} (iopt_table_enforce_dev_resv_regions). */
	public void reserveSwMsi(Object owner) {
		reserve(SW_MSI_BASE, SW_MSI_BASE + SW_MSI_LENGTH - 1, owner);
	}

	/**
	 * iopt_table_add_domain: attaches a domain whose aperture is [apertureStart, apertureEnd] and
	 * whose smallest page is {@code minPageSize}: EINVAL above PAGE_SIZE, EADDRINUSE when areas break
	 * the new alignment or lie outside the aperture (or allowed ranges do), then every existing area
	 * is mapped into it. All or nothing.
	 */
	public void attachDomain(Object owner, long apertureStart, long apertureEnd, long minPageSize, AreaListener listener) {
		if (domains.containsKey(owner)) {
			throw err(Errno.EEXIST, "domain already attached");
		}
		long align = Math.max(minPageSize, iovaAlignment);
		if (align > PAGE_SIZE) {
			throw err(Errno.EINVAL, "domain page size 0x%x above PAGE_SIZE", minPageSize);
		}
		if (align != iovaAlignment) {
			checkAlignment(align);
		}
		try {
			if (apertureStart != 0) {
				reserve(0, apertureStart - 1, owner);
			}
			if (apertureEnd != ULONG_MAX) {
				reserve(apertureEnd + 1, ULONG_MAX, owner);
			}
			List<Area> mapped = new ArrayList<>();
			try {
				for (Area a : areas.values()) {
					listener.mapped(a);
					mapped.add(a);
				}
			} catch (IommufdException ex) {
				mapped.forEach(listener::unmapped);
				throw ex;
			}
		} catch (IommufdException ex) {
			unreserve(owner);
			throw ex;
		}
		domains.put(owner, new Domain(listener, minPageSize));
		iovaAlignment = align;
	}

	/** iopt_table_remove_domain: unmaps every area from the domain, drops its reservations and alignment. */
	public void detachDomain(Object owner) {
		Domain d = domains.remove(owner);
		if (d == null) {
			return;
		}
		for (Area a : areas.values()) {
			d.listener().unmapped(a);
		}
		unreserve(owner);
		calculateAlignment();
	}

	public boolean hasDomains() {
		return !domains.isEmpty();
	}

	/** iopt_disable_large_pages: EINVAL once domains hold mappings, EADDRINUSE for misaligned areas. */
	void disableLargePages() {
		if (disableLargePages) {
			return;
		}
		if (!domains.isEmpty() && !areas.isEmpty()) {
			throw err(Errno.EINVAL, "domains already have pages mapped");
		}
		disableLargePages = true;
		try {
			calculateAlignment();
		} catch (IommufdException ex) {
			disableLargePages = false;
			throw ex;
		}
	}

	void enableLargePages() {
		disableLargePages = false;
		calculateAlignment();
	}

	/** iopt_calculate_iova_alignment. */
	private void calculateAlignment() {
		long align = disableLargePages ? PAGE_SIZE : 1;
		for (Domain d : domains.values()) {
			align = Math.max(align, d.minPageSize());
		}
		if (align > iovaAlignment) {
			checkAlignment(align);
		}
		iovaAlignment = align;
	}

	/** iopt_check_iova_alignment. */
	private void checkAlignment(long align) {
		long mask = align - 1;
		for (Area a : areas.values()) {
			if (((a.iova() | a.length() | a.pageOffset()) & mask) != 0) {
				throw err(Errno.EADDRINUSE, "%s is not aligned to 0x%x", a, align);
			}
		}
	}

	/**
	 * Locks the areas contiguously covering [iova, iova + length) against UNMAP (EBUSY), as a HW
	 * queue's internal access does; ENOENT when the range is not fully mapped.
	 */
	public List<Area> lock(long iova, long length) {
		List<Area> out = new ArrayList<>();
		for (Elem e : getPages(iova, length)) {
			out.add(Spans.first(areas, iova, iova));
			iova += e.length();
		}
		for (Area a : out) {
			a.locks++;
		}
		return out;
	}

	public void unlock(List<Area> locked) {
		for (Area a : locked) {
			a.locks--;
		}
	}

	/** Removes every area (the IOAS is being destroyed); releases their pages. */
	void destroy() {
		for (Area a : new ArrayList<>(areas.values())) {
			remove(a);
		}
	}

	/** The distinct pages mapped by this IOAS. */
	void collectPages(IdentityHashMap<Pages, Boolean> into) {
		for (Area a : areas.values()) {
			into.put(a.pages(), Boolean.TRUE);
		}
	}

	private static List<IovaRange> ranges(TreeMap<Long, Iv> map) {
		List<IovaRange> out = new ArrayList<>();
		for (Iv r : map.values()) {
			out.add(new IovaRange(r.start(), r.last()));
		}
		return out;
	}

	static IommufdException err(Errno errno, String format, Object... args) {
		return new IommufdException(errno, String.format(format, args));
	}

	@Override
	public String toString() {
		return "iopt{areas=" + areas.values() + ", reserved=" + reservedRanges() + ", allowed=" + allowedRanges()
				+ ", align=" + iovaAlignment + ", largePages=" + !disableLargePages + ", domains=" + domains.size() + "}";
	}
}
