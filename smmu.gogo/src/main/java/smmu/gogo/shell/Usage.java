package smmu.gogo.shell;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import org.apache.felix.gogo.runtime.CommandProxy;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

/**
 * A command's usage line, read from its methods the way Gogo calls them: options first ({@link Parameter}
 * names; a flag when it has a present value, otherwise {@code --name <value>}), then the positional
 * arguments by their Java parameter names (smmu.gogo compiles with {@code -parameters}; other bundles'
 * commands fall back to the type). Any command registered with Gogo has one: nothing to write per command.
 */
public final class Usage {
	private Usage() {}

	/** The methods Gogo may call for {@code function} on {@code target} (as Reflective: keywords get a leading _). */
	public static List<Method> methods(Object target, String function) {
		String f = function.toLowerCase(Locale.ENGLISH);
		List<Method> result = new ArrayList<>();
		for (Method m : target.getClass().getMethods()) {
			String n = m.getName().toLowerCase(Locale.ENGLISH);
			if (Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) {
				continue;
			}
			if (n.equals(f) || n.equals("_" + f)) {
				result.add(m);
			}
		}
		result.sort(Comparator.comparingInt(Method::getParameterCount));
		return result;
	}

	/** One line per way to call {@code command} ({@code scope:function}). */
	public static List<String> lines(String command, Object target) {
		String function = command.substring(command.indexOf(':') + 1);
		List<String> lines = new ArrayList<>();
		for (Method m : methods(target, function)) {
			String l = line(command, m);
			if (!lines.contains(l)) {
				lines.add(l);
			}
		}
		return lines;
	}

	/** {@code scope:function [--opt <name>] [--flag] <arg> <args...>} */
	public static String line(String command, Method m) {
		StringBuilder sb = new StringBuilder(command);
		java.lang.reflect.Parameter[] ps = m.getParameters();
		for (int i = 0; i < ps.length; i++) {
			if (CommandSession.class.isAssignableFrom(ps[i].getType())) {
				continue;
			}
			Parameter p = ps[i].getAnnotation(Parameter.class);
			if (p != null) {
				boolean flag = !Parameter.UNSPECIFIED.equals(p.presentValue());
				sb.append(" [").append(p.names()[0]).append(flag ? "" : " <" + name(ps[i]) + ">").append(']');
			}
		}
		for (int i = 0; i < ps.length; i++) {
			if (CommandSession.class.isAssignableFrom(ps[i].getType()) || ps[i].getAnnotation(Parameter.class) != null) {
				continue;
			}
			boolean rest = m.isVarArgs() && i == ps.length - 1 || ps[i].getType().isArray() || List.class.isAssignableFrom(ps[i].getType());
			sb.append(" <").append(name(ps[i])).append(rest ? "...>" : ">");
		}
		return sb.toString();
	}

	/** The options (names) the methods of a command accept. */
	public static Set<String> options(List<Method> methods) {
		Set<String> names = new TreeSet<>();
		for (Method m : methods) {
			for (java.lang.reflect.Parameter p : m.getParameters()) {
				Parameter a = p.getAnnotation(Parameter.class);
				if (a != null) {
					names.addAll(List.of(a.names()));
				}
			}
		}
		return names;
	}

	/** The first sentence of a method's description, or "". */
	public static String summary(Method m) {
		Descriptor d = m.getAnnotation(Descriptor.class);
		if (d == null) {
			return "";
		}
		String s = d.value();
		int cut = s.indexOf(": ");
		int semi = s.indexOf("; ");
		if (semi > 0 && (cut < 0 || semi < cut)) {
			cut = semi;
		}
		return cut > 0 ? s.substring(0, cut) : s;
	}

	private static String name(java.lang.reflect.Parameter p) {
		if (p.isNamePresent()) {
			return p.getName();
		}
		Class<?> t = p.getType().isArray() ? p.getType().getComponentType() : p.getType();
		return t.getSimpleName().toLowerCase(Locale.ENGLISH);
	}

	/** The command object behind a Gogo function, or null. */
	public static Object target(Object function) {
		if (function instanceof CommandProxy proxy) {
			Object t = proxy.getTarget();
			proxy.ungetTarget();
			return t;
		}
		return null;
	}

	/**
	 * Resolves a command name as typed ({@code ste}, {@code smmu:ste}) to {@code scope:function} through the
	 * session's SCOPE path, or null when no command has that name.
	 */
	public static String resolve(CommandSession session, String name) {
		Set<String> commands = commands(session);
		String lower = name.toLowerCase(Locale.ENGLISH);
		if (lower.indexOf(':') >= 0) {
			if (lower.startsWith("*:")) {
				lower = lower.substring(2);
			} else {
				return commands.contains(lower) ? lower : null;
			}
		}
		Object path = session.get("SCOPE");
		for (String scope : (path == null ? "*" : path.toString()).split(":")) {
			for (String c : commands) {
				if (scope.equals("*") ? c.endsWith(":" + lower) : c.equals(scope + ":" + lower)) {
					return c;
				}
			}
		}
		return null;
	}

	/** Every registered command, {@code scope:function}, sorted. */
	@SuppressWarnings("unchecked")
	public static Set<String> commands(CommandSession session) {
		Object c = session.get(".commands");
		return c instanceof Set<?> s ? new TreeSet<>((Set<String>) s) : new TreeSet<>();
	}

	/** The usage of a command as typed, or null when unknown. */
	public static String of(CommandSession session, String name) {
		String command = resolve(session, name);
		if (command == null) {
			return null;
		}
		Object target = target(session.get(command));
		if (target == null) {
			return null;
		}
		List<String> lines = lines(command, target);
		return lines.isEmpty() ? null : "usage: " + String.join(" | ", lines);
	}
}
