package smmu.hw.impl.walk;

import smmu.hw.Event;
import smmu.hw.EventType;
import smmu.hw.MemoryAbort;
import smmu.hw.PhysicalMemory;
import smmu.hw.arch.Pte;

/**
 * The VMSAv8-64 translation table walker of the SMMUv3 model: stage 1, stage 2 and nested walks over
 * descriptors read from {@link PhysicalMemory} (4K, 16K and 64K granules, every start level, stage-2
 * concatenated start tables).
 * <p>
 * Decisions the architecture leaves to the implementation, or where this model departs from QEMU:
 * <ul>
 * <li>Configuration is re-validated at walk time and an inconsistent one is a Translation fault of that
 * stage: a granule other than 4K/16K/64K; S1 TxSZ outside [16, 39] ([12, 39] with 64K); S2SL0 = 3
 * (needs FEAT_TTST or FEAT_LPA2); an S2T0SZ that the start level cannot resolve with at most 16
 * concatenated tables (Arm ARM AArch64.S2InconsistentSL), or outside [16, 39] ([12, 39] with 64K).</li>
 * <li>A table base (TTBx, S2TTB) at or beyond the stage's output size is an Address size fault. Base bits
 * below the start table's size (at least 64 bytes) are ignored.</li>
 * <li>Fault priority follows the Arm ARM: Translation, Address size, Access flag, Permission. APTable is
 * accumulated down the walk and applied at the leaf (QEMU faults at the table descriptor, which differs
 * only when a lower level would raise a higher-priority fault).</li>
 * <li>Region selection uses VA[55] as the Arm ARM does; TBI then ignores VA[63:56] in the range check.</li>
 * <li>Blocks: 4K at levels 1-2, 16K at level 2, 64K at level 2, and at level 1 when the stage's output
 * size exceeds 48 bits (the model's stand-in for a 52-bit PA implementation).</li>
 * <li>Nested: each stage-1 descriptor address (table base plus index) is translated by stage 2, so a
 * stage-1 table may span several smaller stage-2 pages; a stage-2 fault there reports that descriptor IPA.
 * Stage-2 accesses made for table walks and CD fetches are reads.</li>
 * <li>An S2-only input beyond the SMMU's IAS (QEMU: a stage-1 Address size fault) is the caller's check;
 * here such an address is a stage-2 Translation fault when it exceeds S2T0SZ.</li>
 * <li>Per-walk stage-2 walk cache ({@link #translate}): the five stage-2 walks of one nested walk (four
 * stage-1 table descriptors and the output) keep the stage-2 descriptors they read at the levels above the
 * last (tables and blocks), one per level tagged by the IPA range it covers, and a later stage-2 walk of
 * the same nested walk starts below the deepest level whose range holds its IPA. The cache is created
 * for one nested walk and dropped with it: nothing outlives the walk, so no invalidation applies to it
 * (a walk that reads a descriptor once and uses it for several IPAs is what a walk cache allowed by the
 * architecture does; the TLB and its invalidations are unchanged). A reused descriptor goes through the
 * same checks as a freshly read one, so outputs, permissions and faults (type, stage, class, IPA, level)
 * are those of {@link #translateUncached}; only the reads differ. The listener, and so the counters of
 * table reads by stage and level, sees the reads really made.</li>
 * </ul>
 * Stateless and thread-safe; a walk allocates only its {@link WalkResult} and, when nested, its
 * eight-long stage-2 walk cache.
 */
public final class PageTableWalker {

