package smmu.itest;

import java.nio.file.Path;
import java.util.Map;

import smmu.iommufd.IommufdContext;
import smmu.iommufd.UserFile;
import smmu.iommufd.UserProcess;
import smmu.iommufd.VmmAddressSpace;

/**
 * A process for the in-framework tests of the device files: memory from a {@link VmmAddressSpace}, a
 * fixed file table ({@code fd -> Path} for regular files, {@code fd -> IommufdContext} for iommufds),
 * no eventfds to signal and no room for new files.
 */
record TestProcess(VmmAddressSpace mm, Map<Integer, Object> fds) implements UserProcess {
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
	public void signalEventfd(int fd) {
	}

	@Override
	public int installFile(UserFile file) {
		throw new UnsupportedOperationException("no file table to install into");
	}
}
