package smmu.gogo.shell;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import org.apache.felix.gogo.runtime.CommandNotFoundException;
import org.apache.felix.gogo.runtime.EOFError;
import org.apache.felix.gogo.runtime.Parser;
import org.apache.felix.gogo.runtime.SyntaxError;
import org.apache.felix.gogo.runtime.Token;
import org.apache.felix.service.command.CommandSession;

import smmu.gogo.format.ShellError;

/**
 * The one place a failed command line becomes what the user reads: a single line, never a Java exception
 * name or stack trace. The interactive console and the script runner both print {@link #message}; commands
 * need no code of their own for it: a call Gogo cannot match to a method prints the command's usage
 * ({@link Usage}), an unknown command the nearest names, a model's refusal its message.
 */
public final class Errors {
	private static final String COERCE = "Cannot coerce ";

	private Errors() {}

	/** The line to print for {@code e}, thrown by {@code line} in {@code session} (both may be null). */
	public static String message(Throwable e, CommandSession session, CharSequence line) {
		Throwable t = unwrap(e);
		if (t instanceof java.io.EOFException && t.getCause() != null) {
			t = t.getCause(); // Gogo's closure maps its parser's EOFError to java.io.EOFException
		}
		if (t instanceof ShellError) {
			return t.getMessage();
		}
		if (t instanceof ExitRequest) {
			return "exit " + ((ExitRequest) t).status();
		}
		if (t instanceof CommandNotFoundException c) {
			return unknown(session, c.getCommand());
		}
		if (t instanceof EOFError || t instanceof SyntaxError || isA(t, "org.apache.felix.gogo.runtime.SyntaxError")) {
			return "syntax error: " + t.getMessage() + (t.getClass().getSimpleName().equals("EOFError") ? " (unclosed quote or bracket)" : "");
		}
		if (t instanceof InterruptedException) {
			return "interrupted";
		}
		String m = t.getMessage();
		if (t instanceof IllegalArgumentException && m != null && m.startsWith(COERCE)) {
			return wrongCall(session, line, m);
		}
		if (t instanceof NoSuchFileException f) {
			return "no such file or directory: " + f.getFile();
		}
		if (t instanceof AccessDeniedException f) {
			return "permission denied: " + f.getFile();
		}
		if (t instanceof NotDirectoryException f) {
			return "not a directory: " + f.getFile();
		}
		if (t instanceof FileAlreadyExistsException f) {
			return "file exists: " + f.getFile();
		}
		if (t instanceof IOException && m != null) {
			return m;
		}
		if (m != null && !m.isBlank()) {
			return firstLine(m);
		}
		// no message: a defect, not a wrong input; say which command and keep the details in $exception
		if (Boolean.getBoolean("smmu.debug")) {
			t.printStackTrace();
		}
		return "internal error" + (line == null ? "" : " in '" + firstLine(line.toString()) + "'") + " (the details are in $exception)";
	}