	// An internal stage-2 walk outcome packed in a long. Success: PA[51:0], leaf level [53:52],
	// readable [54], writable [55]. Fault: bit 63, code [62:56], fetch address [51:0] (F_WALK_EABT).
	private static final long FAULT = 1L << 63;
	private static final int CODE_SHIFT = 56;
	private static final long PA_MASK = (1L << 52) - 1;
	private static final int LEVEL_SHIFT = 52;
	private static final long READABLE = 1L << 54, WRITABLE = 1L << 55;
	private static final int C_TRANSLATION = 1, C_ADDR_SIZE = 2, C_ACCESS = 3, C_PERMISSION = 4, C_WALK_EABT = 5;
	private static final long R_TRANSLATION = FAULT | (long) C_TRANSLATION << CODE_SHIFT;
	private static final long R_ADDR_SIZE = FAULT | (long) C_ADDR_SIZE << CODE_SHIFT;
	private static final long R_ACCESS = FAULT | (long) C_ACCESS << CODE_SHIFT;
	private static final long R_PERMISSION = FAULT | (long) C_PERMISSION << CODE_SHIFT;
	private static final long R_WALK_EABT = FAULT | (long) C_WALK_EABT << CODE_SHIFT;
	private static final EventType[] FAULTS = { null, EventType.F_TRANSLATION, EventType.F_ADDR_SIZE, EventType.F_ACCESS,
			EventType.F_PERMISSION, EventType.F_WALK_EABT };

	// The per-walk stage-2 walk cache: tag of level L at [L] (IPA >>> level shift, TAG_VALID set), the
	// descriptor at [DESC + L]; levels 0-2 (a level-3 descriptor is always a leaf and never reused).
	private static final int DESC = 4, CACHE_LONGS = 8;
	private static final long TAG_VALID = 1L << 63;

	private static final long VA_SELECT = 1L << 55;
	private static final long APTABLE_RO = 1L << 62;
	private static final int MAX_TXSZ = 39;

	/** Stage-1 start level by granule index ((g - 12) / 2) and input size, -1 where invalid. */
	private static final byte[][] S1_START = new byte[3][65];

	static {
		for (int gi = 0; gi < 3; gi++) {
			int g = 12 + 2 * gi;
			for (int ias = 0; ias <= 64; ias++) {
				boolean valid = ias >= 64 - MAX_TXSZ && ias <= maxInputBits(g);
				// Arm ARM: start level = 4 - ceil((ias - g) / stride)
				S1_START[gi][ias] = (byte) (valid ? 4 - (ias - 4) / (g - 3) : -1);
			}
		}
	}

	private final PhysicalMemory memory;

	public PageTableWalker(PhysicalMemory memory) {
		if (memory == null) {
			throw new IllegalArgumentException("memory");
		}
		this.memory = memory;
	}

	/**
	 * Translates {@code iova} through stage 1 then stage 2. Either stage may be null (disabled), not both.
	 * Nested: the stage-1 TTB and every stage-1 descriptor address are IPAs translated by stage 2 first
	 * (a fault there has {@code s2}, {@link Event#CLASS_TT} and the descriptor IPA); the stage-1 output IPA
	 * is then translated by stage 2 ({@link Event#CLASS_IN}). With stage 1 alone the result's {@code ipa}
	 * is its output address.
	 *
	 * <p>
	 * A nested walk keeps a stage-2 walk cache for its own duration (see the class comment), so it reads
	 * fewer stage-2 descriptors than {@link #translateUncached} with the same outcome.
	 *
	 * @param write the access is a write (else a read)
	 * @param listener told of every descriptor read, in order; null for none
	 * @throws IllegalArgumentException when both stages are null (a caller error, never guest input)
	 */
	public WalkResult translate(S1Regime s1, S2Regime s2, long iova, boolean write, WalkListener listener) {
		return walk(s1, s2, iova, write, listener, s1 != null && s2 != null ? new long[CACHE_LONGS] : null);
	}

	/**
	 * As {@link #translate}, without the per-walk stage-2 walk cache: every stage-2 walk of a nested walk
	 * starts at the stage-2 start table, so the listener sees every descriptor read of the architecture's
	 * walk (4 + 5 x 4 = 24 for 4-level tables at both stages). The traced walk ({@code smmu:walk}) uses it.
	 */
	public WalkResult translateUncached(S1Regime s1, S2Regime s2, long iova, boolean write, WalkListener listener) {
		return walk(s1, s2, iova, write, listener, null);
	}

