/**
 * Charts people read: a {@link smmu.charts.Figure} of panels, each a line chart ({@link smmu.charts.Lines},
 * one line per series over the x values: sweeps) or a grouped bar chart ({@link smmu.charts.Bars}, one
 * group per category, one bar per series: comparisons), with axes, ticks, units, a legend, and the
 * categories where the series differ highlighted, rendered by {@link smmu.charts.Charts} as SVG or PNG
 * (JFreeChart and JFreeSVG, embedded; headless).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package smmu.charts;
