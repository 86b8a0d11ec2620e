package smmu.qemu.impl;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The bridge's wire format, the Java copy of {@code tools/qemu/preload/protocol.h}: little-endian
 * messages {@code u32 length (header included), u16 version, u16 type, u32 seq, payload}. Decoding
 * never trusts the peer: a bad version, a length out of range, a payload shorter than its type
 * needs or a field out of range is a {@link WireException}; a stream that ends inside a message is
 * one too.
 */
final class Wire {
	private Wire() {}

	static final int VERSION = 1, HEADER = 12, MAX_DATA = 1 << 20, MAX_MESSAGE = MAX_DATA + 64;

	static final int HELLO = 1, IOCTL = 2, PREAD = 3, PWRITE = 4, READ = 5, CLOSE = 6;
	static final int MEM_DATA = 16, MEM_DONE = 17, PATH = 18, INSTALLED = 19;
	static final int MEM_READ = 32, MEM_WRITE = 33, FD_PATH = 34, FD_INSTALL = 35, RESULT = 36;
	static final int SIGNAL = 48, READABLE = 49;

	static final int KIND_IOMMUFD = 1, KIND_VFIO = 2;

	/** A message as read: its payload is little-endian, position 0. */
	record Frame(int type, int seq, ByteBuffer payload) {
		int size() {
			return payload.remaining();
		}
	}

	/** Malformed input: the session that read it ends. */
	static final class WireException extends IOException {
		private static final long serialVersionUID = 1L;

		WireException(String message) {
			super(message);
		}
	}

	// the library's messages, decoded
	record FdEntry(int fd, int kind, String name) {}

	record Hello(int pid, List<FdEntry> fds) {}

	record Ioctl(int fd, long request, long arg) {}

	record Pread(int fd, int count, long offset) {}

	record Pwrite(int fd, long offset, byte[] data) {}

	record Read(int fd, int count) {}

	record Close(int fd) {}

	record MemData(int errno, byte[] data) {}

	record MemDone(int errno) {}

	record PathReply(int errno, String path) {}

	record Installed(int errno, int fd) {}

	record Result(long ret, int errno, byte[] data) {}

	/**
	 * Reads one message; null when the stream ends cleanly before one.
	 *
	 * @throws WireException for a malformed message or one the stream cuts short
	 */
	static Frame read(ReadableByteChannel ch) throws IOException {
		ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
		if (!fill(ch, h, true)) {
			return null;
		}
		long length = Integer.toUnsignedLong(h.getInt(0));
		int version = h.getShort(4) & 0xffff, type = h.getShort(6) & 0xffff, seq = h.getInt(8);
		if (version != VERSION) {
			throw new WireException("version " + version + " (want " + VERSION + ")");
		}
		if (length < HEADER || length > MAX_MESSAGE) {
			throw new WireException("length " + length + " out of range " + HEADER + ".." + MAX_MESSAGE);
		}
		ByteBuffer p = ByteBuffer.allocate((int) length - HEADER).order(ByteOrder.LITTLE_ENDIAN);
		fill(ch, p, false);
		p.flip();
		return new Frame(type, seq, p);
	}

	private static boolean fill(ReadableByteChannel ch, ByteBuffer b, boolean eofOk) throws IOException {
		boolean first = true;
		while (b.hasRemaining()) {
			int n = ch.read(b);
			if (n < 0) {
				if (first && eofOk) {
					return false;
				}
				throw new WireException("stream ended inside a message (" + b.position() + " of " + b.capacity() + " bytes)");
			}
			if (n > 0) {
				first = false;
			}
		}
		return true;
	}

	/** Encodes a message; {@code parts} are the payload's pieces in order. */
	static ByteBuffer encode(int type, int seq, ByteBuffer... parts) {
		int n = HEADER;
		for (ByteBuffer p : parts) {
			n += p.remaining();
		}
		ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
		b.putInt(n).putShort((short) VERSION).putShort((short) type).putInt(seq);
		for (ByteBuffer p : parts) {
			b.put(p.duplicate());
		}
		return b.flip();
	}

	static ByteBuffer le(int bytes) {
		return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
	}

	// decoders (the runtime reads these)

