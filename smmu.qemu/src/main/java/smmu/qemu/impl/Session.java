package smmu.qemu.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;
import smmu.iommufd.UserFile;
import smmu.iommufd.UserProcess;
import smmu.qemu.impl.Wire.Frame;
import smmu.qemu.impl.Wire.WireException;
import smmu.vfio.VfioCdev;

/**
 * The kernel side of one QEMU process: its bridged file table (the iommufd, the VFIO device files,
 * the files the kernel installed) and the system calls on it, one at a time as the library sends
 * them. During a call the kernel reaches the process through {@link #process}: each copy_from_user,
 * copy_to_user, fget or fd_install is a round trip on the same socket. The end of the stream (QEMU
 * exited or was killed) or a malformed message releases everything as the process's exit would:
 * the VFIO device files, then the installed files, then the iommufd.
 */
final class Session implements Runnable {
	/** What the session opens files with: the host kernel model. */
	interface Kernel {
		/** open("/dev/iommu") for the process. */
		IommufdContext openIommufd();

		/** open of the VFIO cdev of host PCI function {@code bdf}; errors as {@link IommufdException}. */
		VfioCdev openVfio(String bdf);
	}

	/** Told when the process said hello (its iommufd now exists) and when the session ended. */
	interface Listener {
		void connected(int pid, IommufdContext iommufd);

		void ended(String why);
	}

	static final int EPERM = 1, ENOENT = 2, EIO = 5, EBADF = 9, EAGAIN = 11, EFAULT = 14, EINVAL = 22, ENOTTY = 25, ESPIPE = 29;

	private sealed interface Open permits IommufdFd, VfioFd, FileFd {}

	private record IommufdFd(IommufdContext context) implements Open {}

	private record VfioFd(String bdf, VfioCdev cdev) implements Open {}

	private record FileFd(UserFile file) implements Open {}

	private final ByteChannel channel;
	private final Kernel kernel;
	private final Path chroot;
	private final Stats stats;
	private final Listener listener;
	private final Consumer<String> log;
	private final Object sendLock = new Object();
	private final Map<Integer, Open> fds = new TreeMap<>();
	private final Proc process = new Proc();

	private volatile Thread thread;
	private volatile boolean closed;
	private IommufdContext iommufd;
	private boolean iommufdOpen;
	private int pid = -1;

	// the call in progress (session thread only)
	private int seq;
	private boolean inCall;
	private long callRoundTrips, callBytes;
	private String broken;

	/**
	 * @param chroot the host path of the process's root (paths it names are inside it), or null for /
	 */
	Session(ByteChannel channel, Kernel kernel, Path chroot, Stats stats, Listener listener, Consumer<String> log) {
		this.channel = channel;
		this.kernel = kernel;
		this.chroot = chroot;
		this.stats = stats;
		this.listener = listener;
		this.log = log;
	}

	@Override
	public void run() {
		thread = Thread.currentThread();
		String why = "the process closed the bridge";
		try {
			Frame first = Wire.read(channel);
			if (first == null) {
				why = "the process closed the bridge before its hello";
				return;
			}
			if (first.type() != Wire.HELLO) {
				throw new WireException("first message is " + Wire.typeName(first.type()) + ", not HELLO");
			}
			if (!hello(first)) {
				why = "the process was refused";
				return;
			}
			for (Frame f; (f = Wire.read(channel)) != null;) {
				call(f);
				if (broken != null) {
					throw new WireException(broken);
				}
			}
		} catch (WireException e) {
			why = "malformed message from the process: " + e.getMessage();
			log.accept("bridge: " + why + "; session ended");
		} catch (IOException e) {
			why = closed ? "closed by the runtime" : "bridge socket failed: " + e.getMessage();
		} finally {
			release();
			listener.ended(why);
		}
	}

	/** Closes the socket: the session ends and releases everything (the library sees EOF). */
	void close() {
		closed = true;
		try {
			channel.close();
		} catch (IOException e) {
			// closed anyway
		}
	}

	/** The process as the kernel sees it during a call of this session. */
	UserProcess process() {
		return process;
	}

