package smmu.qemu.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import smmu.iommufd.IommufdContext;

/**
 * The C half of the bridge (tools/qemu/preload) against the Java half: builds libsmmu-bridge.so with
 * the host's gcc, preloads it into a small C program that makes QEMU's kinds of calls, and serves
 * them from a session over {@link FakeKernel}. Skipped without gcc.
 */
class PreloadLibraryTest {
	@TempDir
	Path dir;

	private static boolean gcc() {
		try {
			return new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start().waitFor() == 0;
		} catch (Exception e) {
			return false;
		}
	}

	private static void run(String... cmd) throws Exception {
		Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
		String out = new String(p.getInputStream().readAllBytes());
		assertEquals(0, p.waitFor(), String.join(" ", cmd) + ":\n" + out);
	}

	private Path lib, client;

	private void build() throws Exception {
		assumeTrue(gcc(), "no gcc on this machine: the preload library cannot be built");
		Path root = Path.of(System.getProperty("user.dir")).getParent();
		lib = dir.resolve("libsmmu-bridge.so");
		client = dir.resolve("client");
		run(root.resolve("tools/qemu/preload/build.sh").toString(), "-o", lib.toString());
		run("gcc", "-O2", "-Wall", "-o", client.toString(), root.resolve("smmu.qemu/src/test/c/bridge-client.c").toString());
	}

	@Test
	void theProcessIsTerminatedWhenTheRuntimeCloses() throws Exception {
		build();
		Path sock = dir.resolve("t.sock");
		try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
			server.bind(UnixDomainSocketAddress.of(sock));
			ProcessBuilder pb = new ProcessBuilder(client.toString(), "-", "hold").redirectErrorStream(true);
			pb.environment().put("LD_PRELOAD", lib.toString());
			pb.environment().put("SMMU_BRIDGE_SOCKET", sock.toString());
			pb.environment().put("SMMU_BRIDGE_FDS", "100=iommufd");
			Process p = pb.start();
			FakeKernel fake = new FakeKernel();
			Session s = new Session(server.accept(), fake.kernel, null, new Stats(), new Session.Listener() {
				@Override
				public void connected(int pid, IommufdContext iommufd) {
				}

				@Override
				public void ended(String why) {
				}
			}, l -> {});
			Thread t = new Thread(s);
			t.start();
			BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
			assertEquals("holding", out.readLine());
			s.close();
			assertTrue(p.waitFor(10, TimeUnit.SECONDS), "SIGTERM when the bridge is gone");
			assertEquals(128 + 15, p.exitValue());
			assertTrue(out.readLine().contains("the runtime closed the bridge"));
			t.join(5000);
			assertEquals(List.of("iommufd"), fake.released);
		}
	}

	@Test
	void aRefusedProcessExitsWithTheKernelsMessage() throws Exception {
		build();
		Path sock = dir.resolve("r.sock");
		try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
			server.bind(UnixDomainSocketAddress.of(sock));
			ProcessBuilder pb = new ProcessBuilder(client.toString(), "-", "hold").redirectErrorStream(true);
			pb.environment().put("LD_PRELOAD", lib.toString());
			pb.environment().put("SMMU_BRIDGE_SOCKET", sock.toString());
			pb.environment().put("SMMU_BRIDGE_FDS", "100=iommufd,101=vfio:0000:02:00.0");
			Process p = pb.start();
			FakeKernel fake = new FakeKernel();
			fake.refuse = "0000:02:00.0";
			new Thread(new Session(server.accept(), fake.kernel, null, new Stats(), new Session.Listener() {
				@Override
				public void connected(int pid, IommufdContext iommufd) {
				}

				@Override
				public void ended(String why) {
				}
			}, l -> {})).start();
			String out = new String(p.getInputStream().readAllBytes());
			assertTrue(p.waitFor(10, TimeUnit.SECONDS));
			assertEquals(1, p.exitValue(), out);
			assertEquals("smmu-bridge: the runtime refused this process: errno EBUSY (16): 0000:02:00.0 is held\n", out,
					"main never ran; one line says why");
		}
	}

	@Test
	void qemusCallsReachTheKernelAndComeBack() throws Exception {
		build();
		Path ram = dir.resolve("ram");
		Files.write(ram, new byte[8192]);

		FakeKernel fake = new FakeKernel();
		Stats stats = new Stats();
		CountDownLatch ended = new CountDownLatch(1);
		Path sock = dir.resolve("s.sock");
		List<String> lines = new ArrayList<>();
		try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
			server.bind(UnixDomainSocketAddress.of(sock));
			ProcessBuilder pb = new ProcessBuilder(client.toString(), ram.toString()).redirectErrorStream(true);
			pb.environment().put("LD_PRELOAD", lib.toString());
			pb.environment().put("SMMU_BRIDGE_SOCKET", sock.toString());
			pb.environment().put("SMMU_BRIDGE_FDS", "100=iommufd,101=vfio:0000:01:00.0");
			Process p = pb.start();
			SocketChannel ch = server.accept();
			Session s = new Session(ch, fake.kernel, null, stats, new Session.Listener() {
				@Override
				public void connected(int pid, IommufdContext iommufd) {
					assertEquals(p.pid(), pid);
				}

				@Override
				public void ended(String why) {
					ended.countDown();
				}
			}, l -> lines.add("log: " + l));
			Thread t = new Thread(s);
			t.start();
			try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
				for (String l; (l = out.readLine()) != null;) {
					lines.add(l);
					if (l.equals("polling")) {
						fake.file.push(new byte[] { 42, 0, 0, 0, 0, 0, 0, 0 });
					}
				}
			}
			assertTrue(p.waitFor(20, TimeUnit.SECONDS));
			assertTrue(ended.await(10, TimeUnit.SECONDS));
		}
		String all = String.join("\n", lines);
		for (String expected : List.of("ioas_alloc 0 7", "bad_pointer -1 Bad address", "read_only -1 Bad address", "pread 4 13e5", "pwrite 4",
				"real -1 Bad file descriptor", "signal 0 8 1", "veventq 0 fd_ok 1", "empty -1 Resource temporarily unavailable", "event 1 8 42",
				"drained 0", "close_veventq 0", "map_file 0", "close_vfio 0", "close_iommufd 0", "after_close -1 Bad file descriptor")) {
			assertTrue(lines.contains(expected), "'" + expected + "' missing in:\n" + all);
		}
		assertEquals(ram, fake.mapped.get(), "IOAS_MAP_FILE found the file through /proc/self/fd");
		assertEquals(List.of("file", "vfio 0000:01:00.0", "iommufd"), fake.released);
		assertTrue(stats.snapshot().roundTrips() > stats.snapshot().calls(), "nested round trips are counted");
	}
}