	private WalkResult walk(S1Regime s1, S2Regime s2, long iova, boolean write, WalkListener listener, long[] cache) {
		WalkListener l = listener == null ? WalkListener.NONE : listener;
		if (s1 == null) {
			if (s2 == null) {
				throw new IllegalArgumentException("stage 1 and stage 2 both disabled");
			}
			return translateS2(s2, iova, write, Event.CLASS_IN, l);
		}
		boolean high = (iova & VA_SELECT) != 0;
		TableRegime tt = high ? s1.tt1() : s1.tt0();
		if (tt == null || !tt.enabled()) {
			return s1Fault(EventType.F_TRANSLATION, s1);
		}
		int g = tt.granuleShift();
		if (g != 12 && g != 14 && g != 16) {
			return s1Fault(EventType.F_TRANSLATION, s1);
		}
		int ias = 64 - tt.tsz();
		int level = ias < 0 || ias > 64 ? -1 : S1_START[(g - 12) >>> 1][ias];
		if (level < 0) {
			return s1Fault(EventType.F_TRANSLATION, s1);
		}
		// Arm ARM: VA[55] selects the region; the bits above the input size must all equal it
		long top = (high ? s1.tbi1() : s1.tbi0()) ? (iova << 8) >> (ias + 8) : iova >> ias;
		if (top != (high ? -1L : 0L)) {
			return s1Fault(EventType.F_TRANSLATION, s1);
		}
		int oasBits = s1.oasBits();
		long oaMask = outOfRange(oasBits);
		int stride = g - 3;
		long tableMask = (1L << stride) - 1;
		int shift = g + (3 - level) * stride;
		long va = iova & ((1L << ias) - 1);
		long descAddr = tt.ttb() & -startTableAlign(ias - shift);
		if ((descAddr & oaMask) != 0) {
			return s1Fault(EventType.F_ADDR_SIZE, s1);
		}
		descAddr += (va >>> shift) << 3;
		boolean nested = s2 != null;
		int s2Start = nested ? s2StartLevel(s2) : 0;
		long s2Root = nested ? s2Root(s2, s2Start) : 0;
		boolean apTableRo = false;
		boolean had = tt.had();
		for (;;) {
			long pa = descAddr;
			if (nested) {
				long r = s2Walk(s2, s2Start, s2Root, descAddr, false, l, cache);
				if (r < 0) {
					return s2Fault(r, s2, Event.CLASS_TT, descAddr);
				}
				pa = r & PA_MASK;
			}
			long desc;
			try {
				desc = memory.read64(pa);
			} catch (MemoryAbort e) {
				return WalkResult.fault(EventType.F_WALK_EABT, false, Event.CLASS_TT, 0, pa, true);
			}
			l.descriptorRead(1, level, pa, desc);
			if ((desc & Pte.VALID) == 0) {
				return s1Fault(EventType.F_TRANSLATION, s1);
			}
			if (level == 3 || (desc & Pte.TYPE_MASK) == Pte.TYPE_BLOCK) {
				if (level == 3 ? (desc & Pte.TYPE_MASK) != Pte.TYPE_PAGE : !blockAllowed(g, level, oasBits)) {
					return s1Fault(EventType.F_TRANSLATION, s1);
				}
				long oa = Pte.outputAddress(desc, g) & (-1L << shift);
				if ((oa & oaMask) != 0) {
					return s1Fault(EventType.F_ADDR_SIZE, s1);
				}
				if ((desc & Pte.AF) == 0 && !s1.affd()) {
					return s1Fault(EventType.F_ACCESS, s1);
				}
				// All accesses are privileged (as QEMU): AP[6] is ignored, AP[7] makes the page read-only
				boolean writable = !apTableRo && (desc & Pte.S1_AP_RDONLY) == 0;
				if (write && !writable) {
					return s1Fault(EventType.F_PERMISSION, s1);
				}
				long ipa = oa | (va & ~(-1L << shift));
				boolean global = (desc & Pte.NG) == 0;
				if (!nested) {
					return WalkResult.success(ipa, ipa, 1L << shift, level, writable, true, true, global);
				}
				long r = s2Walk(s2, s2Start, s2Root, ipa, write, l, cache);
				if (r < 0) {
					return s2Fault(r, s2, Event.CLASS_IN, ipa);
				}
				int level2 = (int) (r >>> LEVEL_SHIFT) & 3;
				int shift2 = levelShift(s2.granuleShift(), level2);
				boolean s2Smaller = shift2 <= shift;
				return WalkResult.success(r & PA_MASK, ipa, 1L << (s2Smaller ? shift2 : shift), s2Smaller ? level2 : level,
						writable, (r & READABLE) != 0, (r & WRITABLE) != 0, global);
			}
			// Arm ARM: APTable[1] (bit 62) forbids writes at every lower level unless HAD
			if (!had && (desc & APTABLE_RO) != 0) {
				apTableRo = true;
			}
			long next = Pte.outputAddress(desc, g);
			if ((next & oaMask) != 0) {
				return s1Fault(EventType.F_ADDR_SIZE, s1);
			}
			level++;
			shift -= stride;
			descAddr = next + (((va >>> shift) & tableMask) << 3);
		}
	}