	private boolean hello(Frame f) throws IOException {
		long t0 = System.nanoTime();
		Wire.Hello h = Wire.hello(f);
		seq = f.seq();
		Map<Integer, Open> opened = new TreeMap<>();
		String refused = null;
		int errno = 0;
		try {
			for (Wire.FdEntry e : h.fds()) {
				if (opened.containsKey(e.fd())) {
					throw new IommufdException(smmu.iommufd.Errno.EINVAL, "fd " + e.fd() + " named twice");
				}
				if (e.kind() == Wire.KIND_IOMMUFD) {
					if (opened.values().stream().anyMatch(o -> o instanceof IommufdFd)) {
						throw new IommufdException(smmu.iommufd.Errno.EINVAL, "more than one iommufd");
					}
					opened.put(e.fd(), new IommufdFd(kernel.openIommufd()));
				} else {
					opened.put(e.fd(), new VfioFd(e.name(), kernel.openVfio(e.name())));
				}
			}
		} catch (IommufdException e) {
			errno = e.errno().number();
			refused = e.getMessage();
		} catch (RuntimeException e) {
			errno = EIO;
			refused = e.toString();
		}
		if (refused != null) {
			for (Open o : opened.values()) {
				closeQuietly(o);
			}
			send(Wire.result(seq, -1, errno, refused.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
			log.accept("bridge: refused process " + h.pid() + ": " + refused);
			stats.record("hello", 1, f.size(), System.nanoTime() - t0, true);
			return false;
		}
		synchronized (this) {
			fds.putAll(opened);
			pid = h.pid();
			for (Open o : opened.values()) {
				if (o instanceof IommufdFd i) {
					iommufd = i.context();
					iommufdOpen = true;
				}
			}
		}
		listener.connected(h.pid(), iommufd);
		stats.record("hello", 1, f.size(), System.nanoTime() - t0, false);
		send(Wire.result(seq, 0, 0, null));
		return true;
	}

	private void call(Frame f) throws IOException {
		long t0 = System.nanoTime();
		seq = f.seq();
		inCall = true;
		callRoundTrips = 1;
		callBytes = f.size();
		String label;
		long ret = 0;
		int errno = 0;
		byte[] data = null;
		boolean failed = false;
		try {
			switch (f.type()) {
			case Wire.IOCTL -> {
				Wire.Ioctl c = Wire.ioctl(f);
				label = "ioctl " + IoctlNames.name(c.request());
				ret = ioctl(c);
			}
			case Wire.PREAD -> {
				label = "pread";
				Wire.Pread c = Wire.pread(f);
				Open o = open(c.fd());
				if (o instanceof VfioFd v) {
					byte[] dst = new byte[c.count()];
					int n = v.cdev().pread(c.offset(), dst);
					ret = n;
					data = java.util.Arrays.copyOf(dst, Math.max(0, Math.min(n, dst.length)));
				} else {
					throw errno(o instanceof FileFd ? ESPIPE : EINVAL);
				}
			}
			case Wire.PWRITE -> {
				label = "pwrite";
				Wire.Pwrite c = Wire.pwrite(f);
				Open o = open(c.fd());
				if (o instanceof VfioFd v) {
					ret = v.cdev().pwrite(c.offset(), c.data());
				} else {
					throw errno(o instanceof FileFd ? ESPIPE : EINVAL);
				}
			}
			case Wire.READ -> {
				label = "read";
				Wire.Read c = Wire.read(f);
				Open o = open(c.fd());
				if (o instanceof FileFd file) {
					byte[] dst = new byte[c.count()];
					try {
						int n = file.file().read(dst);
						ret = n;
						data = java.util.Arrays.copyOf(dst, Math.max(0, Math.min(n, dst.length)));
					} finally {
						readiness(c.fd(), file.file());
					}
				} else {
					throw errno(EINVAL);
				}
			}
			case Wire.CLOSE -> {
				label = "close";
				closeFd(Wire.close(f).fd());
			}
			default -> throw new WireException("message " + Wire.typeName(f.type()) + " where a call was expected");
			}
		} catch (Errno e) {
			label = labelOf(f);
			errno = e.number;
			failed = true;
		} catch (IommufdException e) {
			label = labelOf(f);
			errno = e.errno().number();
			failed = true;
		} catch (RuntimeException e) {
			// a fault of the model must not take the runtime (or this session) down: the call fails
			label = labelOf(f);
			errno = EIO;
			failed = true;
			log.accept("bridge: " + label + " failed in the kernel model: " + e);
		} finally {
			inCall = false;
		}
		if (broken != null) {
			return;
		}
		if (failed) {
			ret = -1;
			data = null;
		}
		ByteBuffer r = Wire.result(seq, ret, errno, data);
		callBytes += r.remaining() - Wire.HEADER;
		// counted before the result leaves: whoever sees the result sees the call counted
		stats.record(label, callRoundTrips, callBytes, System.nanoTime() - t0, failed);
		send(r);
	}

	private static String labelOf(Frame f) {
		return switch (f.type()) {
		case Wire.IOCTL -> f.size() >= 16 ? "ioctl " + IoctlNames.name(f.payload().getLong(8)) : "ioctl";
		case Wire.PREAD -> "pread";
		case Wire.PWRITE -> "pwrite";
		case Wire.READ -> "read";
		case Wire.CLOSE -> "close";
		default -> Wire.typeName(f.type());
		};
	}

	private long ioctl(Wire.Ioctl c) {
		Open o = open(c.fd());
		if (o instanceof IommufdFd i) {
			i.context().ioctl((int) c.request(), c.arg(), process);
			return 0;
		}
		if (o instanceof VfioFd v) {
			return v.cdev().ioctl((int) c.request(), c.arg(), process);
		}
		throw errno(ENOTTY);
	}

	private synchronized Open open(int fd) {
		Open o = fds.get(fd);
		if (o == null) {
			throw errno(EBADF);
		}
		return o;
	}

	private void closeFd(int fd) {
		Open o;
		synchronized (this) {
			o = fds.remove(fd);
		}
		if (o == null) {
			throw errno(EBADF);
		}
		if (o instanceof IommufdFd) {
			iommufdOpen = false;
		}
		closeQuietly(o);
		releaseIommufdIfUnused();
	}

	/** The iommufd lives while its fd or a VFIO device file is open (a bound device holds the context). */
	private void releaseIommufdIfUnused() {
		IommufdContext ctx;
		synchronized (this) {
			if (iommufd == null || iommufdOpen || fds.values().stream().anyMatch(o -> o instanceof VfioFd)) {
				return;
			}
			ctx = iommufd;
			iommufd = null;
		}
		try {
			ctx.close();
		} catch (RuntimeException e) {
			log.accept("bridge: releasing the iommufd failed: " + e);
		}
	}

	private void closeQuietly(Open o) {
		try {
			// an iommufd is released with its last user (releaseIommufdIfUnused)
			if (o instanceof VfioFd v) {
				v.cdev().close();
			} else if (o instanceof FileFd file) {
				file.file().release();
			}
		} catch (RuntimeException e) {
			log.accept("bridge: release of " + o + " failed: " + e);
		}
	}

	private void release() {
		List<Open> all;
		synchronized (this) {
			all = new ArrayList<>(fds.values());
			fds.clear();
			iommufdOpen = false;
		}
		for (Open o : all) {
			if (o instanceof VfioFd) {
				closeQuietly(o);
			}
		}
		for (Open o : all) {
			if (o instanceof FileFd) {
				closeQuietly(o);
			}
		}
		releaseIommufdIfUnused();
		close();
	}

	/** Sends the file's poll state now (under its lock: the last state sent is the newest). */
	private void readiness(int fd, UserFile file) {
		synchronized (file) {
			synchronized (this) {
				if (fds.get(fd) == null || ((FileFd) fds.get(fd)).file() != file) {
					return;
				}
			}
			sendAsync(Wire.readable(fd, file.readable()));
		}
	}

	private void send(ByteBuffer b) throws IOException {
		synchronized (sendLock) {
			while (b.hasRemaining()) {
				channel.write(b);
			}
		}
	}

	private void sendAsync(ByteBuffer b) {
		stats.async();
		try {
			send(b);
		} catch (IOException e) {
			// the session ends through its reader
		}
	}

	/** One nested request of the call in progress; its reply, or null when the bridge broke (then the call fails). */
	private Frame request(ByteBuffer req, int replyType) {
		if (!inCall || Thread.currentThread() != thread || broken != null) {
			if (broken == null && (!inCall || Thread.currentThread() != thread)) {
				log.accept("bridge: the kernel touched the process outside its system call (ignored)");
			}
			return null;
		}
		try {
			long t0 = System.nanoTime();
			int type = req.getShort(6);
			long bytes = req.remaining() - Wire.HEADER;
			send(req);
			Frame r = Wire.read(channel);
			if (r == null) {
				broken = "the process closed the bridge during a call";
				return null;
			}
			bytes += r.size();
			stats.request(Wire.typeName(type), bytes, System.nanoTime() - t0, r.size() >= 4 && r.payload().getInt(0) != 0);
			callRoundTrips++;
			callBytes += bytes;
			if (r.type() != replyType || r.seq() != seq) {
				broken = "got " + Wire.typeName(r.type()) + " of call " + r.seq() + " instead of " + Wire.typeName(replyType) + " of call " + seq;
				return null;
			}
			return r;
		} catch (IOException e) {
			broken = e.getMessage();
			return null;
		}
	}

	private final class Proc implements UserProcess {
		@Override
		public boolean read(long va, byte[] dst) {
			for (int done = 0; done < dst.length;) {
				int n = Math.min(dst.length - done, Wire.MAX_DATA);
				Frame r = request(Wire.memRead(seq, va + done, n), Wire.MEM_DATA);
				if (r == null) {
					return false;
				}
				Wire.MemData d;
				try {
					d = Wire.memData(r);
				} catch (WireException e) {
					broken = e.getMessage();
					return false;
				}
				if (d.errno() != 0) {
					return false;
				}
				if (d.data().length != n) {
					broken = "MEM_DATA of " + d.data().length + " bytes for a read of " + n;
					return false;
				}
				System.arraycopy(d.data(), 0, dst, done, n);
				done += n;
			}
			return true;
		}

		@Override
		public boolean write(long va, byte[] src) {
			for (int done = 0; done < src.length;) {
				int n = Math.min(src.length - done, Wire.MAX_DATA);
				Frame r = request(Wire.memWrite(seq, va + done, src, done, n), Wire.MEM_DONE);
				if (r == null) {
					return false;
				}
				try {
					if (Wire.memDone(r).errno() != 0) {
						return false;
					}
				} catch (WireException e) {
					broken = e.getMessage();
					return false;
				}
				done += n;
			}
			return true;
		}

		@Override
		public Path file(int fd) {
			synchronized (Session.this) {
				if (fds.containsKey(fd)) {
					return null;
				}
			}
			Frame r = request(Wire.fdPath(seq, fd), Wire.PATH);
			if (r == null) {
				return null;
			}
			Wire.PathReply p;
			try {
				p = Wire.pathReply(r);
			} catch (WireException e) {
				broken = e.getMessage();
				return null;
			}
			if (p.errno() != 0 || !p.path().startsWith("/") || p.path().indexOf('\0') >= 0) {
				return null;
			}
			Path host = chroot == null ? Path.of(p.path()) : chroot.resolve(p.path().substring(1));
			return Files.isRegularFile(host) ? host : null;
		}

		@Override
		public IommufdContext iommufd(int fd) {
			synchronized (Session.this) {
				return fds.get(fd) instanceof IommufdFd i ? i.context() : null;
			}
		}

		@Override
		public boolean isOpen(int fd) {
			synchronized (Session.this) {
				if (fds.containsKey(fd)) {
					return true;
				}
			}
			Frame r = request(Wire.fdPath(seq, fd), Wire.PATH);
			try {
				return r != null && Wire.pathReply(r).errno() == 0;
			} catch (WireException e) {
				broken = e.getMessage();
				return false;
			}
		}

		@Override
		public void signalEventfd(int fd) {
			sendAsync(Wire.signal(fd));
		}

		@Override
		public int installFile(UserFile file) {
			Frame r = request(Wire.fdInstall(seq), Wire.INSTALLED);
			if (r == null) {
				throw new IommufdException(smmu.iommufd.Errno.EIO, "the bridge broke during fd_install");
			}
			Wire.Installed in;
			try {
				in = Wire.installed(r);
			} catch (WireException e) {
				broken = e.getMessage();
				throw new IommufdException(smmu.iommufd.Errno.EIO, "the bridge broke during fd_install");
			}
			if (in.errno() != 0 || in.fd() < 0) {
				throw new IommufdException(smmu.iommufd.Errno.EMFILE, "the process could not install a file (errno " + in.errno() + ")");
			}
			int fd = in.fd();
			synchronized (Session.this) {
				fds.put(fd, new FileFd(file));
			}
			file.onReadable(() -> readiness(fd, file));
			return fd;
		}
	}

	/** An errno the bridge itself returns (EBADF for an fd it does not know, ...). */
	private static final class Errno extends RuntimeException {
		private static final long serialVersionUID = 1L;
		final int number;

		Errno(int number) {
			super(null, null, false, false);
			this.number = number;
		}
	}

	private static Errno errno(int number) {
		return new Errno(number);
	}

	synchronized int pid() {
		return pid;
	}
}
