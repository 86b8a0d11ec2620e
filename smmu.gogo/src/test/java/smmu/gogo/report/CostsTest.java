package smmu.gogo.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import smmu.hw.CacheStats;
import smmu.hw.SmmuStats;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.ObjectType;

class CostsTest {
	/** The object graph of a VM with two vSMMUs over two SMMUs under the sharing kernel (as iommufd:objects prints it). */
	static final List<IommufdObject> SHARED = List.of(
			new IommufdObject(1, ObjectType.DEVICE, 1, List.of(), 0, "0000:01:00.0 on smmu0 sid 0x100"),
			new IommufdObject(2, ObjectType.IOAS, 1, List.of(), 0, ""),
			new IommufdObject(3, ObjectType.HWPT_PAGING, 2, List.of(2), 12288, "S2 nest-parent smmu0:S2_VMID_VSMMU=2 smmu1:S2_VMID=1"),
			new IommufdObject(4, ObjectType.VIOMMU, 3, List.of(3), 0, "smmu0 vmid 2"),
			new IommufdObject(5, ObjectType.VIOMMU, 3, List.of(3), 0, "smmu1 vmid 3"),
			new IommufdObject(6, ObjectType.HWPT_NESTED, 1, List.of(4), 0, "vSTE abort ste[0]=0x1 ste[1]=0x0"),
			new IommufdObject(7, ObjectType.HWPT_NESTED, 1, List.of(5), 0, "vSTE s1 ste[0]=0x1 ste[1]=0x0"),
			new IommufdObject(8, ObjectType.VDEVICE, 0, List.of(4), 0, "vsid 0x200"),
			new IommufdObject(9, ObjectType.VDEVICE, 0, List.of(5), 0, "vsid 0x900"),
			new IommufdObject(10, ObjectType.VEVENTQ, 0, List.of(4), 0, "depth 64"));

	/** Per-instance on the per-SMMU kernel: two IOAS, a nest parent on each. */
	static final List<IommufdObject> PER_INSTANCE = List.of(
			new IommufdObject(1, ObjectType.IOAS, 1, List.of(), 0, ""),
			new IommufdObject(2, ObjectType.IOAS, 1, List.of(), 0, ""),
			new IommufdObject(3, ObjectType.HWPT_PAGING, 1, List.of(1), 12288, "S2 nest-parent smmu0:S2_VMID=1"),
			new IommufdObject(4, ObjectType.HWPT_PAGING, 1, List.of(2), 16384, "S2 nest-parent smmu1:S2_VMID=1"),
			new IommufdObject(5, ObjectType.HWPT_PAGING, 0, List.of(2), 4096, "S2 auto smmu1:S2_VMID=2"));

	@Test
	void countsEachTypeAndSumsOnlyPagingTables() {
		assertEquals(new Costs.Counts(1, 1, 2, 2, 2, 12288), Costs.count(SHARED));
		assertEquals(new Costs.Counts(2, 3, 0, 0, 0, 32768), Costs.count(PER_INSTANCE));
		assertEquals(new Costs.Counts(3, 4, 2, 2, 2, 45056), Costs.count(SHARED).plus(Costs.count(PER_INSTANCE)));
		assertEquals(new Costs.Counts(0, 0, 0, 0, 0, 0), Costs.count(List.of()));
	}

	@Test
	void ioasBytesAreThoseOfTheHwptsOnIt() {
		List<Costs.TableRow> rows = Costs.tables("vm", PER_INSTANCE);
		assertEquals(List.of(new Costs.TableRow("vm", 1, "IOAS", 1, 12288, "1 paging HWPT"), new Costs.TableRow("vm", 2, "IOAS", 2, 20480, "2 paging HWPTs"),
				new Costs.TableRow("vm", 3, "HWPT_PAGING", 1, 12288, "S2 nest-parent smmu0:S2_VMID=1"),
				new Costs.TableRow("vm", 4, "HWPT_PAGING", 2, 16384, "S2 nest-parent smmu1:S2_VMID=1"),
				new Costs.TableRow("vm", 5, "HWPT_PAGING", 2, 4096, "S2 auto smmu1:S2_VMID=2")), rows);
	}

	@Test
	void vmidsPerSmmuFromTagsAndViommus() {
		Map<String, TreeSet<Integer>> v = Costs.vmids(SHARED);
		assertEquals(Map.of("smmu0", new TreeSet<>(List.of(2)), "smmu1", new TreeSet<>(List.of(1, 3))), v);
		assertEquals(3, Costs.total(v));
		Map<String, TreeSet<Integer>> p = Costs.vmids(PER_INSTANCE);
		assertEquals(Map.of("smmu0", new TreeSet<>(List.of(1)), "smmu1", new TreeSet<>(List.of(1, 2))), p);
		Costs.merge(v, p);
		assertEquals(Map.of("smmu0", new TreeSet<>(List.of(1, 2)), "smmu1", new TreeSet<>(List.of(1, 2, 3))), v);
	}

