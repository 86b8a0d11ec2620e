package smmu.qemu.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import smmu.iommufd.Errno;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;
import smmu.iommufd.UserFile;
import smmu.iommufd.UserProcess;
import smmu.qemu.BridgeStats;
import smmu.vfio.VfioCdev;

/** A session driven by {@link FakeLibrary} over a real Unix socket, with a fake kernel behind it. */
class SessionTest {
	static final int IOMMUFD = 100, VFIO0 = 101, VFIO1 = 102;

	@TempDir
	Path dir;

	final List<String> log = new CopyOnWriteArrayList<>();
	final AtomicReference<String> ended = new AtomicReference<>();
	final CountDownLatch done = new CountDownLatch(1);
	final Stats stats = new Stats();
	final FakeKernel fake = new FakeKernel();
	final List<String> released = fake.released;
	static final int IOAS_ALLOC = FakeKernel.IOAS_ALLOC, VEVENTQ_ALLOC = FakeKernel.VEVENTQ_ALLOC, MAP_FILE = FakeKernel.MAP_FILE, SET_IRQS = FakeKernel.SET_IRQS;
	FakeLibrary lib;
	Thread thread;
	Throwable escaped;

	@BeforeEach
	void connect() throws Exception {
		Path sock = dir.resolve("bridge.sock");
		try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
			server.bind(UnixDomainSocketAddress.of(sock));
			SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX);
			client.connect(UnixDomainSocketAddress.of(sock));
			SocketChannel accepted = server.accept();
			Session s = new Session(accepted, fake.kernel, dir, stats, new Session.Listener() {
				@Override
				public void connected(int pid, IommufdContext iommufd) {
				}

				@Override
				public void ended(String why) {
					ended.set(why);
					done.countDown();
				}
			}, log::add);
			thread = new Thread(s, "session");
			thread.setUncaughtExceptionHandler((t, e) -> escaped = e);
			thread.start();
			lib = new FakeLibrary(client);
		}
	}

	@AfterEach
	void close() throws Exception {
		lib.close();
		assertTrue(done.await(10, TimeUnit.SECONDS), "the session ends when the process goes");
		assertNull(escaped, "nothing escapes the session");
	}

	private void hello() throws IOException {
		Wire.Result r = lib.hello(4242, List.of(new Wire.FdEntry(IOMMUFD, Wire.KIND_IOMMUFD, ""), new Wire.FdEntry(VFIO0, Wire.KIND_VFIO, "0000:01:00.0"),
				new Wire.FdEntry(VFIO1, Wire.KIND_VFIO, "0000:02:00.0")));
		assertEquals(0, r.ret(), new String(r.data()));
	}

	private static byte[] le32(int... v) {
		ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
		for (int x : v) {
			b.putInt(x);
		}
		return b.array();
	}

	@Test
	void anIoctlCopiesItsStructInAndOutByRoundTrips() throws Exception {
		hello();
		long arg = lib.put(0x100, le32(12, 0, 0));
		Wire.Result r = lib.ioctl(IOMMUFD, IOAS_ALLOC, arg);
		assertEquals(0, r.ret());
		assertEquals(0, r.errno());
		assertEquals(7, lib.memory[0x108], "out_ioas_id copied to user");
		BridgeStats.CallStats row = stats.snapshot().byCall().stream().filter(c -> c.call().equals("ioctl IOMMU_IOAS_ALLOC")).findFirst().orElseThrow();
		assertEquals(1, row.count());
		assertEquals(3, row.roundTrips(), "the call, one copy_from_user, one copy_to_user");
		List<String> nested = stats.snapshot().byRequest().stream().map(c -> c.call() + " " + c.count() + " " + c.bytes()).toList();
		assertEquals(List.of("MEM_READ 1 28", "MEM_WRITE 1 16"), nested, "12+4 bytes asked, 4+12 answered; 8+4 sent, 4 answered");
	}

	@Test
	void aBadPointerIsEfaultAndTheSessionGoesOn() throws Exception {
		hello();
		Wire.Result r = lib.ioctl(IOMMUFD, IOAS_ALLOC, 0x10);
		assertEquals(-1, r.ret());
		assertEquals(14, r.errno());
		assertEquals(0, lib.ioctl(IOMMUFD, IOAS_ALLOC, lib.put(0, le32(12, 0, 0))).ret());
		assertEquals(1, stats.snapshot().byCall().stream().filter(c -> c.call().equals("ioctl IOMMU_IOAS_ALLOC")).findFirst().orElseThrow().errors());
	}

	@Test
	void unknownFdsAndWrongKindsGetLinuxErrnos() throws Exception {
		hello();
		assertEquals(9, lib.ioctl(55, IOAS_ALLOC, 0).errno(), "EBADF");
		assertEquals(25, lib.ioctl(IOMMUFD, 0x5401, 0).errno(), "ENOTTY");
		assertEquals(22, lib.pread(IOMMUFD, 4, 0).errno(), "EINVAL: /dev/iommu has no read");
		assertEquals(22, lib.read(VFIO0, 4).errno());
		assertEquals(9, lib.close(55).errno());
	}

	@Test
	void configSpaceByPreadAndPwrite() throws Exception {
		hello();
		Wire.Result r = lib.pread(VFIO0, 4, 0);
		assertEquals(4, r.ret());
		assertArrayEquals(new byte[] { (byte) 0xe5, 0x13, 0, 0 }, r.data());
		assertEquals(4, lib.pwrite(VFIO0, 0x10, new byte[] { -1, -1, -1, -1 }).ret());
		assertArrayEquals(new byte[] { -1, -1, -1, -1 }, lib.pread(VFIO0, 4, 0x10).data());
		assertEquals(22, lib.pread(VFIO0, 4, 1L << 40).errno());
	}

	@Test
	void eventfdsAreSignalledAsync() throws Exception {
		hello();
		assertEquals(0, lib.ioctl(VFIO0, SET_IRQS, lib.put(0, le32(33))).ret());
		lib.awaitAsync(1, 5000);
		assertEquals(List.of("signal 33"), lib.async);
	}

	@Test
	void anInstalledFileIsPolledAndReadWhole() throws Exception {
		hello();
		long arg = lib.put(0x200, le32(0));
		assertEquals(0, lib.ioctl(IOMMUFD, VEVENTQ_ALLOC, arg).ret());
		int fd = ByteBuffer.wrap(lib.memory, 0x200, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
		assertEquals(20, fd, "the fd the process installed");
		assertEquals(11, lib.read(fd, 16).errno(), "EAGAIN while empty");
		lib.async.clear();
		fake.file.push(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
		fake.file.push(new byte[] { 9, 9, 9, 9, 9, 9, 9, 9 });
		lib.awaitAsync(2, 5000);
		assertEquals("readable 20 1", lib.async.get(0));
		lib.async.clear();
		Wire.Result r = lib.read(fd, 12);
		assertEquals(8, r.ret(), "whole records only");
		assertArrayEquals(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, r.data());
		assertEquals(List.of("readable 20 1"), lib.async, "still readable: sent before the result");
		lib.async.clear();
		assertEquals(8, lib.read(fd, 12).ret());
		assertEquals(List.of("readable 20 0"), lib.async);
		assertEquals(0, lib.close(fd).ret());
		assertEquals(List.of("file"), released);
	}

	@Test
	void mapFileSeesTheHostPathUnderTheChroot() throws Exception {
		hello();
		Files.createDirectories(dir.resolve("dev/shm"));
		Files.write(dir.resolve("dev/shm/ram"), new byte[4096]);
		lib.paths.put(5, "/dev/shm/ram");
		lib.paths.put(6, "anon_inode:[eventfd]");
		assertEquals(0, lib.ioctl(IOMMUFD, MAP_FILE, 5).ret());
		assertEquals(dir.resolve("dev/shm/ram"), fake.mapped.get());
		assertEquals(9, lib.ioctl(IOMMUFD, MAP_FILE, 6).errno(), "not a regular file");
		assertEquals(9, lib.ioctl(IOMMUFD, MAP_FILE, 8).errno(), "not open");
	}

	@Test
	void theIommufdLivesWhileADeviceFileIsOpen() throws Exception {
		hello();
		assertEquals(0, lib.close(VFIO0).ret());
		assertEquals(0, lib.close(IOMMUFD).ret());
		assertEquals(List.of("vfio 0000:01:00.0"), released, "a bound device holds the iommufd");
		assertEquals(0, lib.close(VFIO1).ret());
		assertEquals(List.of("vfio 0000:01:00.0", "vfio 0000:02:00.0", "iommufd"), released);
	}

	@Test
	void theProcessGoingReleasesDevicesThenFilesThenTheIommufd() throws Exception {
		hello();
		assertEquals(0, lib.ioctl(IOMMUFD, VEVENTQ_ALLOC, lib.put(0, le32(0))).ret());
		lib.close();
		assertTrue(done.await(10, TimeUnit.SECONDS));
		assertEquals(List.of("vfio 0000:01:00.0", "vfio 0000:02:00.0", "file", "iommufd"), released);
		assertTrue(ended.get().contains("closed"), ended.get());
	}

	@Test
	void aRefusedHelloClosesWhatItOpened() throws Exception {
		fake.refuse = "0000:02:00.0";
		Wire.Result r = lib.hello(1, List.of(new Wire.FdEntry(IOMMUFD, Wire.KIND_IOMMUFD, ""), new Wire.FdEntry(VFIO0, Wire.KIND_VFIO, "0000:01:00.0"),
				new Wire.FdEntry(VFIO1, Wire.KIND_VFIO, "0000:02:00.0")));
		assertEquals(-1, r.ret());
		assertEquals(16, r.errno());
		assertTrue(new String(r.data()).contains("0000:02:00.0 is held"));
		assertTrue(done.await(10, TimeUnit.SECONDS));
		assertEquals(List.of("vfio 0000:01:00.0"), released.subList(0, 1));
	}

	@Test
	void aMalformedMessageEndsTheSessionAndReleasesEverything() throws Exception {
		hello();
		ByteBuffer bad = Wire.closeMessage(9, IOMMUFD);
		bad.putInt(0, 5);
		lib.send(bad);
		assertTrue(done.await(10, TimeUnit.SECONDS));
		assertTrue(ended.get().startsWith("malformed"), ended.get());
		assertEquals(List.of("vfio 0000:01:00.0", "vfio 0000:02:00.0", "iommufd"), released);
		assertTrue(log.stream().anyMatch(l -> l.contains("malformed")));
	}

	@Test
	void aReplyOfTheWrongCallBreaksTheBridgeNotTheRuntime() throws Exception {
		hello();
		// answer the kernel's copy_from_user with a MEM_DATA of another call
		lib.send(Wire.ioctlMessage(50, IOMMUFD, IOAS_ALLOC, FakeLibrary.BASE));
		Wire.Frame req = Wire.read(lib.ch);
		assertEquals(Wire.MEM_READ, req.type());
		lib.send(Wire.memDataMessage(49, 0, new byte[12]));
		assertTrue(done.await(10, TimeUnit.SECONDS));
		assertTrue(ended.get().contains("MEM_DATA of call 49"), ended.get());
	}

	/** Random messages after a good hello (fixed seed): the session answers or ends, and always releases. */
	@Test
	void randomMessagesNeverEscape() throws Exception {
		hello();
		Random rnd = new Random(14);
		int[] types = { Wire.IOCTL, Wire.PREAD, Wire.PWRITE, Wire.READ, Wire.CLOSE, Wire.MEM_DATA, Wire.RESULT, Wire.HELLO, 77 };
		try {
			for (int i = 0; i < 400 && done.getCount() > 0; i++) {
				byte[] payload = new byte[rnd.nextInt(40)];
				rnd.nextBytes(payload);
				ByteBuffer p = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
				if (payload.length >= 8 && rnd.nextBoolean()) {
					p.putInt(0, List.of(IOMMUFD, VFIO0, VFIO1, 3).get(rnd.nextInt(4)));
					p.putInt(4, rnd.nextInt(64));
				}
				lib.send(Wire.encode(types[rnd.nextInt(types.length)], 1000 + i, p));
				// drain whatever came back without waiting for it
				lib.ch.configureBlocking(false);
				lib.ch.read(ByteBuffer.allocate(1 << 16));
				lib.ch.configureBlocking(true);
			}
		} catch (IOException e) {
			// the session closed the socket: fine
		}
		lib.close();
		assertTrue(done.await(10, TimeUnit.SECONDS));
		assertTrue(released.contains("iommufd"), released.toString());
		assertFalse(thread.isAlive());
	}
}