	/**
	 * Translates an IPA through stage 2 alone: the input of an S2-only stream ({@link Event#CLASS_IN}),
	 * or an address the SMMU itself fetches, such as a CD ({@link Event#CLASS_CD}).
	 *
	 * @param write the access is a write (else a read)
	 * @param faultClass the class a fault reports
	 * @param listener told of every descriptor read, in order; null for none
	 */
	public WalkResult translateS2(S2Regime s2, long ipa, boolean write, int faultClass, WalkListener listener) {
		if (s2 == null) {
			throw new IllegalArgumentException("stage 2 disabled");
		}
		int start = s2StartLevel(s2);
		long r = s2Walk(s2, start, s2Root(s2, start), ipa, write, listener == null ? WalkListener.NONE : listener, null);
		if (r < 0) {
			return s2Fault(r, s2, faultClass, ipa);
		}
		int level = (int) (r >>> LEVEL_SHIFT) & 3;
		return WalkResult.success(r & PA_MASK, ipa, 1L << levelShift(s2.granuleShift(), level), level, true,
				(r & READABLE) != 0, (r & WRITABLE) != 0);
	}

	/**
	 * One stage-2 walk from the start table at {@code root} ({@link #s2Root}) of level {@code start}
	 * ({@link #s2StartLevel}). Returns the packed outcome. With a {@code cache} (one nested walk's, all
	 * its walks with the same regime and root), the walk resumes from the deepest cached descriptor whose
	 * range holds {@code ipa}, as if it had just read it, and keeps what it reads above level 3.
	 */
	private long s2Walk(S2Regime s2, int start, long root, long ipa, boolean write, WalkListener l, long[] cache) {
		// Arm ARM AArch64.S2Translate: the IPA range check comes first (an invalid S2T0SZ faults either way)
		if ((ipa >>> (64 - s2.t0sz())) != 0) {
			return R_TRANSLATION;
		}
		if (root < 0) {
			return root;
		}
		int g = s2.granuleShift();
		int psBits = s2.psBits();
		long oaMask = outOfRange(psBits);
		int stride = g - 3;
		long tableMask = (1L << stride) - 1;
		int level = start;
		int shift = levelShift(g, start);
		long descAddr = root + ((ipa >>> shift) << 3);
		long desc = 0;
		boolean reuse = false;
		if (cache != null) {
			// the deepest level (2 up to the start level) whose cached descriptor covers this IPA
			for (int lv = 2, sh = levelShift(g, 2); lv >= start; lv--, sh += stride) {
				if (cache[lv] == (ipa >>> sh | TAG_VALID)) {
					level = lv;
					shift = sh;
					desc = cache[DESC + lv];
					reuse = true;
					break;
				}
			}
		}
		for (;;) {
			if (reuse) {
				reuse = false;
			} else {
				try {
					desc = memory.read64(descAddr);
				} catch (MemoryAbort e) {
					return R_WALK_EABT | descAddr;
				}
				l.descriptorRead(2, level, descAddr, desc);
				if (cache != null && level < 3) {
					cache[level] = ipa >>> shift | TAG_VALID;
					cache[DESC + level] = desc;
				}
			}
			if ((desc & Pte.VALID) == 0) {
				return R_TRANSLATION;
			}
			if (level == 3 || (desc & Pte.TYPE_MASK) == Pte.TYPE_BLOCK) {
				if (level == 3 ? (desc & Pte.TYPE_MASK) != Pte.TYPE_PAGE : !blockAllowed(g, level, psBits)) {
					return R_TRANSLATION;
				}
				long oa = Pte.outputAddress(desc, g) & (-1L << shift);
				if ((oa & oaMask) != 0) {
					return R_ADDR_SIZE;
				}
				if ((desc & Pte.AF) == 0 && !s2.affd()) {
					return R_ACCESS;
				}
				if ((desc & (write ? Pte.S2_HAP_WRITE : Pte.S2_HAP_READ)) == 0) {
					return R_PERMISSION;
				}
				return oa | (ipa & ~(-1L << shift)) | (long) level << LEVEL_SHIFT
						| ((desc & Pte.S2_HAP_READ) != 0 ? READABLE : 0) | ((desc & Pte.S2_HAP_WRITE) != 0 ? WRITABLE : 0);
			}
			long next = Pte.outputAddress(desc, g);
			if ((next & oaMask) != 0) {
				return R_ADDR_SIZE;
			}
			level++;
			shift -= stride;
			descAddr = next + (((ipa >>> shift) & tableMask) << 3);
		}
	}

