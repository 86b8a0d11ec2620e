package smmu.hw.driver;

/** The Linux errno values the driver library reports, with their numbers. */
public enum Errno {
	ENOENT(2), EIO(5), ENXIO(6), ENOMEM(12), EEXIST(17), EINVAL(22), ERANGE(34), ETIMEDOUT(110);

	private final int number;

	Errno(int number) {
		this.number = number;
	}

	public int number() {
		return number;
	}
}
