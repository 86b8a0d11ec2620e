package smmu.iommufd.impl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import smmu.iommufd.ObjectType;
import smmu.iommufd.Vevent;
import smmu.iommufd.VeventqAlloc;
import smmu.iommufd.arm.VeventSink;

/**
 * A VEVENTQ object ({@code struct iommufd_veventq}): at most {@code depth} vEVENTs waiting; when
 * full, one LOST_EVENTS header is queued (no more while it waits) and further events are dropped.
 * Every queued record, the header included, takes the next sequence number (0..INT_MAX, wrapping).
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

	Veventq(Viommu viommu, int vtype, int depth) {
		super(ObjectType.VEVENTQ, List.of(viommu));
		this.viommu = viommu;
		this.vtype = vtype;
		this.depth = Integer.toUnsignedLong(depth);
	}

	/** {@code iommufd_viommu_report_event} for this queue's type. */
	@Override
	public synchronized boolean deliver(long[] evt) {
		if (gone) {
			return false;
		}
		if (numEvents == depth) {
			if (!lostQueued) {
				lostQueued = true;
				queue(new Vevent(Vevent.FLAG_LOST_EVENTS, sequence, null));
			}
			return true;
		}
		numEvents++;
		queue(new Vevent(0, sequence, evt));
		return true;
	}

	private void queue(Vevent v) {
		deliver.addLast(v);
		sequence = (sequence + 1) & Integer.MAX_VALUE;
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

	synchronized int pending() {
		return deliver.size();
	}

	@Override
	protected void destroyed() {
		synchronized (this) {
			gone = true;
			deliver.clear();
		}
		viommu.veventqs.remove(vtype);
		if (vtype == VeventqAlloc.TYPE_ARM_SMMUV3) {
			viommu.vsmmu.setEventSink(null);
		}
	}
}
