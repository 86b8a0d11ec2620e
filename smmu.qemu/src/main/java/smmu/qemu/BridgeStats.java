package smmu.qemu;

import java.util.List;

/**
 * What the bridge cost one QEMU process so far. A call is one of QEMU's system calls on a bridged fd
 * (an ioctl, pread, pwrite, read or close); it takes one round trip plus one per memory access or
 * file operation of the kernel during it (copy_from_user, copy_to_user, fget, fd_install).
 *
 * @param calls        calls served
 * @param roundTrips   round trips in all (calls plus their nested requests)
 * @param nanos        time spent serving calls, from the call's arrival to its result being sent
 * @param asyncMessages eventfd signals and readiness changes sent without a call
 * @param byCall       per kind of call (an ioctl by its name), in first-seen order
 * @param byRequest    the kernel's nested requests during calls ({@code MEM_READ}, {@code MEM_WRITE},
 *                     {@code FD_PATH}, {@code FD_INSTALL}), each one round trip whose time is the
 *                     transport's alone (the process serves it without the kernel)
 */
public record BridgeStats(long calls, long roundTrips, long nanos, long asyncMessages, List<CallStats> byCall, List<CallStats> byRequest) {
	/**
	 * One kind of call.
	 *
	 * @param call       {@code ioctl NAME}, {@code pread}, {@code pwrite}, {@code read}, {@code close}, {@code hello}
	 * @param count      calls of this kind
	 * @param errors     of which failed (an errno)
	 * @param roundTrips round trips they took, nested requests included
	 * @param bytes      payload bytes carried by the call, its requests and its result
	 * @param nanos      total time serving them
	 * @param maxNanos   the slowest one
	 */
	public record CallStats(String call, long count, long errors, long roundTrips, long bytes, long nanos, long maxNanos) {}
}
