package smmu.gogo.format;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The formatter's JSON rendering (Jackson databind): a record is an object whose field names are its
 * component names (the same names the tables print as column headers, so they are as stable as the
 * records), collections are arrays, numbers are JSON numbers (addresses and sizes too: {@link Hex} is for
 * people), a missing value is null, an unmeasured double ({@code NaN}) is null, enums are their names.
 */
public final class Json {
	private static final ObjectMapper MAPPER = JsonMapper.builder()
			.visibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
			.visibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
			.enable(SerializationFeature.INDENT_OUTPUT)
			.disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
			.addModule(new com.fasterxml.jackson.databind.module.SimpleModule().addSerializer(Double.class,
					new com.fasterxml.jackson.databind.ser.std.StdSerializer<Double>(Double.class) {
						private static final long serialVersionUID = 1L;

						@Override
						public void serialize(Double v, com.fasterxml.jackson.core.JsonGenerator g, com.fasterxml.jackson.databind.SerializerProvider p)
								throws java.io.IOException {
							if (v.isNaN() || v.isInfinite()) {
								g.writeNull();
							} else {
								g.writeNumber(v);
							}
						}
					}))
			.build();

	private Json() {}

	/** {@code value} as indented JSON. */
	public static String render(Object value) {
		try {
			return MAPPER.writeValueAsString(value);
		} catch (JsonProcessingException e) {
			throw new ShellError("json: cannot render a " + (value == null ? "null" : value.getClass().getSimpleName()) + ": " + e.getOriginalMessage());
		}
	}
}
