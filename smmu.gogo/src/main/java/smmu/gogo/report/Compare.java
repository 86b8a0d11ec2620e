package smmu.gogo.report;

import java.util.ArrayList;
import java.util.List;

import smmu.gogo.report.Comparison.Metric;
import smmu.gogo.report.CostReport.VmReport;
import smmu.gogo.report.Costs.StatsRow;

/** Turns the reports of each design's run into the rows of a {@link Comparison}. */
final class Compare {
	private Compare() {}

	static ReportCommands.Measure measure(List<VmReport> reports, StatsRow stats) {
		Costs.Counts c = new Costs.Counts(0, 0, 0, 0, 0, 0);
		int vmids = 0;
		double guest = 0, host = 0, msi = 0, walks = 0, reads = 0;
		int guests = 0, hosts = 0, msis = 0, routes = 0;
		long s2 = 0, s1 = 0;
		for (VmReport r : reports) {
			c = c.plus(new Costs.Counts(r.ioas(), r.hwptPaging(), r.hwptNested(), r.viommu(), r.vdevice(), r.stage2Bytes()));
			for (CostReport.VmidRow v : r.vmids()) {
				vmids += v.count();
			}
			if (!Double.isNaN(r.commandsPerGuestUnmap())) {
				guest += r.commandsPerGuestUnmap();
				guests++;
			}
			if (!Double.isNaN(r.commandsPerHostUnmap())) {
				host += r.commandsPerHostUnmap();
				hosts++;
			}
			if (!Double.isNaN(r.translationsPerMsi())) {
				msi += r.translationsPerMsi();
				msis++;
			}
			if (!Double.isNaN(r.vmmWalksPerMsiRoute())) {
				walks += r.vmmWalksPerMsiRoute();
				reads += r.vmmReadsPerMsiRoute();
				routes++;
			}
			s2 += r.msiStage2Pages();
			s1 += r.msiStage1Pages();
		}
		return new ReportCommands.Measure(c, vmids, guests == 0 ? Double.NaN : guest / guests, hosts == 0 ? Double.NaN : host / hosts, stats, s2, s1,
				msis == 0 ? Double.NaN : msi / msis, routes == 0 ? Double.NaN : walks / routes, routes == 0 ? Double.NaN : reads / routes);
	}

	static Comparison comparison(String title, List<String> designs, List<ReportCommands.Measure> ms) {
		List<Metric> rows = new ArrayList<>();
		rows.add(metric("stage-2 page-table bytes", "bytes", ms, m -> m.counts().stage2Bytes()));
		rows.add(metric("IOAS", "objects", ms, m -> m.counts().ioas()));
		rows.add(metric("paging HWPTs", "objects", ms, m -> m.counts().hwptPaging()));
		rows.add(metric("nested HWPTs", "objects", ms, m -> m.counts().hwptNested()));
		rows.add(metric("vIOMMUs", "objects", ms, m -> m.counts().viommu()));
		rows.add(metric("vDEVICEs", "objects", ms, m -> m.counts().vdevice()));
		rows.add(metric("VMIDs", "ids", ms, m -> m.vmids()));
		rows.add(metric("per guest unmap", "commands", ms, m -> m.guestUnmap()));
		rows.add(metric("per host unmap", "commands", ms, m -> m.hostUnmap()));
		rows.add(metric("MSI pages in stage 2", "pages", ms, m -> m.msiStage2Pages()));
		rows.add(metric("MSI pages in stage 1", "pages", ms, m -> m.msiStage1Pages()));
		rows.add(metric("per MSI", "translations", ms, m -> m.translationsPerMsi()));
		rows.add(metric("VMM walks per MSI route", "walks", ms, m -> m.vmmWalksPerMsiRoute()));
		rows.add(metric("VMM reads per MSI route", "reads", ms, m -> m.vmmReadsPerMsiRoute()));
		rows.add(metric("TLB lookups", "lookups", ms, m -> m.stats().tlbLookups()));
		rows.add(metric("TLB misses", "misses", ms, m -> m.stats().tlbMisses()));
		rows.add(metric("TLB hit rate", "%", ms, m -> Math.round(m.stats().tlbHitRate() * 1000) / 10.0));
		rows.add(metric("config cache misses", "misses", ms, m -> m.stats().cfgMisses()));
		rows.add(metric("STE fetches", "reads", ms, m -> m.stats().steFetches()));
		rows.add(metric("CD fetches", "reads", ms, m -> m.stats().cdFetches()));
		rows.add(metric("S1 table reads", "reads", ms, m -> Costs.reads(m.stats().s1Reads())));
		rows.add(metric("S2 table reads", "reads", ms, m -> Costs.reads(m.stats().s2Reads())));
		rows.add(metric("faults", "transactions", ms, m -> m.stats().faults()));
		return new Comparison(title, designs, rows);
	}

	private static Metric metric(String name, String unit, List<ReportCommands.Measure> ms, java.util.function.ToDoubleFunction<ReportCommands.Measure> f) {
		List<Double> v = new ArrayList<>();
		for (ReportCommands.Measure m : ms) {
			v.add(f.applyAsDouble(m));
		}
		return new Metric(name, unit, v);
	}
}
