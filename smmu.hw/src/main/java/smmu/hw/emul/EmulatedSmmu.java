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
	 * {@code smmuv3_propagate_event} does for a record read from the host's vEVENTQ (the StreamID is
	 * already the guest's vSID), and pulses the EVENTQ interrupt if EVENTQ_IRQEN is set. The queue
	 * follows the architecture: with CR0.EVENTQEN = 0 the event is dropped; on a full queue it is lost
	 * and EVENTQ_PROD.OVFLG toggles (once per overflow episode, until the guest acknowledges it in
	 * EVENTQ_CONS.OVACKFLG); a record write that aborts raises GERROR.EVENTQ_ABT_ERR. QEMU instead raises
	 * GERROR.EVENTQ_ABT_ERR for a full or disabled queue. Only the fields {@link Event} carries are
	 * written; the others of the record are zero. Never throws for guest state; safe from any thread.
	 */
	void inject(Event event);

	/**
	 * Device reset as QEMU's {@code smmu_reset_exit}: CR0, CR0ACK, IRQ_CTRL, GERROR, GERRORN = 0,
	 * GBPA = 0x1000, queue pointers 0 and queue LOG2SIZE at the maximum; ID registers kept; the config
	 * cache and TLB emptied. Then {@link FrontEndHooks#gbpaWritten} is called with 0x1000, as
	 * {@code smmuv3_accel_reset} attaches the GBPA HWPT.
	 */
	void reset();
}
