package smmu.gogo.shell;

import java.util.function.BiFunction;

import org.apache.felix.service.command.CommandSession;
import org.osgi.service.component.annotations.Component;

/**
 * {@link Lines} as a service of a JDK type (property {@code smmu.shell=line}), so that tests in other
 * bundles type lines exactly as the console runs them without smmu.gogo exporting a package. The answer is
 * {@code {"ok" | "error" | "exit", text-or-status}}.
 */
@Component(service = BiFunction.class, property = "smmu.shell=line")
public class LineService implements BiFunction<CommandSession, CharSequence, String[]> {
	@Override
	public String[] apply(CommandSession session, CharSequence line) {
		if (session.get("SCOPE") == null || "*".equals(session.get("SCOPE"))) {
			session.put("SCOPE", "gogo:*");
		}
		try {
			Lines.Outcome o = Lines.run(session, line);
			return new String[] { o.ok() ? "ok" : "error", o.text() };
		} catch (ExitRequest e) {
			return new String[] { "exit", Integer.toString(e.status()) };
		}
	}
}