	static Hello hello(Frame f) throws WireException {
		ByteBuffer p = need(f, 8);
		int pid = p.getInt(), n = p.getInt();
		if (n < 0 || n > 256) {
			throw new WireException("HELLO with " + Integer.toUnsignedString(n) + " fds (at most 256)");
		}
		List<FdEntry> fds = new ArrayList<>();
		for (int i = 0; i < n; i++) {
			if (p.remaining() < 8) {
				throw new WireException("HELLO cut short at fd entry " + i);
			}
			int fd = p.getInt(), kind = p.getShort() & 0xffff, len = p.getShort() & 0xffff;
			if (p.remaining() < len) {
				throw new WireException("HELLO cut short in the name of fd " + fd);
			}
			byte[] name = new byte[len];
			p.get(name);
			if (fd < 0 || (kind != KIND_IOMMUFD && kind != KIND_VFIO)) {
				throw new WireException("HELLO: bad fd entry " + fd + " kind " + kind);
			}
			fds.add(new FdEntry(fd, kind, new String(name, StandardCharsets.UTF_8)));
		}
		return new Hello(pid, fds);
	}

	static Ioctl ioctl(Frame f) throws WireException {
		ByteBuffer p = need(f, 24);
		return new Ioctl(fd(p.getInt(0)), p.getLong(8), p.getLong(16));
	}

	static Pread pread(Frame f) throws WireException {
		ByteBuffer p = need(f, 16);
		return new Pread(fd(p.getInt(0)), count(p.getInt(4)), p.getLong(8));
	}

	static Pwrite pwrite(Frame f) throws WireException {
		ByteBuffer p = need(f, 16);
		byte[] data = new byte[f.size() - 16];
		p.get(16, data);
		return new Pwrite(fd(p.getInt(0)), p.getLong(8), data);
	}

	static Read read(Frame f) throws WireException {
		ByteBuffer p = need(f, 8);
		return new Read(fd(p.getInt(0)), count(p.getInt(4)));
	}

	static Close close(Frame f) throws WireException {
		return new Close(fd(need(f, 4).getInt(0)));
	}

	static MemData memData(Frame f) throws WireException {
		ByteBuffer p = need(f, 4);
		byte[] data = new byte[f.size() - 4];
		p.get(4, data);
		return new MemData(p.getInt(0), data);
	}

	static MemDone memDone(Frame f) throws WireException {
		return new MemDone(need(f, 4).getInt(0));
	}

	static PathReply pathReply(Frame f) throws WireException {
		ByteBuffer p = need(f, 4);
		byte[] path = new byte[f.size() - 4];
		p.get(4, path);
		return new PathReply(p.getInt(0), new String(path, StandardCharsets.UTF_8));
	}

	static Installed installed(Frame f) throws WireException {
		ByteBuffer p = need(f, 8);
		return new Installed(p.getInt(0), p.getInt(4));
	}

	static Result result(Frame f) throws WireException {
		ByteBuffer p = need(f, 16);
		byte[] data = new byte[f.size() - 16];
		p.get(16, data);
		return new Result(p.getLong(0), p.getInt(8), data);
	}

	private static ByteBuffer need(Frame f, int bytes) throws WireException {
		if (f.size() < bytes) {
			throw new WireException("message type " + f.type() + " of " + f.size() + " payload bytes (needs " + bytes + ")");
		}
		return f.payload().duplicate().order(ByteOrder.LITTLE_ENDIAN);
	}

	private static int fd(int fd) throws WireException {
		if (fd < 0) {
			throw new WireException("negative fd " + fd);
		}
		return fd;
	}

	private static int count(int count) throws WireException {
		if (count < 0 || count > MAX_DATA) {
			throw new WireException("count " + Integer.toUnsignedString(count) + " above " + MAX_DATA);
		}
		return count;
	}

	// encoders of the runtime's messages

	static ByteBuffer memRead(int seq, long va, int len) {
		return encode(MEM_READ, seq, le(12).putLong(va).putInt(len).flip());
	}

	static ByteBuffer memWrite(int seq, long va, byte[] data, int off, int len) {
		return encode(MEM_WRITE, seq, le(8).putLong(va).flip(), ByteBuffer.wrap(data, off, len));
	}

