package smmu.iommufd.arm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.iommufd.arm.Invs.Inv;
import smmu.iommufd.arm.Invs.Type;

/** merge / unref / purge of the per-domain invalidation array, as arm_smmu_v3_invs_test exercises them. */
class InvsTest {

	static Inv asid(int smmu, int id) {
		return new Inv(smmu, Type.S1_ASID, id, 0);
	}

	static Inv vmid(int smmu, int id) {
		return new Inv(smmu, Type.S2_VMID, id, 0);
	}

	static Inv clear(int smmu, int id) {
		return new Inv(smmu, Type.S2_VMID_S1_CLEAR, id, 0);
	}

	static Inv ats(int smmu, int sid, int ssid) {
		return new Inv(smmu, Type.ATS, sid, ssid);
	}

	static int[] users(Invs a) {
		int[] u = new int[a.size()];
		for (int i = 0; i < u.length; i++) {
			u[i] = a.users(i);
		}
		return u;
	}

	@Test
	void orderIsSmmuThenTypeThenIdThenSsidForAts() {
		Invs a = Invs.of(ats(1, 5, 2), clear(0, 3), vmid(1, 1), asid(0, 9), vmid(0, 3), ats(1, 5, 1), asid(1, 2));
		assertEquals(List.of(asid(0, 9), vmid(0, 3), clear(0, 3), asid(1, 2), vmid(1, 1), ats(1, 5, 1), ats(1, 5, 2)), a.live());
		// ssid does not take part for non-ATS types
		assertEquals(0, new Inv(0, Type.S2_VMID, 1, 7).ssid());
		assertThrows(IllegalArgumentException.class, () -> Invs.of(vmid(0, 1), vmid(0, 1)));
		assertTrue(a.hasAts());
	}

	@Test
	void mergeCountsUsersAndKeepsOrder() {
		Invs build1 = Invs.of(vmid(0, 1), clear(0, 1));
		Invs build2 = Invs.of(vmid(0, 1), clear(0, 1), ats(0, 0x100, 0));
		Invs build3 = Invs.of(vmid(1, 4), clear(1, 4));

		Invs a = Invs.merge(Invs.empty(), build1);
		assertEquals(List.of(vmid(0, 1), clear(0, 1)), a.live());
		assertArrayEq(new int[] { 1, 1 }, users(a));

		Invs b = Invs.merge(a, build2);
		assertEquals(List.of(vmid(0, 1), clear(0, 1), ats(0, 0x100, 0)), b.live());
		assertArrayEq(new int[] { 2, 2, 1 }, users(b));
		assertTrue(b.hasAts());
		// the old array is untouched (copy-on-write)
		assertArrayEq(new int[] { 1, 1 }, users(a));

		Invs c = Invs.merge(b, build3);
		assertEquals(List.of(vmid(0, 1), clear(0, 1), ats(0, 0x100, 0), vmid(1, 4), clear(1, 4)), c.live());
		assertArrayEq(new int[] { 2, 2, 1, 1, 1 }, users(c));
	}

	@Test
	void unrefMakesTrashShrinksTrailingTrashAndMarksTheBuildArray() {
		Invs build1 = Invs.of(vmid(0, 1), clear(0, 1));
		Invs build2 = Invs.of(vmid(0, 1), clear(0, 1), ats(0, 0x100, 0));
		Invs build3 = Invs.of(vmid(1, 4), clear(1, 4));
		Invs a = Invs.merge(Invs.merge(Invs.merge(Invs.empty(), build1), build2), build3);

		// the middle device leaves: its ATS entry becomes trash inside the array
		Invs.unref(a, build2);
		assertEquals(5, a.size());
		assertArrayEq(new int[] { 1, 1, 0, 1, 1 }, users(a));
		assertEquals(1, a.trashes());
		assertArrayEq(new int[] { 1, 1, 0 }, users(build2));
		assertEquals(List.of(vmid(0, 1), clear(0, 1), vmid(1, 4), clear(1, 4)), a.live());

		Invs p = Invs.purge(a);
		assertNotNull(p);
		assertEquals(4, p.size());
		assertEquals(List.of(vmid(0, 1), clear(0, 1), vmid(1, 4), clear(1, 4)), p.live());
		assertArrayEq(new int[] { 1, 1, 1, 1 }, users(p));
		assertEquals(0, p.trashes());
		assertNull(Invs.purge(p), "nothing to purge");

		// the last device leaves: its trailing entries are cut off, not counted as trash
		Invs.unref(p, build3);
		assertEquals(2, p.size());
		assertEquals(0, p.trashes());
		assertArrayEq(new int[] { 0, 0 }, users(build3));
		assertNull(Invs.purge(p));

		// trailing trash behind inner trash goes too
		Invs.unref(a, build3);
		assertEquals(2, a.size());
		assertEquals(0, a.trashes());
		assertEquals(List.of(vmid(0, 1), clear(0, 1)), a.live());

		Invs.unref(p, build1);
		assertEquals(0, p.size());
		assertEquals(0, p.trashes());
		assertNull(Invs.purge(p), "all trash was trailing: size 0, nothing to purge");
		assertArrayEq(new int[] { 0, 0 }, users(build1));
	}

	@Test
	void mergeDropsTrashUnlessMergedAgain() {
		Invs build1 = Invs.of(asid(0, 1));
		Invs build2 = Invs.of(asid(0, 2));
		Invs build3 = Invs.of(asid(0, 3));
		Invs a = Invs.merge(Invs.merge(Invs.merge(Invs.empty(), build1), build2), build3);
		Invs.unref(a, build1);
		Invs.unref(a, build2);
		assertEquals(2, a.trashes());
		assertEquals(List.of(asid(0, 3)), a.live());
		// asid 2 comes back (users 0 + 1), asid 1 is dropped
		Invs b = Invs.merge(a, Invs.of(asid(0, 2)));
		assertEquals(2, b.capacity());
		assertEquals(List.of(asid(0, 2), asid(0, 3)), b.live());
		assertArrayEq(new int[] { 1, 1 }, users(b));
	}

	@Test
	void unrefOfAbsentOrTrashEntriesChangesNothing() {
		Invs a = Invs.merge(Invs.empty(), Invs.of(vmid(0, 1)));
		Invs stranger = Invs.of(vmid(0, 2), vmid(1, 1));
		Invs.unref(a, stranger);
		assertArrayEq(new int[] { 1 }, users(a));
		assertArrayEq(new int[] { 1, 1 }, users(stranger));
		Invs b = Invs.merge(Invs.merge(Invs.empty(), Invs.of(vmid(0, 1))), Invs.of(vmid(0, 3)));
		Invs one = Invs.of(vmid(0, 1));
		Invs.unref(b, one);
		Invs.unref(b, Invs.of(vmid(0, 1)));
		assertArrayEq(new int[] { 0, 1 }, users(b));
		assertEquals(1, b.trashes());
	}

	@Test
	void emptyIsShared() {
		assertSame(Invs.empty(), Invs.empty());
		assertEquals(0, Invs.merge(Invs.empty(), Invs.empty()).size());
	}

	static void assertArrayEq(int[] want, int[] got) {
		assertEquals(java.util.Arrays.toString(want), java.util.Arrays.toString(got));
	}
}
