package smmu.qemu.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
