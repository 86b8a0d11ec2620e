package smmu.hw.emul;

import org.osgi.annotation.versioning.ProviderType;

import smmu.hw.Event;
import smmu.hw.Smmu;

/**
 * An emulated SMMUv3 (a vSMMU) whose {@link #memory()} is guest physical memory. It behaves as any
 * {@link Smmu}: registers, command queue, event queue, local translation of the guest's tables. In
 * addition the VMM can put events into the guest's event queue and reset the device.
 */
@ProviderType
public interface EmulatedSmmu extends Smmu {

	/**
	 * Writes {@code event} into the guest's event queue at EVENTQ_PROD, as QEMU's
	 * {@code smmuv3_record_event} does for an event its own emulation raises, and pulses the EVENTQ
	 * interrupt if EVENTQ_IRQEN is set. The queue follows QEMU's {@code smmuv3_write_eventq}, not the
	 * architecture: with CR0.EVENTQEN = 0 or a full queue the event is lost and GERROR.EVENTQ_ABT_ERR is
	 * raised (no EVENTQ_PROD.OVFLG); a record write that aborts raises it too. Only the fields
	 * {@link Event} carries are written; the others of the record are zero. Never throws for guest
	 * state; safe from any thread.
	 */
	void inject(Event event);

	/**
	 * QEMU's {@code smmuv3_propagate_event} for a record read from the host's vEVENTQ: the four words are
	 * written verbatim (the kernel already put the vSID in), under the same queue rules as
	 * {@link #inject}.
	 *
	 * @throws IllegalArgumentException unless {@code record} has four words
	 */
	void propagate(long[] record);

	/**
	 * Device reset as QEMU's {@code smmu_reset_exit}: CR0, CR0ACK, IRQ_CTRL, GERROR, GERRORN = 0,
	 * GBPA = 0x1000, queue pointers 0 and queue LOG2SIZE at the maximum; ID registers kept; the config
	 * cache and TLB emptied. Then {@link FrontEndHooks#gbpaWritten} is called with 0x1000, as
	 * {@code smmuv3_accel_reset} attaches the GBPA HWPT.
	 */
	void reset();
}
