package smmu.iommufd;

/** The Linux errno values the iommufd uAPI returns, with their numbers (asm-generic/errno*.h). */
public enum Errno {
	EPERM(1), ENOENT(2), EIO(5), ENXIO(6), E2BIG(7), EBADF(9), EAGAIN(11), ENOMEM(12), EFAULT(14), EBUSY(16), EEXIST(17),
	ENODEV(19), EINVAL(22), EMFILE(24), ENOTTY(25), ENOSPC(28), ESPIPE(29), ERANGE(34), EOVERFLOW(75), EBADFD(77), EMSGSIZE(90),
	EOPNOTSUPP(95), EADDRINUSE(98);

	private final int number;

	Errno(int number) {
		this.number = number;
	}

	/** The positive errno number; the ioctl returns its negation. */
	public int number() {
		return number;
	}
}
