package smmu.charts;

import java.util.List;

/**
 * Panels laid out in a grid under one title.
 *
 * @param title       the figure's title
 * @param subtitle    one line under it (what was measured, on what), or ""
 * @param legendTitle what the series are (e.g. "policy / kernel"), shown before the legend, or ""
 * @param panels      the charts, row by row
 * @param columns     panels per row
 */
public record Figure(String title, String subtitle, String legendTitle, List<Panel> panels, int columns) {
	public Figure {
		panels = List.copyOf(panels);
		if (panels.isEmpty()) {
			throw new IllegalArgumentException("a figure needs a panel");
		}
		if (columns < 1) {
			throw new IllegalArgumentException("columns " + columns);
		}
		subtitle = subtitle == null ? "" : subtitle;
		legendTitle = legendTitle == null ? "" : legendTitle;
	}
}