	/**
	 * The stage-2 start table address, or the packed fault every walk of this configuration gives
	 * (Translation when {@code start} is invalid, Address size for an S2TTB beyond the output size).
	 */
	private static long s2Root(S2Regime s2, int start) {
		if (start < 0) {
			return R_TRANSLATION;
		}
		// IHI 0070: up to 16 concatenated start tables; the index bits above the stride select the table
		long root = s2.vttb() & -startTableAlign(64 - s2.t0sz() - levelShift(s2.granuleShift(), start));
		return (root & outOfRange(s2.psBits())) != 0 ? R_ADDR_SIZE : root;
	}

	/** The stage-2 start level, or -1 when S2TG/S2SL0/S2T0SZ are inconsistent. */
	private static int s2StartLevel(S2Regime s2) {
		int g = s2.granuleShift();
		if (g != 12 && g != 14 && g != 16) {
			return -1;
		}
		int sl0 = s2.sl0();
		if (sl0 < 0 || sl0 > 2) {
			return -1;
		}
		int ias = 64 - s2.t0sz();
		if (ias < 64 - MAX_TXSZ || ias > maxInputBits(g)) {
			return -1;
		}
		int start = (g == 12 ? 2 : 3) - sl0;
		int stride = g - 3;
		// Arm ARM AArch64.S2InconsistentSL: the start level resolves 1 .. stride + 4 bits (<= 16 tables)
		int startBits = ias - levelShift(g, start);
		return startBits < 1 || startBits > stride + 4 ? -1 : start;
	}

	private static int maxInputBits(int g) {
		return g == 16 ? 52 : 48;
	}

	private static int levelShift(int g, int level) {
		return g + (3 - level) * (g - 3);
	}

	/** Alignment of a start table resolving {@code indexBits}: its size, at least 64 bytes. */
	private static long startTableAlign(int indexBits) {
		return 1L << Math.max(6, indexBits + 3);
	}

	/** Mask of the address bits at or above an output size (clamped to the 52-bit maximum). */
	private static long outOfRange(int bits) {
		return bits <= 0 ? -1L : -1L << Math.min(bits, 52);
	}

	/** Arm ARM block descriptor support by granule: 1G/2M (4K), 32M (16K), 512M and 4T with 52-bit PAs (64K). */
	private static boolean blockAllowed(int g, int level, int outBits) {
		return level == 2 || level == 1 && (g == 12 || g == 16 && outBits > 48);
	}

	private static WalkResult s1Fault(EventType type, S1Regime s1) {
		return WalkResult.fault(type, false, Event.CLASS_IN, 0, 0, s1.recordFaults());
	}

	private static WalkResult s2Fault(long r, S2Regime s2, int faultClass, long ipa) {
		int code = (int) (r >>> CODE_SHIFT) & 0x7f;
		if (code == C_WALK_EABT) {
			return WalkResult.fault(EventType.F_WALK_EABT, true, faultClass, ipa, r & PA_MASK, true);
		}
		return WalkResult.fault(FAULTS[code], true, faultClass, ipa, 0, s2.recordFaults());
	}
}
