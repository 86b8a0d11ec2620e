package smmu.hw.impl.xlate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import smmu.hw.Event;
import smmu.hw.PhysicalMemory;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Path;
import smmu.hw.TranslationResult.Translated;
import smmu.hw.arch.Ste;
import smmu.hw.impl.xlate.Tables.PageTable;

/**
 * An engine over a linear stream table with these streams (all data at input address 0x1000):
 * <ul>
 * <li>sid 1: stage 1, VMID 4, ASID 5; also a 2M block at 0x4000_0000</li>
 * <li>sid 11: stage 1, VMID 4, ASID 6</li>
 * <li>sid 12: stage 1, VMID 8, ASID 5</li>
 * <li>sid 2: stage 2, VMID 4</li>
 * <li>sid 4: stage 2, VMID 8</li>
 * <li>sid 3: nested, VMID 4, ASID 5: IOVA 0x1000 -> IPA 0x1000 -> PA; its CD and stage-1 tables sit at
 * IPA = PA + {@link #IPA_OFFSET}, mapped by a 1G stage-2 block</li>
 * </ul>
 * {@link #remap()} rewrites every leaf to a new PA, so a result tells whether it came from the TLB.
 */
final class Fixture {
	static final long IPA_OFFSET = 0x10_0000_0000L;
	static final long DATA = 0x1000, BLOCK = 0x4000_0000L;

	final SparseMemory mem = new SparseMemory(48);
	final Tables t = new Tables(mem, 0x4000_0000L);
	final List<Event> events = new CopyOnWriteArrayList<>();
	final SmmuTranslationEngine engine;
	final StreamTable st = t.linear(8);
	final PageTable s1a, s1b, s1c, s2a, s2b, s1n, s2n;
	final long cdA, cdB, cdC, cdN;

	Fixture() {
		this(SmmuSpec.mmu700("smmu0", 0x0900_0000L));
	}

	Fixture(SmmuSpec spec) {
		this(spec, m -> m);
	}

	/** An engine that reads memory through {@code wrap} (tables are still written directly). */
	Fixture(SmmuSpec spec, UnaryOperator<PhysicalMemory> wrap) {
		engine = new SmmuTranslationEngine(spec, wrap.apply(mem), events::add);
		s1a = t.s1();
		s1a.map4k(DATA, 0x8001_0000L);
		s1a.map(BLOCK, 0x9000_0000L, 2, Tables.RW1);
		cdA = stage1(1, 4, 5, s1a);
		s1b = t.s1();
		s1b.map4k(DATA, 0x8011_0000L);
		cdB = stage1(11, 4, 6, s1b);
		s1c = t.s1();
		s1c.map4k(DATA, 0x8012_0000L);
		cdC = stage1(12, 8, 5, s1c);
		s2a = t.s2();
		s2a.map4k(DATA, 0x8002_0000L);
		t.putSte(st, 2, Tables.steS2(4, s2a.root));
		s2b = t.s2();
		s2b.map4k(DATA, 0x8004_0000L);
		t.putSte(st, 4, Tables.steS2(8, s2b.root));
		// nested: stage 2 maps IPA [0x10_4000_0000, +1G) -> PA [0x4000_0000, +1G) and IPA 0x1000 -> data
		s2n = t.s2();
		s2n.map(0x4000_0000L + IPA_OFFSET, 0x4000_0000L, 1, Tables.RW2);
		s2n.map4k(DATA, 0x8003_0000L);
		s1n = t.s1(IPA_OFFSET);
		s1n.map4k(DATA, DATA);
		cdN = t.alloc(64, 64);
		t.write(cdN, Tables.cd(5, s1n.root));
		t.putSte(st, 3, Tables.steNested(cdN + IPA_OFFSET, 0, 0, 0, 4, s2n.root));
	}

	/** Points {@code sid}'s STE at a new CD: stage 1 over {@code pt}, ASID {@code asid}, VMID {@code vmid}. */
	long stage1(int sid, int vmid, int asid, PageTable pt) {
		long cd = t.alloc(64, 64);
		t.write(cd, Tables.cd(asid, pt.root));
		long[] ste = Tables.steS1(cd, 0, 0, 0);
		Ste.S2VMID.set(ste, vmid);
		t.putSte(st, sid, ste);
		return cd;
	}

	/** Points every data leaf at a new PA (old + 0x1000_0000), behind the TLB's back. */
	void remap() {
		for (PageTable pt : List.of(s1a, s1b, s1c, s2a, s2b)) {
			bump(pt.leafSlot(DATA, 3));
		}
		bump(s1a.leafSlot(BLOCK, 2));
		bump(s2n.leafSlot(DATA, 3));
	}

	void bump(long slot) {
		mem.write64(slot, mem.read64(slot) + 0x1000_0000L);
	}

	TranslationResult translate(int sid, long iova) {
		return engine.translate(st, TranslationRequest.read(sid, iova));
	}

	long pa(int sid, long iova) {
		TranslationResult r = translate(sid, iova);
		if (r instanceof Translated tr) {
			return tr.pa();
		}
		return fail("aborted: " + r);
	}

	Path path(int sid, long iova) {
		TranslationResult r = translate(sid, iova);
		assertTrue(r.ok(), () -> r.toString());
		return ((Translated) r).path();
	}

	static Event event(TranslationResult r) {
		assertTrue(r instanceof Aborted, () -> "not aborted: " + r);
		return ((Aborted) r).event();
	}

	/** 'o' (old mapping: TLB hit) or 'n' (new: walked) for every probe, after {@link #remap()}. */
	String state() {
		StringBuilder b = new StringBuilder();
		long[][] probes = { { 1, DATA, 0x8001_0000L }, { 1, BLOCK + 0x10_0000, 0x9010_0000L }, { 11, DATA, 0x8011_0000L },
				{ 12, DATA, 0x8012_0000L }, { 2, DATA, 0x8002_0000L }, { 4, DATA, 0x8004_0000L }, { 3, DATA, 0x8003_0000L } };
		for (long[] p : probes) {
			long pa = pa((int) p[0], p[1]);
			if (pa == p[2]) {
				b.append('o');
			} else {
				assertEquals(p[2] + 0x1000_0000L, pa);
				b.append('n');
			}
		}
		return b.toString();
	}

	void warm() {
		assertEquals("ooooooo", state());
	}
}
