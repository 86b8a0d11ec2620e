package smmu.qemu.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import smmu.qemu.impl.Wire.Frame;
import smmu.qemu.impl.Wire.WireException;

class WireTest {
	private static ReadableByteChannel stream(ByteBuffer... messages) {
		int n = 0;
		for (ByteBuffer m : messages) {
			n += m.remaining();
		}
		ByteBuffer all = ByteBuffer.allocate(n);
		for (ByteBuffer m : messages) {
			all.put(m.duplicate());
		}
		return Channels.newChannel(new ByteArrayInputStream(all.array()));
	}

	private static byte[] bytes(ByteBuffer b) {
		byte[] a = new byte[b.remaining()];
		b.duplicate().get(a);
		return a;
	}

	@Test
	void everyCallDecodesAsEncoded() throws IOException {
		ReadableByteChannel ch = stream(Wire.helloMessage(1, 4242, List.of(new Wire.FdEntry(100, Wire.KIND_IOMMUFD, ""),
				new Wire.FdEntry(101, Wire.KIND_VFIO, "0000:01:00.0"))), Wire.ioctlMessage(2, 100, 0x3b81, 0x7fff_0000_1000L),
				Wire.preadMessage(3, 101, 4096, 7L << 40), Wire.pwriteMessage(4, 101, 0x10, new byte[] { 1, 2, 3, 4 }), Wire.readMessage(5, 5, 40),
				Wire.closeMessage(6, 101));
		Wire.Hello h = Wire.hello(Wire.read(ch));
		assertEquals(4242, h.pid());
		assertEquals(List.of(new Wire.FdEntry(100, 1, ""), new Wire.FdEntry(101, 2, "0000:01:00.0")), h.fds());
		Frame f = Wire.read(ch);
		assertEquals(2, f.seq());
		assertEquals(new Wire.Ioctl(100, 0x3b81, 0x7fff_0000_1000L), Wire.ioctl(f));
		assertEquals(new Wire.Pread(101, 4096, 7L << 40), Wire.pread(Wire.read(ch)));
		Wire.Pwrite w = Wire.pwrite(Wire.read(ch));
		assertEquals(0x10, w.offset());
		assertArrayEquals(new byte[] { 1, 2, 3, 4 }, w.data());
		assertEquals(new Wire.Read(5, 40), Wire.read(Wire.read(ch)));
		assertEquals(new Wire.Close(101), Wire.close(Wire.read(ch)));
		assertNull(Wire.read(ch), "a clean end between messages is no error");
	}

	@Test
	void theRuntimesMessagesHaveTheLayoutOfProtocolH() {
		ByteBuffer r = Wire.result(7, -1, 14, new byte[] { 9 });
		assertEquals(12 + 16 + 1, r.getInt(0));
		assertEquals(1, r.getShort(4));
		assertEquals(Wire.RESULT, r.getShort(6));
		assertEquals(7, r.getInt(8));
		assertEquals(-1L, r.getLong(12));
		assertEquals(14, r.getInt(20));
		assertEquals(9, r.get(28));
		ByteBuffer m = Wire.memRead(3, 0x1234_5678_9abcL, 40);
		assertEquals(24, m.getInt(0));
		assertEquals(0x1234_5678_9abcL, m.getLong(12));
		assertEquals(40, m.getInt(20));
		ByteBuffer s = Wire.readable(9, true);
		assertEquals(0, s.getInt(8), "async messages carry seq 0");
		assertEquals(9, s.getInt(12));
		assertEquals(1, s.getInt(16));
	}

	@Test
	void everyTruncationIsAnErrorNotAnException() throws IOException {
		byte[] whole = bytes(Wire.pwriteMessage(4, 101, 0x10, new byte[100]));
		for (int cut = 1; cut < whole.length; cut++) {
			byte[] part = java.util.Arrays.copyOf(whole, cut);
			assertThrows(WireException.class, () -> Wire.read(Channels.newChannel(new ByteArrayInputStream(part))), "cut at " + cut);
		}
		assertNull(Wire.read(Channels.newChannel(new ByteArrayInputStream(new byte[0]))));
	}

