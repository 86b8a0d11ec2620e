package smmu.hw.impl.xlate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import smmu.hw.Event;
import smmu.hw.SmmuSpec;
import smmu.hw.SparseMemory;
import smmu.hw.TableEntry;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.Walk;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Ste;

/** Random STE, CD, descriptor and register values: the engine answers every one without throwing. */
class GarbageTest {
	static final long REGION = 0x1000_0000L, REGION_SIZE = 1 << 20;

	final Random r = new Random(0x5eed);
	final SparseMemory mem = new SparseMemory(40);
	final Map<String, Integer> seen = new TreeMap<>();

	long inRegion() {
		return REGION + (r.nextLong() & (REGION_SIZE - 1) & ~7L);
	}

	long pointer() {
		return switch (r.nextInt(4)) {
			case 0 -> r.nextLong();
			case 1 -> r.nextLong() & 0x000f_ffff_ffff_ffffL;
			default -> inRegion();
		};
	}

	long descriptor() {
		return switch (r.nextInt(4)) {
			case 0 -> r.nextLong();
			case 1 -> 0;
			case 2 -> (inRegion() & ~0xfffL) | (r.nextLong() & 0xfff0_0000_0000_0ffcL) | r.nextInt(4);
			// AF, S2AP read/write, table or page
			default -> (inRegion() & ~0xfffL) | 0x4c3;
		};
	}

	long[] ste() {
		long[] w = new long[8];
		for (int i = 0; i < 8; i++) {
			w[i] = r.nextLong();
		}
		if (r.nextInt(5) > 0) {
			Ste.V.set(w, 1);
			Ste.CONFIG.set(w, 4 + r.nextInt(4));
			w[0] = (w[0] & ~Ste.S1CTXPTR.mask()) | (pointer() & Ste.S1CTXPTR.mask());
			Ste.S1CDMAX.set(w, r.nextInt(3) == 0 ? r.nextInt(32) : r.nextInt(3));
			Ste.S2AA64.set(w, r.nextInt(5) > 0 ? 1 : 0);
			Ste.S2ENDI.set(w, 0);
			Ste.S2S.set(w, r.nextInt(8) == 0 ? 1 : 0);
			Ste.S2T0SZ.set(w, 16 + r.nextInt(30));
			Ste.S1STALLD.set(w, 0);
			if (r.nextBoolean()) {
				Ste.S2TG.set(w, Ste.S2TG_4K);
				Ste.S2SL0.set(w, 1);
				Ste.S2T0SZ.set(w, 25);
				Ste.S2PS.set(w, 5);
			}
			w[3] = pointer() & Ste.S2TTB.mask();
		}
		return w;
	}

	long[] cd() {
		long[] w = new long[8];
		for (int i = 0; i < 8; i++) {
			w[i] = r.nextLong();
		}
		if (r.nextInt(4) > 0) {
			Cd.V.set(w, 1);
			Cd.AA64.set(w, 1);
			Cd.A.set(w, 1);
			Cd.S.set(w, 0);
			Cd.HA.set(w, 0);
			Cd.HD.set(w, 0);
			Cd.ENDI.set(w, 0);
			Cd.T0SZ.set(w, 12 + r.nextInt(32));
			Cd.T1SZ.set(w, 12 + r.nextInt(32));
			if (r.nextBoolean()) {
				Cd.T0SZ.set(w, 25);
				Cd.TG0.set(w, Cd.TG0_4K);
				Cd.EPD0.set(w, 0);
				Cd.IPS.set(w, 5);
			}
			w[1] = pointer() & Cd.TTB0.mask();
			w[2] = pointer() & Cd.TTB1.mask();
		}
		return w;
	}

	@Test
	void garbageNeverThrows() {
		for (long a = REGION; a < REGION + REGION_SIZE; a += 8) {
			mem.write64(a, descriptor());
		}
		int[] idr = new int[6];
		SmmuSpec base = SmmuSpec.mmu700("g", 0);
		for (int i = 0; i < 6; i++) {
			idr[i] = base.idr(i);
		}
		for (int round = 0; round < 6; round++) {
			SmmuSpec spec = round == 0 ? base.withCaches(8, 4) : base.withIdr(round < 3 ? idr : randomIdr()).withCaches(r.nextInt(16), r.nextInt(8));
			SmmuTranslationEngine e = new SmmuTranslationEngine(spec, mem, ev -> assertNotNull(ev.type()));
			for (int i = 0; i < 4000; i++) {
				StreamTable st = new StreamTable(r.nextInt(4) == 0 ? r.nextLong() : inRegion() & ~0x3fL, r.nextInt(3) == 0 ? r.nextInt(64) : 4,
						r.nextInt(4) == 0 ? r.nextInt(4) : 0, r.nextInt(3) == 0 ? r.nextInt(32) : 2);
				int sid = r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(16);
				TableEntry steEntry = e.readSte(st, sid);
				if (steEntry.found()) {
					long[] w = ste();
					for (int k = 0; k < 8; k++) {
						mem.write64(steEntry.address() + 8L * k, w[k]);
					}
					long ptr = Ste.s1ContextPtr(w);
					if (ptr >= REGION && ptr < REGION + REGION_SIZE - 64 * 64) {
						for (int k = 0; k < 4; k++) {
							long[] c = cd();
							for (int j = 0; j < 8; j++) {
								mem.write64(ptr + 64L * k + 8L * j, c[j]);
							}
						}
					}
				}
				int ssid = switch (r.nextInt(4)) {
					case 0 -> Event.NO_SSID;
					case 1 -> r.nextInt();
					default -> r.nextInt(4);
				};
				long iova = r.nextBoolean() ? r.nextLong() : r.nextLong() & 0xff_ffffL;
				TranslationRequest req = new TranslationRequest(sid, ssid, iova, r.nextBoolean());
				TranslationResult res = e.translate(st, req);
				assertNotNull(res);
				seen.merge(res instanceof Aborted a ? (a.event() == null ? "ABORT" : a.event().type().name()) : ((TranslationResult.Translated) res).path().name(), 1, Integer::sum);
				if (res instanceof Aborted a && a.event() != null) {
					assertEquals(sid, a.event().sid());
					assertEquals(ssid, a.event().ssid());
				}
				Walk w = e.walk(st, req);
				assertNotNull(w.result());
				assertNotNull(e.readCd(st, sid, ssid));
				switch (r.nextInt(12)) {
					case 0 -> e.invalidateAll();
					case 1 -> e.invalidateSteRange(r.nextInt(), r.nextInt(40) - 4);
					case 2 -> e.invalidateVa(r.nextInt(), r.nextInt(), r.nextLong(), r.nextLong(), r.nextBoolean());
					case 3 -> e.invalidateIpa(r.nextInt(), r.nextLong(), r.nextLong(), false);
					case 4 -> e.invalidateCd(sid, ssid);
					default -> {}
				}
			}
			assertNotNull(e.stats());
		}
		// the generator reaches every stage of the lookup
		for (String k : new String[] { "C_BAD_STREAMID", "F_STE_FETCH", "C_BAD_STE", "C_BAD_SUBSTREAMID", "F_CD_FETCH", "C_BAD_CD",
				"F_TRANSLATION", "ABORT", "BYPASS", "WALK", "F_STREAM_DISABLED" }) {
			assertTrue(seen.getOrDefault(k, 0) > 0, k + " never seen: " + seen);
		}
	}

	int[] randomIdr() {
		int[] idr = new int[6];
		for (int i = 0; i < 6; i++) {
			idr[i] = r.nextInt();
		}
		return idr;
	}
}
