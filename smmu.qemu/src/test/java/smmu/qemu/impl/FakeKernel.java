package smmu.qemu.impl;

import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import smmu.iommufd.Errno;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;
import smmu.iommufd.UserFile;
import smmu.iommufd.UserProcess;
import smmu.vfio.VfioCdev;

/** A kernel for bridge tests: just enough of iommufd and VFIO to exercise every kind of round trip. */
class FakeKernel {
	static final int IOAS_ALLOC = 0x3b81, VEVENTQ_ALLOC = 0x3b93, MAP_FILE = 0x3b8f, SET_IRQS = 0x3b6e;

	final List<String> released = new CopyOnWriteArrayList<>();
	final AtomicReference<UserProcess> lastProc = new AtomicReference<>();
	final AtomicReference<Path> mapped = new AtomicReference<>();
	volatile FakeFile file;
	volatile String refuse;
	/** How long releasing the iommufd takes (a kernel tearing down a context's objects). */
	volatile long releaseMillis;

	/** The kernel's half: IOAS_ALLOC copies in 12 bytes and writes out_ioas_id; VEVENTQ_ALLOC installs a file; MAP_FILE asks for the fd's path. */
	final Session.Kernel kernel = new Session.Kernel() {
		@Override
		public IommufdContext openIommufd() {
			return (IommufdContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { IommufdContext.class }, (p, m, a) -> {
				switch (m.getName()) {
				case "ioctl":
					if (a.length == 3) {
						iommufdIoctl((Integer) a[0], (Long) a[1], (UserProcess) a[2]);
						return null;
					}
					throw new IommufdException(Errno.ENOTTY, "");
				case "close":
					Thread.sleep(releaseMillis);
					released.add("iommufd");
					return null;
				case "hashCode":
					return System.identityHashCode(p);
				case "equals":
					return p == a[0];
				case "toString":
					return "fake iommufd";
				default:
					throw new UnsupportedOperationException(m.getName());
				}
			});
		}

		@Override
		public VfioCdev openVfio(String bdf) {
			if (bdf.equals(refuse)) {
				throw new IommufdException(Errno.EBUSY, bdf + " is held");
			}
			return new FakeCdev(bdf);
		}
	};

	void iommufdIoctl(int cmd, long arg, UserProcess proc) {
		lastProc.set(proc);
		switch (cmd) {
		case IOAS_ALLOC -> {
			byte[] s = new byte[12];
			if (!proc.read(arg, s)) {
				throw new IommufdException(Errno.EFAULT, "struct unreadable");
			}
			if (ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN).getInt(0) != 12) {
				throw new IommufdException(Errno.EINVAL, "size");
			}
			if (!proc.write(arg + 8, new byte[] { 7, 0, 0, 0 })) {
				throw new IommufdException(Errno.EFAULT, "struct not writable");
			}
		}
		case VEVENTQ_ALLOC -> {
			file = new FakeFile();
			int fd = proc.installFile(file);
			proc.write(arg, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(fd).array());
		}
		case MAP_FILE -> {
			Path p = proc.file((int) (arg & 0xff));
			if (p == null) {
				throw new IommufdException(Errno.EBADF, "not a regular file");
			}
			mapped.set(p);
		}
		default -> throw new IommufdException(Errno.ENOTTY, "");
		}
	}

	final class FakeCdev implements VfioCdev {
		final String bdf;
		final byte[] config = new byte[256];

		FakeCdev(String bdf) {
			this.bdf = bdf;
			config[0] = (byte) 0xe5;
			config[1] = 0x13;
		}

		@Override
		public String bdf() {
			return bdf;
		}

		@Override
		public long ioctl(int cmd, long arg, UserProcess proc) {
			if (cmd == SET_IRQS) {
				byte[] fd = new byte[4];
				proc.read(arg, fd);
				int efd = ByteBuffer.wrap(fd).order(ByteOrder.LITTLE_ENDIAN).getInt();
				// INTx raised later, from another thread, as the device model does
				Thread t = new Thread(() -> proc.signalEventfd(efd));
				t.start();
				return 0;
			}
			throw new IommufdException(Errno.ENOTTY, "");
		}

		@Override
		public int pread(long offset, byte[] dst) {
			if (offset < 0 || offset >= config.length) {
				throw new IommufdException(Errno.EINVAL, "outside every region");
			}
			int n = (int) Math.min(dst.length, config.length - offset);
			System.arraycopy(config, (int) offset, dst, 0, n);
			return n;
		}

		@Override
		public int pwrite(long offset, byte[] src) {
			System.arraycopy(src, 0, config, (int) offset, src.length);
			return src.length;
		}

		@Override
		public void close() {
			released.add("vfio " + bdf);
		}
	}

	/** A vEVENTQ file: whole 8-byte records, EAGAIN when empty. */
	final class FakeFile implements UserFile {
		final ArrayDeque<byte[]> records = new ArrayDeque<>();
		Runnable callback;

		synchronized void push(byte[] r) {
			records.add(r);
			Runnable c = callback;
			if (c != null) {
				c.run();
			}
		}

		@Override
		public synchronized int read(byte[] dst) {
			if (records.isEmpty()) {
				throw new IommufdException(Errno.EAGAIN, "empty");
			}
			int n = 0;
			while (!records.isEmpty() && n + records.peek().length <= dst.length) {
				byte[] r = records.poll();
				System.arraycopy(r, 0, dst, n, r.length);
				n += r.length;
			}
			return n;
		}

		@Override
		public synchronized boolean readable() {
			return !records.isEmpty();
		}

		@Override
		public synchronized void onReadable(Runnable c) {
			callback = c;
			if (c != null && !records.isEmpty()) {
				c.run();
			}
		}

		@Override
		public void release() {
			released.add("file");
		}
	}

}
