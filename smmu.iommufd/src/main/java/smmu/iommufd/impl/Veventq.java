package smmu.iommufd.impl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import smmu.iommufd.ObjectType;
import smmu.iommufd.Vevent;
import smmu.iommufd.VeventqAlloc;
import smmu.iommufd.arm.VeventSink;

/**
 * A VEVENTQ object ({@code struct iommufd_veventq}): at most {@code depth} vEVENTs waiting. An
 * event that finds the queue full is lost: the LOST_EVENTS header is (re)queued at the tail with
 * the next sequence number; the next event that fits replaces a header still at the tail, leaving a
 * gap in the sequence ({@code iommufd_vevent_handler}). Sequence numbers run 0..INT_MAX and wrap.
 * Filled from the host's event thread: it has its own lock, not the context's.
 */
final class Veventq extends Obj implements VeventSink {
	final Viommu viommu;
	final int vtype;
	private final long depth;
	private final ArrayDeque<Vevent> deliver = new ArrayDeque<>();
	private long numEvents;
	private int sequence;
	private boolean lostQueued, gone;
	/** The file's poll waiter (wake_up_interruptible), run outside the queue's lock. */
	private Runnable readable;

	@Override
	protected String detail() {
		return "depth " + depth;
	}

	Veventq(Viommu viommu, int vtype, int depth) {
		super(ObjectType.VEVENTQ, List.of(viommu));
		this.viommu = viommu;
		this.vtype = vtype;
		this.depth = Integer.toUnsignedLong(depth);
	}

	/** {@code iommufd_viommu_report_event} for this queue's type. */
	@Override
	public boolean deliver(long[] evt) {
		Runnable wake;
		synchronized (this) {
			if (!deliverLocked(evt)) {
				return false;
			}
			wake = readable;
		}
		if (wake != null) {
			wake.run();
		}
		return true;
	}

	private boolean deliverLocked(long[] evt) {
		if (gone) {
			return false;
		}
		boolean lost = numEvents == depth;
		if (!lost) {
			numEvents++;
		}
		// the header is only ever the tail: whatever comes next takes its place
		if (lostQueued) {
			deliver.removeLast();
		}
		lostQueued = lost;
		deliver.addLast(lost ? new Vevent(Vevent.FLAG_LOST_EVENTS, sequence, null) : new Vevent(0, sequence, evt));
		sequence = (sequence + 1) & Integer.MAX_VALUE;
		return true;
	}

	/** {@code iommufd_veventq_fops_read}: whole records that fit {@code count} bytes. */
	synchronized List<Vevent> read(long count) {
		List<Vevent> out = new ArrayList<>();
		long done = 0;
		while (!deliver.isEmpty()) {
			Vevent v = deliver.peekFirst();
			if (v.bytes() > count - done) {
				break;
			}
			deliver.removeFirst();
			if (v.lostEvents()) {
				lostQueued = false;
			} else {
				numEvents--;
			}
			out.add(v);
			done += v.bytes();
		}
		return out;
	}

	/** iommufd_eventq_fops_poll: whether a record waits. */
	synchronized boolean hasRecords() {
		return !deliver.isEmpty();
	}

	/** Sets the waiter woken whenever a record arrives; returns whether one waits already. */
	synchronized boolean setReadable(Runnable r) {
		readable = r;
		return !deliver.isEmpty();
	}

	/** Lets a test reach the wrap of the sequence without 2^31 events. */
	synchronized void startSequenceAt(int next) {
		sequence = next & Integer.MAX_VALUE;
	}

	@Override
	protected void destroyed() {
		synchronized (this) {
			gone = true;
			deliver.clear();
			readable = null;
		}
		viommu.veventqs.remove(vtype);
		if (vtype == VeventqAlloc.TYPE_ARM_SMMUV3) {
			viommu.vsmmu.setEventSink(null);
		}
	}
}
