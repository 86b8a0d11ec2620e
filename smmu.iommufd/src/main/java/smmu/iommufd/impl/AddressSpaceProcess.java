package smmu.iommufd.impl;

import java.nio.file.Path;

import smmu.iommufd.Errno;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;
import smmu.iommufd.UserFile;
import smmu.iommufd.UserProcess;
import smmu.iommufd.VmmAddressSpace;

/**
 * A model VMM as a {@link UserProcess}: its memory is a {@link VmmAddressSpace}; it has no file
 * table (no regular files, no eventfds, no fds to install files at).
 */
record AddressSpaceProcess(VmmAddressSpace mm) implements UserProcess {
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
		return null;
	}

	@Override
	public IommufdContext iommufd(int fd) {
		return null;
	}

	@Override
	public void signalEventfd(int fd) {
	}

	@Override
	public int installFile(UserFile file) {
		throw new IommufdException(Errno.ENOTTY, "a model VMM has no file table");
	}
}
