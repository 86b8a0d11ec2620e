package smmu.qemu.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import smmu.qemu.RealQemu;

/** The process supervision of one QEMU, with {@code sleep} standing in for QEMU (chroot "/"). */
class QemuInstanceTest {
	@TempDir
	Path dir;

	/**
	 * stop() returns once the exit has been handled: the state is EXITED and the exit logged, every time
	 * (the process's onExit future completes before the action that records the exit has run).
	 */
	@Test
	void stopReturnsOnlyOnceTheExitIsHandled() throws Exception {
		for (int i = 0; i < 20; i++) {
			Path ram = Files.createFile(dir.resolve("ram" + i));
			QemuInstance q = new QemuInstance("q" + i, List.of("sleep", "30"), List.of(), dir.resolve("s" + i), ram, Path.of("/"),
					new FakeKernel().kernel);
			q.start();
			q.stop(3000);
			int run = i;
			assertEquals(RealQemu.State.EXITED, q.state(), () -> "run " + run + ": " + q.console(10));
			assertTrue(q.exitStatus() >= 0, () -> "exit status " + q.exitStatus());
			assertTrue(q.console(1).get(0).startsWith("qemu: exited with status " + q.exitStatus()), () -> q.console(10).toString());
			assertTrue(Files.notExists(ram), "the RAM file is removed");
			assertTrue(Files.notExists(dir.resolve("s" + i)), "the socket is removed");
		}
	}

	/**
	 * stop() returns once the bridge session has released what QEMU held: a client that said hello (so the
	 * session opened its iommufd), a release that takes 300 ms, and the iommufd is released when stop
	 * returns (before, stop returned with the exit handled and the session still releasing).
	 */
	@Test
	void stopReturnsOnlyOnceTheBridgeReleasedQemusObjects() throws Exception {
		FakeKernel fake = new FakeKernel();
		fake.releaseMillis = 300;
		Path ram = Files.createFile(dir.resolve("ram"));
		Path sock = dir.resolve("bridge");
		QemuInstance q = new QemuInstance("q", List.of("sleep", "30"), List.of(), sock, ram, Path.of("/"), fake.kernel);
		q.start();
		SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX);
		client.connect(UnixDomainSocketAddress.of(sock));
		FakeLibrary lib = new FakeLibrary(client);
		Wire.Result r = lib.hello(4242, List.of(new Wire.FdEntry(100, Wire.KIND_IOMMUFD, "")));
		assertEquals(0, r.ret(), new String(r.data()));
		q.stop(3000);
		assertEquals(RealQemu.State.EXITED, q.state());
		assertEquals(List.of("iommufd"), fake.released, () -> q.console(10).toString());
		lib.close();
	}
}