	@Test
	void badVersionAndLengthsAreRefusedBeforeAnyAllocation() {
		ByteBuffer b = Wire.closeMessage(1, 3);
		b.putShort(4, (short) 2);
		assertTrue(assertThrows(WireException.class, () -> Wire.read(stream(b))).getMessage().contains("version 2"));
		for (int length : new int[] { 0, 11, Wire.MAX_MESSAGE + 1, -1 }) {
			ByteBuffer c = Wire.closeMessage(1, 3);
			c.putInt(0, length);
			assertThrows(WireException.class, () -> Wire.read(stream(c)), "length " + length);
		}
	}

	@Test
	void shortPayloadsAndBadFieldsAreWireErrors() throws IOException {
		Frame empty = new Frame(Wire.IOCTL, 1, ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN));
		assertThrows(WireException.class, () -> Wire.ioctl(empty));
		assertThrows(WireException.class, () -> Wire.pread(Wire.read(stream(Wire.preadMessage(1, 3, Wire.MAX_DATA + 1, 0)))));
		assertThrows(WireException.class, () -> Wire.read(Wire.read(stream(Wire.readMessage(1, -5, 8)))));
		ByteBuffer hello = Wire.helloMessage(1, 1, List.of(new Wire.FdEntry(100, Wire.KIND_VFIO, "0000:01:00.0")));
		hello.putShort(12 + 8 + 6, (short) 500); // name longer than the message
		assertThrows(WireException.class, () -> Wire.hello(Wire.read(stream(hello))));
		ByteBuffer kind = Wire.helloMessage(1, 1, List.of(new Wire.FdEntry(100, 7, "")));
		assertThrows(WireException.class, () -> Wire.hello(Wire.read(stream(kind))));
	}

	/** Random bytes, and valid headers over random payloads: decoding ends in a frame, a clean end or a WireException, nothing else. */
	@Test
	void garbageNeverEscapesAsAnotherException() {
		Random rnd = new Random(0x5eed);
		int frames = 0, errors = 0;
		for (int round = 0; round < 3000; round++) {
			byte[] junk = new byte[rnd.nextInt(200)];
			rnd.nextBytes(junk);
			if (round % 2 == 0 && junk.length >= 12) {
				ByteBuffer h = ByteBuffer.wrap(junk).order(ByteOrder.LITTLE_ENDIAN);
				h.putInt(0, 12 + rnd.nextInt(junk.length - 11));
				h.putShort(4, (short) Wire.VERSION);
				h.putShort(6, (short) (1 + rnd.nextInt(50)));
			}
			ReadableByteChannel ch = Channels.newChannel(new ByteArrayInputStream(junk));
			try {
				for (Frame f; (f = Wire.read(ch)) != null;) {
					frames++;
					decodeAny(f);
				}
			} catch (WireException e) {
				errors++;
			} catch (IOException e) {
				throw new AssertionError(e);
			}
		}
		assertTrue(frames > 100 && errors > 100, frames + " frames, " + errors + " errors");
	}

	private static void decodeAny(Frame f) throws WireException {
		switch (f.type()) {
		case Wire.HELLO -> Wire.hello(f);
		case Wire.IOCTL -> Wire.ioctl(f);
		case Wire.PREAD -> Wire.pread(f);
		case Wire.PWRITE -> Wire.pwrite(f);
		case Wire.READ -> Wire.read(f);
		case Wire.CLOSE -> Wire.close(f);
		case Wire.MEM_DATA -> Wire.memData(f);
		case Wire.MEM_DONE -> Wire.memDone(f);
		case Wire.PATH -> Wire.pathReply(f);
		case Wire.INSTALLED -> Wire.installed(f);
		case Wire.RESULT -> Wire.result(f);
		default -> {
		}
		}
	}
}