	/** By name: a parser error can come from another copy of Gogo's runtime classes (another bundle's). */
	private static boolean isA(Throwable t, String className) {
		for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
			if (c.getName().equals(className)) {
				return true;
			}
		}
		return false;
	}

	/** The cause worth reporting: reflection and wrapper layers peeled off. */
	public static Throwable unwrap(Throwable e) {
		Throwable t = e;
		while (t.getCause() != null && t.getCause() != t && (t instanceof InvocationTargetException || t instanceof UndeclaredThrowableException
				|| t.getMessage() == null || t.getMessage().equals(t.getCause().toString()))) {
			t = t.getCause();
		}
		return t;
	}

	private static String firstLine(String s) {
		int nl = s.indexOf('\n');
		return nl < 0 ? s : s.substring(0, nl);
	}

	/** "Cannot coerce ste(Token) to any of [...]": the command, what is wrong, its usage. */
	static String wrongCall(CommandSession session, CharSequence line, String message) {
		String function = message.substring(COERCE.length(), Math.max(COERCE.length(), message.indexOf('('))).replaceFirst("^_", "");
		List<String> words = line == null ? List.of() : commandWords(line, function);
		String typed = words.isEmpty() ? function : words.get(0);
		String command = session == null ? null : Usage.resolve(session, typed);
		if (command == null) {
			return typed + ": wrong arguments";
		}
		Object target = Usage.target(session.get(command));
		if (target == null) {
			return command + ": wrong arguments";
		}
		List<java.lang.reflect.Method> methods = Usage.methods(target, function);
		Set<String> options = Usage.options(methods);
		String why = "wrong arguments";
		for (String w : words.subList(Math.min(1, words.size()), words.size())) {
			if (w.startsWith("--") || (w.startsWith("-") && w.length() > 1 && !Character.isDigit(w.charAt(1)) && !options.isEmpty())) {
				if (!options.contains(w)) {
					why = "unknown option " + w + (options.isEmpty() ? " (it takes none)" : " (options: " + String.join(", ", options) + ")");
					break;
				}
			}
		}
		if (why.equals("wrong arguments")) {
			int given = Math.max(0, words.size() - 1);
			int min = Integer.MAX_VALUE, max = 0;
			for (java.lang.reflect.Method m : methods) {
				int n = 0;
				for (java.lang.reflect.Parameter p : m.getParameters()) {
					if (!CommandSession.class.isAssignableFrom(p.getType()) && p.getAnnotation(org.apache.felix.service.command.Parameter.class) == null) {
						n++;
					}
				}
				min = Math.min(min, n);
				max = Math.max(max, m.isVarArgs() ? Integer.MAX_VALUE : n);
			}
			if (!words.isEmpty() && given < min) {
				why = "missing arguments";
			} else if (!words.isEmpty() && given > max) {
				why = "too many arguments";
			}
		}
		List<String> usage = Usage.lines(command, target);
		return command + ": " + why + "; usage: " + String.join(" | ", usage);
	}

	/** The words of the statement in {@code line} that calls {@code function} (first match), else empty. */
	static List<String> commandWords(CharSequence line, String function) {
		try {
			Parser parser = new Parser(line);
			parser.program();
			for (Parser.Statement st : parser.statements()) {
				List<Token> tokens = st.tokens();
				if (tokens.isEmpty()) {
					continue;
				}
				String first = tokens.get(0).toString();
				String f = first.substring(first.indexOf(':') + 1);
				if (f.equalsIgnoreCase(function)) {
					List<String> words = new ArrayList<>();
					for (Token t : tokens) {
						words.add(t.toString());
					}
					return words;
				}
			}
		} catch (RuntimeException e) {
			// not parseable again: no words
		}
		return List.of();
	}

	/** "unknown command 'x'" and the nearest names. */
	public static String unknown(CommandSession session, String typed) {
		String name = typed.startsWith("*:") ? typed.substring(2) : typed;
		List<String> near = session == null ? List.of() : nearest(Usage.commands(session), name);
		return "unknown command '" + name + "'" + (near.isEmpty() ? " ('help' lists the commands)" : "; did you mean " + String.join(", ", near) + "?");
	}

	/** Up to four command names within a small edit distance of {@code typed} (with or without scope). */
	static List<String> nearest(Set<String> commands, String typed) {
		String t = typed.toLowerCase(Locale.ENGLISH);
		record Near(String name, int distance) {}
		List<Near> near = new ArrayList<>();
		Set<String> seen = new TreeSet<>();
		for (String c : commands) {
			if (c.startsWith("candidates:") || c.startsWith("osgi:")) {
				continue;
			}
			String function = c.substring(c.indexOf(':') + 1);
			int d = t.indexOf(':') >= 0 ? distance(t, c) : Math.min(distance(t, function), distance(t, c));
			boolean prefix = function.startsWith(t) && t.length() >= 2;
			int limit = Math.max(1, Math.min(3, t.length() / 3));
			if ((d <= limit || prefix) && seen.add(c)) {
				near.add(new Near(c, prefix ? Math.min(d, limit) : d));
			}
		}
		near.sort(Comparator.comparingInt(Near::distance).thenComparing(Near::name));
		// four names, and every name as near as the fourth (a cut inside a tie would drop one at random-looking)
		int cut = near.size() <= 4 ? Integer.MAX_VALUE : near.get(3).distance();
		return near.stream().filter(n -> n.distance() <= cut).map(Near::name).toList();
	}

	/** Edit distance with adjacent transpositions (optimal string alignment): "lsit" is 1 from "list". */
	static int distance(String a, String b) {
		int[][] d = new int[a.length() + 1][b.length() + 1];
		for (int i = 0; i <= a.length(); i++) {
			d[i][0] = i;
		}
		for (int j = 0; j <= b.length(); j++) {
			d[0][j] = j;
		}
		for (int i = 1; i <= a.length(); i++) {
			for (int j = 1; j <= b.length(); j++) {
				int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
				d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
				if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
					d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
				}
			}
		}
		return d[a.length()][b.length()];
	}
}