	@Test
	void garbageDetailsGiveNoVmids() {
		List<IommufdObject> junk = List.of(new IommufdObject(1, ObjectType.HWPT_PAGING, 0, List.of(), 0, "S2 smmu0:S1_ASID=4 smmu0:S2_VMID=x :S2_VMID="),
				new IommufdObject(2, ObjectType.VIOMMU, 0, List.of(), 0, "smmu0 vmid"), new IommufdObject(3, ObjectType.DEVICE, 0, List.of(), 0, "smmu0:S2_VMID=1"));
		assertTrue(Costs.vmids(junk).isEmpty());
	}

	@Test
	void deltaKeepsOnlyWhatMoved() {
		Map<String, Long> before = Map.of("CMD_SYNC", 10L, "TLBI_NH_VA", 3L, "CFGI_STE", 4L);
		Map<String, Long> after = Map.of("CMD_SYNC", 12L, "TLBI_NH_VA", 4L, "CFGI_STE", 4L, "TLBI_S2_IPA", 1L);
		Map<String, Long> d = Costs.delta(before, after);
		assertEquals(Map.of("CMD_SYNC", 2L, "TLBI_NH_VA", 1L, "TLBI_S2_IPA", 1L), d);
		assertEquals(4, Costs.sum(d));
		assertTrue(Costs.delta(after, after).isEmpty());
	}

	@Test
	void statsRowAndTotal() {
		SmmuStats a = new SmmuStats(List.of(new CacheStats("tlb", 10, 7, 3, 3, 0, 3, 1024), new CacheStats("config", 10, 8, 2, 2, 0, 2, 256)), 2, 1, 2, 0,
				new long[][] { { 3, 3, 3, 3 }, { 0, 16, 16, 16 } }, 10, Map.of("F_TRANSLATION", 1L, "ABORT", 2L), Map.of(), 1, 0);
		SmmuStats b = new SmmuStats(List.of(new CacheStats("tlb", 30, 30, 0, 0, 0, 0, 1024)), 0, 0, 0, 0, new long[][] { { 0, 0, 1, 0 }, { 0, 0, 0, 0 } }, 30,
				Map.of(), Map.of(), 0, 0);
		Costs.StatsRow ra = Costs.stats("smmu0", a), rb = Costs.stats("smmu1", b);
		assertEquals(new Costs.StatsRow("smmu0", 10, 10, 3, 0.7, 10, 2, 0.8, 2, 2, Map.of("L0", 3L, "L1", 3L, "L2", 3L, "L3", 3L),
				Map.of("L1", 16L, "L2", 16L, "L3", 16L), 3), ra);
		assertEquals(0, rb.cfgLookups());
		assertEquals(0.0, rb.cfgHitRate());
		Costs.StatsRow t = Costs.total("total", List.of(ra, rb));
		assertEquals(40, t.tlbLookups());
		assertEquals(3, t.tlbMisses());
		assertEquals(37.0 / 40, t.tlbHitRate(), 1e-12);
		assertEquals(Map.of("L0", 3L, "L1", 3L, "L2", 4L, "L3", 3L), t.s1Reads());
		assertEquals(48, Costs.reads(t.s2Reads()));
		assertEquals(3, t.faults());
	}

	@Test
	void invalidationRowsPerSmmuThatMoved() {
		Map<String, Map<String, Long>> before = Map.of("smmu0", Map.of("CMD_SYNC", 1L), "smmu1", Map.of("CMD_SYNC", 5L));
		Map<String, Map<String, Long>> after = new java.util.LinkedHashMap<>();
		after.put("smmu0", Map.of("CMD_SYNC", 3L, "TLBI_S2_IPA", 1L, "TLBI_NH_ALL", 1L));
		after.put("smmu1", Map.of("CMD_SYNC", 5L));
		assertEquals(List.of(new CostReport.InvalidationRow("host unmap", "smmu0", 4, Map.of("CMD_SYNC", 2L, "TLBI_NH_ALL", 1L, "TLBI_S2_IPA", 1L))),
				CostReport.deltas("host unmap", before, after));
		assertEquals(List.of(new CostReport.InvalidationRow("x", "-", 0, Map.of())), CostReport.deltas("x", before, before));
	}

	@Test
	void vmidRowsListEachSmmu() {
		assertEquals(List.of(new CostReport.VmidRow("smmu0", 1, "2"), new CostReport.VmidRow("smmu1", 2, "1, 3")), CostReport.vmidRows(Costs.vmids(SHARED)));
	}
}
