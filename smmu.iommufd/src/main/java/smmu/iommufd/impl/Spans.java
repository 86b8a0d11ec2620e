package smmu.iommufd.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Interval queries over {@link TreeMap}s keyed by start with an unsigned comparator, each holding
 * non-overlapping spans: the replacement for the kernel's interval trees and span iterators.
 */
final class Spans {
	static final long ULONG_MAX = -1L;

	private Spans() {}

	static <T extends Span> TreeMap<Long, T> newMap() {
		return new TreeMap<>(Long::compareUnsigned);
	}

	static boolean le(long a, long b) {
		return Long.compareUnsigned(a, b) <= 0;
	}

	static boolean lt(long a, long b) {
		return Long.compareUnsigned(a, b) < 0;
	}

	/** The intersecting span with the lowest start, or null. */
	static <T extends Span> T first(TreeMap<Long, T> map, long start, long last) {
		Map.Entry<Long, T> e = map.floorEntry(start);
		if (e != null && le(start, e.getValue().last())) {
			return e.getValue();
		}
		e = map.higherEntry(start);
		return e != null && le(e.getKey(), last) ? e.getValue() : null;
	}

	/** Every span intersecting [start, last], by ascending start. */
	static <T extends Span> List<T> intersecting(TreeMap<Long, T> map, long start, long last) {
		List<T> out = new ArrayList<>();
		T s = first(map, start, last);
		while (s != null) {
			out.add(s);
			if (!lt(s.last(), last)) {
				break;
			}
			Map.Entry<Long, T> e = map.higherEntry(s.start());
			s = e != null && le(e.getKey(), last) ? e.getValue() : null;
		}
		return out;
	}

	/**
	 * The holes of the union of the maps inside [lo, hi], by ascending address (adjacent or
	 * overlapping spans of different maps merge, as interval_tree_double_span_iter does).
	 */
	@SafeVarargs
	static List<Iv> holes(long lo, long hi, TreeMap<Long, ? extends Span>... maps) {
		List<Iv> out = new ArrayList<>();
		long cursor = lo;
		while (true) {
			Span next = null;
			for (TreeMap<Long, ? extends Span> m : maps) {
				Span s = first(m, cursor, hi);
				if (s != null && (next == null || lt(s.start(), next.start()))) {
					next = s;
				}
			}
			if (next == null) {
				out.add(new Iv(cursor, hi));
				return out;
			}
			if (lt(cursor, next.start())) {
				out.add(new Iv(cursor, next.start() - 1));
			}
			if (!lt(next.last(), hi)) {
				return out;
			}
			cursor = next.last() + 1;
		}
	}

	/** Merges possibly overlapping spans into a map of disjoint, non-adjacent spans. */
	static TreeMap<Long, Iv> union(List<? extends Span> spans) {
		List<Span> sorted = new ArrayList<>(spans);
		sorted.sort((a, b) -> Long.compareUnsigned(a.start(), b.start()));
		TreeMap<Long, Iv> out = newMap();
		Iv cur = null;
		for (Span s : sorted) {
			if (cur != null && (cur.last() == ULONG_MAX || le(s.start(), cur.last() + 1))) {
				cur = new Iv(cur.start(), lt(cur.last(), s.last()) ? s.last() : cur.last());
			} else {
				if (cur != null) {
					out.put(cur.start(), cur);
				}
				cur = new Iv(s.start(), s.last());
			}
		}
		if (cur != null) {
			out.put(cur.start(), cur);
		}
		return out;
	}
}
