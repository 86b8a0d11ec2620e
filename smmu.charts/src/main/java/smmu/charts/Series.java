package smmu.charts;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One line or one bar colour: a name for the legend and a value per x value or category (NaN: none).
 */
public record Series(String name, List<Double> values) {
	public Series {
		values = Collections.unmodifiableList(new ArrayList<>(values));
	}
}
