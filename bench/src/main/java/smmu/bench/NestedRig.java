package smmu.bench;

import java.util.Random;

import smmu.hw.CacheStats;
import smmu.hw.FrameAllocator;
import smmu.hw.SmmuSpec;
import smmu.hw.SmmuStats;
import smmu.hw.SparseMemory;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.arch.Ste;
import smmu.hw.driver.CdBuilder;
import smmu.hw.driver.IoPageTable;
import smmu.hw.driver.Prot;
import smmu.hw.driver.SmmuDriver;
import smmu.hw.driver.SteBuilder;
import smmu.hw.impl.SmmuDevice;

/**
 * An SMMU with {@code streams} nested streams (StreamIDs 0x10.., ASIDs 1..), set up through the driver
 * library: each a 4-level stage 1 (48-bit VA, 4K) over one 4-level stage 2 (48-bit IPA, 4K pages only, 16
 * MiB of guest RAM). The streams share one stage-1 table mapping {@code pages} 4K pages from {@link #IOVA},
 * but their ASIDs differ, so each stream has its own TLB entries. A miss is a full nested walk: 24
 * descriptor reads in the architecture's walk, 12 with the per-walk stage-2 walk cache (the stage-1 tables
 * and the buffers lie in one 2 MiB IPA range).
 */
final class NestedRig {
	static final long IOVA = 0x7f12_0000_0000L;
	static final int FIRST_SID = 0x10;

	final SmmuDevice smmu;
	final SmmuDriver driver;
	final int pages;

	NestedRig(int pages, int streams, int tlbEntries) {
		this.pages = pages;
		SparseMemory memory = new SparseMemory(48);
		FrameAllocator host = new FrameAllocator(memory, 0x8000_0000L, 0x9000_0000L);
		SmmuSpec spec = SmmuSpec.mmu700("bench", 0x2b40_0000L).withCaches(tlbEntries, 256);
		smmu = SmmuDevice.create(spec, memory);
		driver = SmmuDriver.probe(smmu, memory, host);
		driver.init();
		long ram = 0xa000_0000L, ramSize = 16L << 20;
		IoPageTable s2 = IoPageTable.allocate(IoPageTable.Config.s2(4096, 48, 48), host);
		for (long off = 0; off < ramSize; off += 4096) {
			s2.map(ram + off, ram + off, 4096, Prot.READ | Prot.WRITE | Prot.CACHE);
		}
		FrameAllocator guest = new FrameAllocator(memory, ram, ram + ramSize);
		IoPageTable s1 = IoPageTable.allocate(IoPageTable.Config.s1(4096, 48, 48), guest);
		long buffers = guest.allocate(256 * 4096, 4096);
		for (int i = 0; i < pages; i++) {
			s1.map(IOVA + i * 4096L, buffers + (i & 255) * 4096L, 4096, Prot.READ | Prot.WRITE | Prot.CACHE);
		}
		for (int s = 0; s < streams; s++) {
			long cdTable = guest.allocate(64, 64);
			long[] cd = CdBuilder.s1(s1, 1 + s, false);
			for (int i = 0; i < cd.length; i++) {
				memory.write64(cdTable + 8L * i, cd[i]);
			}
			long[] guestSte = SteBuilder.cdTable(cdTable, Ste.S1FMT_LINEAR, 0, Ste.S1DSS_SSID0, false, false, false, false);
			driver.ensureL2(FIRST_SID + s);
			driver.writeSte(FIRST_SID + s, SteBuilder.nested(driver.features(), guestSte, s2, 1, false, false));
			TranslationResult r = smmu.translate(TranslationRequest.read(FIRST_SID + s, IOVA + 0x88));
			if (!(r instanceof TranslationResult.Translated t) || t.pa() != buffers + 0x88) {
				throw new IllegalStateException("benchmark setup does not translate: " + r);
			}
		}
	}

	/**
	 * {@code length} requests of stream {@code stream} over the {@link #pages} pages: sequential (page 0, 1,
	 * .., pages - 1, 0, ..) or random (uniform, independent), each at a varying offset in its page.
	 */
	TranslationRequest[] requests(int stream, boolean random, int length, long seed) {
		Random r = new Random(seed);
		TranslationRequest[] out = new TranslationRequest[length];
		for (int i = 0; i < length; i++) {
			int page = random ? r.nextInt(pages) : i % pages;
			out[i] = TranslationRequest.read(FIRST_SID + stream, IOVA + page * 4096L + ((i * 8L) & 0xff8));
		}
		return out;
	}

	/** The sequence length for a working set: every page several times, at least 64K requests, a power of two. */
	static int length(int pages) {
		return Integer.highestOneBit(Math.max(1 << 16, pages * 4) - 1) << 1;
	}

	/** One line: where translations were served since the last reset (micro-TLB, main TLB, walk). */
	String hitRates(String what) {
		SmmuStats s = smmu.stats();
		CacheStats tlb = s.cache("tlb"), utlb = s.cache("utlb");
		long all = s.translations();
		long main = tlb.hits() - utlb.hits();
		return String.format("[hit rates %s] translations=%d utlb=%.3f tlb(main)=%.3f walk=%.3f", what, all, ratio(utlb.hits(), all),
				ratio(main, all), ratio(all - utlb.hits() - main, all));
	}

	private static double ratio(long a, long b) {
		return b == 0 ? 0 : (double) a / b;
	}
}
