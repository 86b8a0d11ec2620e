package smmu.iommufd.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import smmu.iommufd.Errno;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;
import smmu.iommufd.UserFile;
import smmu.iommufd.UserProcess;
import smmu.iommufd.VmmAddressSpace;

/** A process for tests of the raw ioctls and the VFIO device file (shipped in smmu.iommufd's test-jar): memory from a {@link VmmAddressSpace}, a file table of paths, eventfds and installed files. */
public final class FakeProcess implements UserProcess {
	private final VmmAddressSpace mm;
	private final Map<Integer, Object> fds = new HashMap<>();
	public final List<Integer> signalled = new ArrayList<>();
	private int next = 3;
	/** When set, installFile fails with EMFILE. */
	public boolean tableFull;

	public FakeProcess(VmmAddressSpace mm) {
		this.mm = mm;
	}

	public int open(Object what) {
		fds.put(next, what);
		return next++;
	}

	public int eventfd() {
		return open("eventfd");
	}

	public UserFile installed(int fd) {
		return (UserFile) fds.get(fd);
	}

	public void close(int fd) {
		Object o = fds.remove(fd);
		if (o instanceof UserFile f) {
			f.release();
		}
	}

	@Override
	public boolean read(long va, byte[] dst) {
		return mm.read(va, dst);
	}

	@Override
	public boolean write(long va, byte[] src) {
		return mm.write(va, src);
	}

	@Override
	public Path file(int fd) {
		return fds.get(fd) instanceof Path p ? p : null;
	}

	@Override
	public IommufdContext iommufd(int fd) {
		return fds.get(fd) instanceof IommufdContext c ? c : null;
	}

	@Override
	public boolean isOpen(int fd) {
		return fds.containsKey(fd);
	}

	@Override
	public synchronized void signalEventfd(int fd) {
		signalled.add(fd);
	}

	/** The eventfds signalled since the last call. */
	public synchronized List<Integer> takeSignals() {
		List<Integer> out = new ArrayList<>(signalled);
		signalled.clear();
		return out;
	}

	@Override
	public int installFile(UserFile file) {
		if (tableFull) {
			throw new IommufdException(Errno.EMFILE, "file table full");
		}
		return open(file);
	}
}
