package smmu.vfio.impl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import smmu.iommufd.IommufdContext;
import smmu.iommufd.UserFile;
import smmu.iommufd.UserProcess;
import smmu.iommufd.VmmAddressSpace;

/** A process for the device file: memory from a {@link VmmAddressSpace}, a file table, the eventfds signalled. */
final class Process implements UserProcess {
	private final VmmAddressSpace mm;
	private final Map<Integer, Object> fds = new HashMap<>();
	final List<Integer> signalled = new ArrayList<>();
	private int next = 3;

	Process(VmmAddressSpace mm) {
		this.mm = mm;
	}

	int open(Object what) {
		fds.put(next, what);
		return next++;
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

	synchronized List<Integer> takeSignals() {
		List<Integer> out = new ArrayList<>(signalled);
		signalled.clear();
		return out;
	}

	@Override
	public int installFile(UserFile file) {
		return open(file);
	}
}
