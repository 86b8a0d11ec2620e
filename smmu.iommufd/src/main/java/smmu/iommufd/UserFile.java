package smmu.iommufd;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A file the kernel created for a process ({@link UserProcess#installFile}): a vEVENTQ's anonymous
 * inode. The process reads it and polls it; closing its last fd calls {@link #release()}.
 */
@ProviderType
public interface UserFile {
	/**
	 * read(2) into {@code dst} (count = its length): the bytes read. Other errnos as an
	 * {@link IommufdException}, as the file's read returns them. A vEVENTQ's read never blocks and,
	 * as in Linux, returns 0 (not EAGAIN) when no record is waiting or the first does not fit: poll
	 * ({@link #readable()}, {@link #onReadable}) says when to read.
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
