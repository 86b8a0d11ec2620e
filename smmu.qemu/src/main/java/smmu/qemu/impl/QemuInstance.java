package smmu.qemu.impl;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import smmu.iommufd.IommufdContext;
import smmu.qemu.BridgeStats;
import smmu.qemu.QemuException;
import smmu.qemu.RealQemu;

/**
 * One real QEMU: the process ({@code chroot CHROOT env LD_PRELOAD=... QEMU ...}), its console, the
 * one bridge connection it makes (its own socket, accepted once) and the session serving it.
 */
final class QemuInstance implements RealQemu {
	static final String GUEST_INIT = "smmu-guest: init";

	private final String name;
	private final List<String> commandLine;
	private final Path socket;
	private final Path ramFile;
	private final ConsoleRing console = new ConsoleRing(4000);
	private final Stats stats = new Stats();
	private final Session.Kernel kernel;
	private final Path chroot;
	private final List<String> env;

	private volatile Process process;
	/** Completes after {@link #exited} ran (the process's own onExit completes before its dependents). */
	private volatile CompletableFuture<Void> exitHandled = CompletableFuture.completedFuture(null);
	/**
	 * Completes when the bridge is done: its session released QEMU's kernel objects, or it never connected;
	 * nothing more comes from it to the console.
	 */
	private final CompletableFuture<Void> bridgeEnded = new CompletableFuture<>();
	private volatile State state = State.STARTING;
	private volatile int exitStatus = -1;
	private volatile IommufdContext iommufd;
	private volatile Session session;
	private volatile long started, bootMillis = -1;
	/** QEMU's output has ended (with {@link #bridgeEnded}: nothing more will be written to the console). */
	private volatile boolean consoleDone;
	private ServerSocketChannel server;

	/**
	 * @param socket  the bridge socket (the same path inside the chroot and outside)
	 * @param ramFile the guest RAM file on the host (removed when QEMU ends)
	 * @param env     the environment of QEMU (KEY=VALUE, LD_PRELOAD and the bridge's)
	 */
	QemuInstance(String name, List<String> commandLine, List<String> env, Path socket, Path ramFile, Path chroot, Session.Kernel kernel) {
		this.name = name;
		this.commandLine = List.copyOf(commandLine);
		this.env = List.copyOf(env);
		this.socket = socket;
		this.ramFile = ramFile;
		this.chroot = chroot;
		this.kernel = kernel;
	}

	void start() {
		try {
			Files.deleteIfExists(socket);
			Files.deleteIfExists(ramFile);
			server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
			server.bind(UnixDomainSocketAddress.of(socket));
		} catch (IOException e) {
			throw new QemuException("cannot open the bridge socket " + socket + ": " + e.getMessage(), e);
		}
		List<String> argv = new ArrayList<>(List.of("chroot", chroot.toString(), "/usr/bin/env"));
		argv.addAll(env);
		argv.addAll(commandLine);
		ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
		started = System.nanoTime();
		try {
			process = pb.start();
		} catch (IOException e) {
			closeServer();
			throw new QemuException("cannot run chroot: " + e.getMessage(), e);
		}
		console.add("qemu: started pid " + process.pid() + ": " + String.join(" ", commandLine));
		thread("console", this::readConsole);
		thread("accept", this::accept);
		exitHandled = process.onExit().thenRun(this::exited);
	}

	private void thread(String what, Runnable r) {
		Thread t = new Thread(r, "qemu-" + name + "-" + what);
		t.setDaemon(true);
		t.start();
	}

	private void readConsole() {
		try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
			for (String line; (line = in.readLine()) != null;) {
				String l = line.replace("\r", "");
				if (bootMillis < 0 && l.contains(GUEST_INIT)) {
					bootMillis = (System.nanoTime() - started) / 1_000_000;
				}
				console.add(l);
			}
		} catch (IOException e) {
			// the process ended
		} finally {
			consoleDone = true;
			console.wake();
		}
	}

	private void accept() {
		SocketChannel ch;
		try {
			ch = server.accept();
		} catch (IOException e) {
			bridgeEnded();
			return;
		} finally {
			closeServer();
		}
		Session s = new Session(ch, kernel, chroot, stats, new Session.Listener() {
			@Override
			public void connected(int pid, IommufdContext ctx) {
				iommufd = ctx;
				if (state == State.STARTING) {
					state = State.RUNNING;
				}
				console.add("bridge: connected (pid " + pid + ")");
			}

			@Override
			public void ended(String why) {
				iommufd = null;
				console.add("bridge: ended: " + why);
			}
		}, console::add);
		session = s;
		try {
			s.run();
		} finally {
			bridgeEnded();
		}
	}

	private void bridgeEnded() {
		bridgeEnded.complete(null);
		console.wake();
	}

	private void closeServer() {
		try {
			if (server != null) {
				server.close();
			}
			Files.deleteIfExists(socket);
		} catch (IOException e) {
			// nothing left to do
		}
	}

	private void exited() {
		exitStatus = process.exitValue();
		closeServer();
		Session s = session;
		if (s != null) {
			// the socket's EOF ends it too; this covers a library that never read it
			s.close();
		}
		state = State.EXITED;
		console.add("qemu: exited with status " + exitStatus);
		try {
			Files.deleteIfExists(ramFile);
		} catch (IOException e) {
			// left in /dev/shm
		}
	}

	/**
	 * SIGTERM, then SIGKILL after {@code graceMillis}; waits for the exit and its handling ({@link State#EXITED})
	 * and for the bridge session to release what QEMU held (its iommufd, VFIO device files), as the kernel
	 * does before the process's parent sees it gone.
	 */
	void stop(long graceMillis) {
		Process p = process;
		if (p == null) {
			return;
		}
		p.destroy();
		try {
			if (!p.waitFor(graceMillis, TimeUnit.MILLISECONDS)) {
				p.destroyForcibly();
				p.waitFor(5, TimeUnit.SECONDS);
			}
			exitHandled.get(5, TimeUnit.SECONDS);
			bridgeEnded.get(5, TimeUnit.SECONDS);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		} catch (ExecutionException | TimeoutException e) {
			// the exit was not seen in time: the state says so
		}
		closeServer();
	}

	@Override
	public String name() {
		return name;
	}

	@Override
	public long pid() {
		Process p = process;
		return p == null ? -1 : p.pid();
	}

	@Override
	public State state() {
		return state;
	}

	@Override
	public int exitStatus() {
		return exitStatus;
	}

	@Override
	public List<String> commandLine() {
		return commandLine;
	}

	@Override
	public List<String> console(int lines) {
		return console.tail(lines);
	}

	@Override
	public IommufdContext iommufd() {
		return iommufd;
	}

	@Override
	public long bootMillis() {
		return bootMillis;
	}

	@Override
	public boolean awaitConsole(String text, long millis) throws InterruptedException {
		return console.await(text, millis, () -> state == State.EXITED && consoleDone && bridgeEnded.isDone());
	}

	@Override
	public BridgeStats stats() {
		return stats.snapshot();
	}
}
