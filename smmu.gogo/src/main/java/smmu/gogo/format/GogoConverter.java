package smmu.gogo.format;

import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/** Registers the {@link Formatter} with Gogo, ahead of the built-in converters. */
@Component(service = Converter.class, property = "service.ranking:Integer=10000")
public class GogoConverter implements Converter {
	private final Formatter formatter = new Formatter();

	@Override
	public Object convert(Class<?> desiredType, Object in) {
		return null;
	}

	@Override
	public CharSequence format(Object target, int level, Converter escape) {
		return switch (level) {
			case INSPECT -> formatter.inspect(target);
			case LINE, PART -> formatter.line(target);
			default -> null;
		};
	}
}
