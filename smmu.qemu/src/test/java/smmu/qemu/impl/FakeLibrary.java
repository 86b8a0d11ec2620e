package smmu.qemu.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import smmu.qemu.impl.Wire.Frame;

/**
 * The preload library's side of the protocol, in Java, for tests: makes calls and serves the
 * runtime's requests from a byte array standing for the process's memory at {@link #BASE}
 * (EFAULT outside it), a table of open paths, and fd numbers for installed files.
 */
final class FakeLibrary implements AutoCloseable {
	static final long BASE = 0x7f00_0000_0000L;

	final SocketChannel ch;
	final byte[] memory = new byte[64 << 10];
	final Map<Integer, String> paths = new ConcurrentHashMap<>();
	final List<String> async = new CopyOnWriteArrayList<>();
	int nextFd = 20;
	int requests;
	private int seq;

	FakeLibrary(SocketChannel ch) {
		this.ch = ch;
	}

	Wire.Result hello(int pid, List<Wire.FdEntry> fds) throws IOException {
		return call(Wire.helloMessage(++seq, pid, fds));
	}

	Wire.Result ioctl(int fd, long request, long arg) throws IOException {
		return call(Wire.ioctlMessage(++seq, fd, request, arg));
	}

	Wire.Result pread(int fd, int count, long offset) throws IOException {
		return call(Wire.preadMessage(++seq, fd, count, offset));
	}

	Wire.Result pwrite(int fd, long offset, byte[] data) throws IOException {
		return call(Wire.pwriteMessage(++seq, fd, offset, data));
	}

	Wire.Result read(int fd, int count) throws IOException {
		return call(Wire.readMessage(++seq, fd, count));
	}

	Wire.Result close(int fd) throws IOException {
		return call(Wire.closeMessage(++seq, fd));
	}

	void send(ByteBuffer b) throws IOException {
		while (b.hasRemaining()) {
			ch.write(b);
		}
	}

	/** Sends a call and serves the runtime's requests until its RESULT. */
	Wire.Result call(ByteBuffer msg) throws IOException {
		int mine = msg.getInt(8);
		send(msg);
		for (;;) {
			Frame f = Wire.read(ch);
			if (f == null) {
				throw new IOException("the runtime closed the bridge");
			}
			if (f.seq() == 0) {
				asyncMessage(f);
				continue;
			}
			if (f.seq() != mine) {
				throw new IOException("message of call " + f.seq() + " during call " + mine);
			}
			ByteBuffer p = f.payload();
			switch (f.type()) {
			case Wire.RESULT -> {
				return Wire.result(f);
			}
			case Wire.MEM_READ -> {
				requests++;
				long va = p.getLong(0);
				int len = p.getInt(8);
				if (!inside(va, len)) {
					send(Wire.memDataMessage(mine, Session.EFAULT, new byte[0]));
				} else {
					byte[] d = new byte[len];
					System.arraycopy(memory, (int) (va - BASE), d, 0, len);
					send(Wire.memDataMessage(mine, 0, d));
				}
			}
			case Wire.MEM_WRITE -> {
				requests++;
				long va = p.getLong(0);
				int len = f.size() - 8;
				if (!inside(va, len)) {
					send(Wire.memDoneMessage(mine, Session.EFAULT));
				} else {
					p.get(8, memory, (int) (va - BASE), len);
					send(Wire.memDoneMessage(mine, 0));
				}
			}
			case Wire.FD_PATH -> {
				requests++;
				String path = paths.get(p.getInt(0));
				send(Wire.pathMessage(mine, path == null ? Session.EBADF : 0, path == null ? "" : path));
			}
			case Wire.FD_INSTALL -> {
				requests++;
				send(Wire.installedMessage(mine, 0, nextFd++));
			}
			default -> throw new IOException("unexpected " + Wire.typeName(f.type()));
			}
		}
	}

	private void asyncMessage(Frame f) {
		ByteBuffer p = f.payload();
		if (f.type() == Wire.SIGNAL) {
			async.add("signal " + p.getInt(0));
		} else if (f.type() == Wire.READABLE) {
			async.add("readable " + p.getInt(0) + " " + p.getInt(4));
		} else {
			async.add("unknown " + f.type());
		}
	}

	/** Reads async messages until {@code n} have arrived in all (or the timeout). */
	void awaitAsync(int n, long millis) throws IOException {
		long end = System.currentTimeMillis() + millis;
		ch.configureBlocking(false);
		try {
			while (async.size() < n && System.currentTimeMillis() < end) {
				ByteBuffer peek = ByteBuffer.allocate(1);
				int r = ch.read(peek);
				if (r < 0) {
					return;
				}
				if (r == 0) {
					Thread.onSpinWait();
					continue;
				}
				ch.configureBlocking(true);
				peek.flip();
				Frame f = Wire.read(new PrefixedChannel(peek, ch));
				asyncMessage(f);
				ch.configureBlocking(false);
			}
		} finally {
			ch.configureBlocking(true);
		}
	}

	private boolean inside(long va, int len) {
		return va >= BASE && len >= 0 && va - BASE + len <= memory.length;
	}

	long put(int offset, byte[] data) {
		System.arraycopy(data, 0, memory, offset, data.length);
		return BASE + offset;
	}

	@Override
	public void close() throws IOException {
		ch.close();
	}

	/** A channel that first returns the bytes of {@code prefix}. */
	private record PrefixedChannel(ByteBuffer prefix, SocketChannel rest) implements java.nio.channels.ReadableByteChannel {
		@Override
		public int read(ByteBuffer dst) throws IOException {
			if (prefix.hasRemaining()) {
				int n = Math.min(prefix.remaining(), dst.remaining());
				ByteBuffer s = prefix.slice().limit(n);
				dst.put(s);
				prefix.position(prefix.position() + n);
				return n;
			}
			return rest.read(dst);
		}

		@Override
		public boolean isOpen() {
			return rest.isOpen();
		}

		@Override
		public void close() {
		}
	}
}
