package smmu.itest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A headless Chromium driven through the DevTools protocol (a WebSocket of JSON messages, the JDK's own
 * client): navigate, evaluate script, collect exceptions and console errors, take screenshots.
 */
final class DevTools implements AutoCloseable {
	private static final Pattern DATA = Pattern.compile("\"data\":\"([A-Za-z0-9+/=]*)\"");

	private final Process process;
	private final Path profile;
	private final WebSocket socket;
	private final AtomicInteger ids = new AtomicInteger();
	private final Map<Integer, CompletableFuture<String>> pending = new ConcurrentHashMap<>();
	/** Exceptions thrown in the page and console errors, as the protocol reports them. */
	final List<String> errors = new CopyOnWriteArrayList<>();

	private DevTools(Process process, Path profile, WebSocket socket) {
		this.process = process;
		this.profile = profile;
		this.socket = socket;
	}

	/** The Chromium binary on the PATH (Debian's chromium), or null. */
	static Path browser() {
		for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
			for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
				Path p = Path.of(dir, name);
				if (Files.isExecutable(p)) {
					return p;
				}
			}
		}
		return null;
	}

	/** Installs Debian's chromium with apt-get when missing (root only); null when it cannot. */
	static Path browserOrInstall() {
		Path b = browser();
		if (b != null || !"root".equals(System.getProperty("user.name"))) {
			return b;
		}
		try {
			ProcessBuilder pb = new ProcessBuilder("bash", "-c",
					"(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium) >/dev/null 2>&1");
			Process p = pb.inheritIO().start();
			if (!p.waitFor(10, TimeUnit.MINUTES)) {
				p.destroyForcibly();
			}
		} catch (IOException e) {
			return null;
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return null;
		}
		return browser();
	}

	/** Starts headless Chromium on about:blank and connects to its page. */
	static DevTools start(Path chromium) throws Exception {
		Path profile = Files.createTempDirectory("smmu-chromium");
		int port;
		try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
			port = s.getLocalPort();
		}
		Process p = new ProcessBuilder(chromium.toString(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
				"--hide-scrollbars", "--window-size=1400,2400", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=" + port,
				"--user-data-dir=" + profile, "about:blank").redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
		HttpClient http = HttpClient.newHttpClient();
		String ws = null;
		long deadline = System.nanoTime() + 30_000_000_000L;
		while (ws == null) {
			if (System.nanoTime() > deadline || !p.isAlive()) {
				p.destroyForcibly();
				throw new IllegalStateException("Chromium did not offer its DevTools endpoint: " + Files.readString(profile.resolve("chromium.log")));
			}
			try {
				String list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(), HttpResponse.BodyHandlers.ofString()).body();
				Matcher m = Pattern.compile("\"type\": *\"page\"[^}]*?\"webSocketDebuggerUrl\": *\"([^\"]+)\"|\"webSocketDebuggerUrl\": *\"(ws://[^\"]+/page/[^\"]+)\"").matcher(list);
				if (m.find()) {
					ws = m.group(1) != null ? m.group(1) : m.group(2);
				}
			} catch (IOException e) {
				// not listening yet
			}
			if (ws == null) {
				Thread.sleep(100);
			}
		}
		DevTools[] self = new DevTools[1];
		StringBuilder partial = new StringBuilder();
		WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(ws), new WebSocket.Listener() {
			@Override
			public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
				partial.append(data);
				if (last) {
					String msg = partial.toString();
					partial.setLength(0);
					while (self[0] == null) {
						Thread.onSpinWait();
					}
					self[0].received(msg);
				}
				w.request(1);
				return null;
			}
		}).get(30, TimeUnit.SECONDS);
		DevTools d = new DevTools(p, profile, socket);
		self[0] = d;
		d.call("Runtime.enable", "{}");
		d.call("Log.enable", "{}");
		d.call("Page.enable", "{}");
		return d;
	}

	private void received(String msg) {
		Matcher id = Pattern.compile("^\\{\"id\":(\\d+),").matcher(msg);
		if (id.find()) {
			CompletableFuture<String> f = pending.remove(Integer.parseInt(id.group(1)));
			if (f != null) {
				f.complete(msg);
			}
		} else if (msg.contains("\"method\":\"Runtime.exceptionThrown\"")) {
			errors.add(msg);
		} else if (msg.contains("\"method\":\"Log.entryAdded\"") && msg.contains("\"level\":\"error\"")) {
			errors.add(msg);
		} else if (msg.contains("\"method\":\"Runtime.consoleAPICalled\"") && msg.contains("\"type\":\"error\"")) {
			errors.add(msg);
		}
	}

	/** Sends a command and returns its whole response. */
	String call(String method, String paramsJson) throws Exception {
		int id = ids.incrementAndGet();
		CompletableFuture<String> f = new CompletableFuture<>();
		pending.put(id, f);
		socket.sendText("{\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + paramsJson + "}", true).get(10, TimeUnit.SECONDS);
		String r = f.get(60, TimeUnit.SECONDS);
		if (r.contains("\"error\":{")) {
			throw new IllegalStateException(method + ": " + r);
		}
		return r;
	}

	void navigate(String url) throws Exception {
		call("Page.navigate", "{\"url\":" + quote(url) + "}");
	}

	/** Evaluates {@code expression} in the page; its value as a string (String(...) of it). */
	String eval(String expression) throws Exception {
		String r = call("Runtime.evaluate", "{\"expression\":" + quote("String(" + expression + ")") + ",\"returnByValue\":true,\"awaitPromise\":true}");
		if (r.contains("\"exceptionDetails\"")) {
			throw new IllegalStateException("script failed: " + r);
		}
		int at = r.indexOf("\"value\":\"");
		if (at < 0) {
			throw new IllegalStateException("no value in " + r);
		}
		StringBuilder v = new StringBuilder();
		for (int i = at + 9; i < r.length(); i++) {
			char c = r.charAt(i);
			if (c == '"') {
				return v.toString();
			}
			if (c == '\\' && i + 1 < r.length()) {
				char n = r.charAt(++i);
				switch (n) {
					case 'n' -> v.append('\n');
					case 't' -> v.append('\t');
					case 'u' -> {
						v.append((char) Integer.parseInt(r.substring(i + 1, i + 5), 16));
						i += 4;
					}
					default -> v.append(n);
				}
			} else {
				v.append(c);
			}
		}
		throw new IllegalStateException("unterminated value in " + r);
	}

	/** Waits until {@code condition} (a script expression) is true; false on timeout. */
	boolean waitFor(String condition, Duration timeout) throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			try {
				if ("true".equals(eval("!!(" + condition + ")"))) {
					return true;
				}
			} catch (IllegalStateException e) {
				// the page is still loading (no body yet, an element not drawn yet): ask again
			}
			Thread.sleep(100);
		}
		return false;
	}

	byte[] screenshot() throws Exception {
		String r = call("Page.captureScreenshot", "{\"format\":\"png\",\"captureBeyondViewport\":true}");
		Matcher m = DATA.matcher(r);
		if (!m.find()) {
			throw new IllegalStateException("no screenshot");
		}
		return Base64.getDecoder().decode(m.group(1));
	}

	static String quote(String s) {
		StringBuilder sb = new StringBuilder("\"");
		for (char c : s.toCharArray()) {
			switch (c) {
				case '"' -> sb.append("\\\"");
				case '\\' -> sb.append("\\\\");
				case '\n' -> sb.append("\\n");
				default -> sb.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
			}
		}
		return sb.append('"').toString();
	}

	@Override
	public void close() {
		try {
			socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
		} catch (Exception e) {
			// closing anyway
		}
		process.destroy();
		try {
			if (!process.waitFor(10, TimeUnit.SECONDS)) {
				process.destroyForcibly();
			}
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
		List<Path> files = new ArrayList<>();
		try (var s = Files.walk(profile)) {
			s.forEach(files::add);
		} catch (IOException e) {
			return;
		}
		for (int i = files.size() - 1; i >= 0; i--) {
			try {
				Files.deleteIfExists(files.get(i));
			} catch (IOException e) {
				// a file Chromium still holds: left in the temporary folder
			}
		}
	}
}
