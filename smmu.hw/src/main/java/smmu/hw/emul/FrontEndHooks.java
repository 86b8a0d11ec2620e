package smmu.hw.emul;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * What the VMM does beyond the local emulation when the guest programs an {@link EmulatedSmmu}
 * (QEMU's {@code smmuv3_cmdq_consume} and MMIO write paths with {@code accel=on}). Hooks run
 * synchronously on the thread that wrote the register, with the device's register lock held: they may
 * read the device's registers, call {@link EmulatedSmmu#inject} and write registers re-entrantly, but
 * must not wait for another thread that accesses the device.
 */
@ConsumerType
public interface FrontEndHooks {

	/** Hooks that do nothing: a plain emulated SMMU. */
	FrontEndHooks NONE = new FrontEndHooks() {
		@Override
		public int command(long[] cmd) {
			return smmu.hw.arch.Regs.CERROR_NONE;
		}

		@Override
		public void gbpaWritten(int gbpa) {
		}

		@Override
		public void cr0Written(int cr0) {
		}
	};

	/**
	 * Called for every command the queue consumes, in queue order, with its two raw little-endian words,
	 * before the local emulation runs it. A command the guest's queue holds again after an error (CONS
	 * did not move) is passed again.
	 *
	 * @param cmd a fresh two-word array the hook may keep
	 * @return {@link smmu.hw.arch.Regs#CERROR_NONE} to let the local emulation run the command;
	 *         {@link smmu.hw.arch.Regs#CERROR_ILL} (QEMU's answer to any forwarding failure),
	 *         {@link smmu.hw.arch.Regs#CERROR_ABT} or {@link smmu.hw.arch.Regs#CERROR_ATC_INV_SYNC} to stop
	 *         the queue at this command exactly as for an architecturally illegal one: CONS stays on it,
	 *         CMDQ_CONS.ERR takes the code, GERROR.CMDQ_ERR toggles, and nothing more is consumed until
	 *         the guest acknowledges in GERRORN. Other values, and a RuntimeException thrown by the hook,
	 *         count as CERROR_ILL, so that nothing the guest queues makes the register write throw.
	 */
	int command(long[] cmd);

	/**
	 * Called after a GBPA write with UPDATE set has taken effect (QEMU then attaches the abort or bypass
	 * HWPT to every device), with the new GBPA value (UPDATE clear), whatever CR0.SMMUEN is. Also called
	 * with 0x1000 after {@link EmulatedSmmu#reset}. Writes without UPDATE are ignored and not reported.
	 * Like QEMU, which reports a failed HWPT attach without failing the MMIO write, the hook should not
	 * throw: an exception reaches the thread that wrote GBPA (the write has taken effect).
	 */
	void gbpaWritten(int gbpa);

	/**
	 * Called after every CR0 write, once CR0ACK has taken the value and the command queue has run (where
	 * QEMU allocates the vEVENTQ once EVENTQEN is set), with the value written. It should not throw: an
	 * exception reaches the thread that wrote CR0 (the write has taken effect).
	 */
	void cr0Written(int cr0);
}
