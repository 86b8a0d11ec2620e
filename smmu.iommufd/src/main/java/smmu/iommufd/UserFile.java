package smmu.iommufd;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A file the kernel created for a process ({@link UserProcess#installFile}): a vEVENTQ's anonymous
 * inode. The process reads it and polls it; closing its last fd calls {@link #release()}.
 */
@ProviderType
public interface UserFile {
	/**
	 * read(2) into {@code dst} (count = its length): the bytes read, 0 at end of file. EAGAIN as an
	 * {@link IommufdException} when nothing can be read now (the process polls, then reads again);
	 * other errnos as the file's read returns them.
	 */
	int read(byte[] dst);

	/** poll(2): whether a read would return data now (EPOLLIN). */
	boolean readable();

	/**
	 * Registers the one callback run (from any thread, without the kernel's locks held) whenever
	 * the file becomes readable; null removes it. Called at once when it is readable already.
	 */
	void onReadable(Runnable callback);

	/** The last close of the file: drops the kernel's reference to the object behind it. Idempotent. */
	void release();
}
