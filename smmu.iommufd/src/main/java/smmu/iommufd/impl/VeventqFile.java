package smmu.iommufd.impl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import smmu.iommufd.UserFile;
import smmu.iommufd.Vevent;

/**
 * A vEVENTQ's file ({@code [iommufd-viommu-event]}, anon inode): read() gives whole records
 * ({@code struct iommufd_vevent_header} then the event data, little-endian), oldest first, as many
 * as fit; an empty queue or a first record that does not fit reads 0 bytes, as
 * iommufd_veventq_fops_read (it never blocks and never says EAGAIN). poll() is readable while a
 * record waits. The file holds a user of the queue object (DESTROY: EBUSY) until it is released.
 */
final class VeventqFile implements UserFile {
	private final Context ctx;
	private final Veventq queue;

	VeventqFile(Context ctx, Veventq queue) {
		this.ctx = ctx;
		this.queue = queue;
	}

	Veventq queue() {
		return queue;
	}

	@Override
	public int read(byte[] dst) {
		List<Vevent> records = queue.read(dst.length);
		ByteBuffer b = ByteBuffer.wrap(dst).order(ByteOrder.LITTLE_ENDIAN);
		for (Vevent v : records) {
			b.putInt(v.flags()).putInt(v.sequence());
			long[] evt = v.evt();
			if (evt != null) {
				for (long w : evt) {
					b.putLong(w);
				}
			}
		}
		return b.position();
	}

	@Override
	public boolean readable() {
		return queue.hasRecords();
	}

	@Override
	public void onReadable(Runnable callback) {
		if (queue.setReadable(callback) && callback != null) {
			callback.run();
		}
	}

	@Override
	public void release() {
		queue.setReadable(null);
		ctx.released(this);
	}
}
