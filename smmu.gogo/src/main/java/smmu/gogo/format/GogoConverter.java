package smmu.gogo.format;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/**
 * Registers the {@link Formatter} with Gogo, ahead of the built-in converters. Output fits the session's
 * {@code COLUMNS} (the interactive console sets it to the terminal's width), else {@link Formatter#WIDTH}.
 */
@Component(service = Converter.class, property = "service.ranking:Integer=10000")
public class GogoConverter implements Converter {

	@Override
	public Object convert(Class<?> desiredType, Object in) {
		return null;
	}

	/** Gogo passes the session itself as {@code escape} ({@code CommandSessionImpl.format}). */
	@Override
	public CharSequence format(Object target, int level, Converter escape) {
		Formatter formatter = new Formatter(width(escape));
		return switch (level) {
			case INSPECT -> formatter.inspect(target);
			case LINE, PART -> formatter.line(target);
			default -> null;
		};
	}

	/** The session's {@code COLUMNS} when it is a positive number, else {@link Formatter#WIDTH}. */
	static int width(Object session) {
		if (session instanceof CommandSession s) {
			Object columns;
			try {
				columns = s.get("COLUMNS");
			} catch (RuntimeException e) {
				columns = null; // a terminal that cannot say
			}
			if (columns instanceof Number n && n.intValue() > 0) {
				return n.intValue();
			}
			if (columns != null) {
				try {
					int w = Integer.parseInt(columns.toString().trim());
					if (w > 0) {
						return w;
					}
				} catch (NumberFormatException e) {
					// not a number: the default
				}
			}
		}
		return Formatter.WIDTH;
	}
}
