package smmu.gogo.shell;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import smmu.gogo.script.ScriptRunner;

/**
 * The script runner as a service of a JDK type (property {@code smmu.shell=script}): runs a script's text
 * in a new session, as {@code ./smmu SCRIPT.gosh} does, and answers {@code {exit status, output}} (what the
 * script printed, its commands' own output included).
 */
@Component(service = Function.class, property = "smmu.shell=script")
public class ScriptService implements Function<String, Object[]> {
	private final CommandProcessor processor;

	@Activate
	public ScriptService(@Reference CommandProcessor processor, @Reference GogoLanguage language) {
		this.processor = processor;
	}

	@Override
	public Object[] apply(String script) {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
		int status;
		try (CommandSession session = processor.createSession(InputStream.nullInputStream(), out, out)) {
			status = ScriptRunner.run(session, script, out);
		}
		out.flush();
		return new Object[] { status, bytes.toString(StandardCharsets.UTF_8) };
	}
}
