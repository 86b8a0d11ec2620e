package smmu.hw.driver;

import smmu.hw.arch.Cmd;

/**
 * The SMMU stopped on a command and raised GERROR.CMDQ_ERR. The driver has already recovered as Linux
 * does (the command was replaced by a CMD_SYNC and GERRORN acknowledged), so the queue runs again;
 * this reports which command was skipped.
 */
public final class CommandQueueException extends DriverException {
	private static final long serialVersionUID = 1L;
	private final int error;
	private final long[] command;
	private final int index;

	public CommandQueueException(int error, long[] command, int index) {
		super(Errno.EIO, String.format("CMDQ error %d (%s) at index %d: %s [0x%016x 0x%016x]", error, errorName(error), index,
				Cmd.name((int) (command[0] & 0xff)), command[0], command[1]));
		this.error = error;
		this.command = command.clone();
		this.index = index;
	}

	/** CMDQ_CONS.ERR: {@link smmu.hw.arch.Regs#CERROR_ILL} etc. */
	public int error() {
		return error;
	}

	/** The two words of the command that was skipped. */
	public long[] command() {
		return command.clone();
	}

	/** Its index in the command queue. */
	public int index() {
		return index;
	}

	public static String errorName(int error) {
		return switch (error) {
			case 0 -> "No error";
			case 1 -> "Illegal command";
			case 2 -> "Abort on command fetch";
			case 3 -> "ATC invalidate timeout";
			default -> "Unknown";
		};
	}
}
