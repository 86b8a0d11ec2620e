package smmu.hw.driver;

import smmu.hw.arch.Cd;
import smmu.hw.arch.Ste;

/**
 * A master's CD table in memory: linear ({@code S1FMT = 0}) or 64K_L2 ({@code S1FMT = 2}) with 1024
 * CDs per lazily allocated level-2 table. Created and written by {@link SmmuDriver}.
 */
public final class CdTable {
	public static final int L2_ENTRIES = 1 << Cd.L2_CDS_LOG2;
	public static final long L2_BYTES = (long) L2_ENTRIES * Cd.BYTES;

	private final long base;
	private final int s1fmt;
	private final int s1cdmax;
	private final long baseBytes;
	private final long[] l2;
	private int usedSsids;
	private boolean freed;

	CdTable(long base, int s1fmt, int s1cdmax, long baseBytes) {
		this.base = base;
		this.s1fmt = s1fmt;
		this.s1cdmax = s1cdmax;
		this.baseBytes = baseBytes;
		this.l2 = s1fmt == Ste.S1FMT_64K_L2 ? new long[(int) ((1L << s1cdmax) + L2_ENTRIES - 1) / L2_ENTRIES] : null;
	}

	/** The STE's S1ContextPtr: the linear table or the L1 table. */
	public long base() {
		return base;
	}

	public int s1fmt() {
		return s1fmt;
	}

	/** log2 of the number of CDs (STE.S1CDMax). */
	public int s1cdmax() {
		return s1cdmax;
	}

	public boolean twoLevel() {
		return l2 != null;
	}

	public int maxContexts() {
		return 1 << s1cdmax;
	}

	/** L1 descriptors (2-level), else 0. */
	public int l1Entries() {
		return l2 == null ? 0 : l2.length;
	}

	/** Address of the CD of {@code ssid}, or -1 when it is out of range or its level-2 table does not exist. */
	public synchronized long cdAddress(int ssid) {
		if (ssid < 0 || ssid >= maxContexts()) {
			return -1;
		}
		if (l2 == null) {
			return base + (long) ssid * Cd.BYTES;
		}
		long t = l2[ssid >>> Cd.L2_CDS_LOG2];
		return t == 0 ? -1 : t + (long) (ssid & (L2_ENTRIES - 1)) * Cd.BYTES;
	}

	/** Level-2 table of an L1 index, 0 if none. */
	synchronized long l2(int l1Index) {
		return l2[l1Index];
	}

	synchronized void setL2(int l1Index, long pa) {
		l2[l1Index] = pa;
	}

	long baseBytes() {
		return baseBytes;
	}

	/** Bytes of CD table memory allocated now. */
	public synchronized long bytes() {
		long b = baseBytes;
		if (l2 != null) {
			for (long t : l2) {
				b += t == 0 ? 0 : L2_BYTES;
			}
		}
		return b;
	}

	/** Valid CDs written through the driver. */
	public synchronized int usedSsids() {
		return usedSsids;
	}

	synchronized void addUsed(int delta) {
		usedSsids += delta;
	}

	synchronized boolean markFreed() {
		boolean was = freed;
		freed = true;
		return !was;
	}

	public synchronized boolean isFreed() {
		return freed;
	}

	@Override
	public String toString() {
		return String.format("CdTable[0x%x %s cdmax=%d used=%d bytes=%d]", base, l2 == null ? "linear" : "64K_L2", s1cdmax, usedSsids, bytes());
	}
}
