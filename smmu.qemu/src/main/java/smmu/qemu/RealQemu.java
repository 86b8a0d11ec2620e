package smmu.qemu;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import smmu.iommufd.IommufdContext;

/** One real QEMU process started by {@link RealQemus}. Thread-safe. */
@ProviderType
public interface RealQemu {
	enum State {
		/** The process runs; its bridge has not said hello yet. */
		STARTING,
		/** The bridge is connected: its calls reach the host kernel model. */
		RUNNING,
		/** The process ended (its objects are released). */
		EXITED
	}

	String name();

	/** The process ID (on the host), -1 before it started. */
	long pid();

	State state();

	/** The exit status once {@link State#EXITED} (128 + signal when killed), else -1. */
	int exitStatus();

	/** The QEMU command line as run inside the chroot (program first). */
	List<String> commandLine();

	/** The last {@code lines} lines of the console (the serial port and QEMU's own messages), oldest first. */
	List<String> console(int lines);

	/** The iommufd the process opened ({@code -object iommufd,fd=N}), or null before its bridge connected or after it ended. */
	IommufdContext iommufd();

	/** Milliseconds from the start to the guest console line {@code smmu-guest: init}, or -1 until it appeared. */
	long bootMillis();

	/**
	 * Waits until a console line contains {@code text} (lines seen before the call count), the process
	 * ends or {@code millis} pass; returns whether the line appeared.
	 */
	boolean awaitConsole(String text, long millis) throws InterruptedException;

	/** The bridge's round trips so far. */
	BridgeStats stats();
}