	static ByteBuffer fdPath(int seq, int fd) {
		return encode(FD_PATH, seq, le(4).putInt(fd).flip());
	}

	static ByteBuffer fdInstall(int seq) {
		return encode(FD_INSTALL, seq);
	}

	static ByteBuffer result(int seq, long ret, int errno, byte[] data) {
		return encode(RESULT, seq, le(16).putLong(ret).putInt(errno).putInt(0).flip(), ByteBuffer.wrap(data == null ? new byte[0] : data));
	}

	static ByteBuffer signal(int fd) {
		return encode(SIGNAL, 0, le(4).putInt(fd).flip());
	}

	static ByteBuffer readable(int fd, boolean readable) {
		return encode(READABLE, 0, le(8).putInt(fd).putInt(readable ? 1 : 0).flip());
	}

	// encoders of the library's messages (the tests' fake library speaks with them)

	static ByteBuffer helloMessage(int seq, int pid, List<FdEntry> fds) {
		List<ByteBuffer> parts = new ArrayList<>();
		parts.add(le(8).putInt(pid).putInt(fds.size()).flip());
		for (FdEntry e : fds) {
			byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
			parts.add(le(8).putInt(e.fd()).putShort((short) e.kind()).putShort((short) name.length).flip());
			parts.add(ByteBuffer.wrap(name));
		}
		return encode(HELLO, seq, parts.toArray(ByteBuffer[]::new));
	}

	static ByteBuffer ioctlMessage(int seq, int fd, long request, long arg) {
		return encode(IOCTL, seq, le(24).putInt(fd).putInt(0).putLong(request).putLong(arg).flip());
	}

	static ByteBuffer preadMessage(int seq, int fd, int count, long offset) {
		return encode(PREAD, seq, le(16).putInt(fd).putInt(count).putLong(offset).flip());
	}

	static ByteBuffer pwriteMessage(int seq, int fd, long offset, byte[] data) {
		return encode(PWRITE, seq, le(16).putInt(fd).putInt(0).putLong(offset).flip(), ByteBuffer.wrap(data));
	}

	static ByteBuffer readMessage(int seq, int fd, int count) {
		return encode(READ, seq, le(8).putInt(fd).putInt(count).flip());
	}

	static ByteBuffer closeMessage(int seq, int fd) {
		return encode(CLOSE, seq, le(4).putInt(fd).flip());
	}

	static ByteBuffer memDataMessage(int seq, int errno, byte[] data) {
		return encode(MEM_DATA, seq, le(4).putInt(errno).flip(), ByteBuffer.wrap(data));
	}

	static ByteBuffer memDoneMessage(int seq, int errno) {
		return encode(MEM_DONE, seq, le(4).putInt(errno).flip());
	}

	static ByteBuffer pathMessage(int seq, int errno, String path) {
		return encode(PATH, seq, le(4).putInt(errno).flip(), ByteBuffer.wrap(path.getBytes(StandardCharsets.UTF_8)));
	}

	static ByteBuffer installedMessage(int seq, int errno, int fd) {
		return encode(INSTALLED, seq, le(8).putInt(errno).putInt(fd).flip());
	}

	/** The name of a message type for log lines. */
	static String typeName(int type) {
		return switch (type) {
		case HELLO -> "HELLO";
		case IOCTL -> "IOCTL";
		case PREAD -> "PREAD";
		case PWRITE -> "PWRITE";
		case READ -> "READ";
		case CLOSE -> "CLOSE";
		case MEM_DATA -> "MEM_DATA";
		case MEM_DONE -> "MEM_DONE";
		case PATH -> "PATH";
		case INSTALLED -> "INSTALLED";
		case MEM_READ -> "MEM_READ";
		case MEM_WRITE -> "MEM_WRITE";
		case FD_PATH -> "FD_PATH";
		case FD_INSTALL -> "FD_INSTALL";
		case RESULT -> "RESULT";
		case SIGNAL -> "SIGNAL";
		case READABLE -> "READABLE";
		default -> "type " + type;
		};
	}
}
