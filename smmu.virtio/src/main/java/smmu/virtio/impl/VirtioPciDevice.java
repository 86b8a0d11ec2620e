package smmu.virtio.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import smmu.hw.PciBar;
import smmu.hw.PciBarHandler;
import smmu.hw.PciCapability;
import smmu.hw.PciFunction;
import smmu.hw.PciHeader;
import smmu.virtio.VirtioDeviceInfo;

/**
 * A modern (virtio 1.x, non-transitional) virtio-pci block device, laid out as QEMU's virtio-pci lays
 * it out: BAR 4 (64-bit, prefetchable, 16 KiB) holds the common configuration at 0x0000, the ISR at
 * 0x1000, the device configuration at 0x2000 and the notifications at 0x3000 (multiplier 4), each
 * described by a vendor-specific capability. No MSI-X capability (and no MSI): the driver falls back to
 * INTx, which is what the accel path can deliver under TCG. One split virtqueue of up to 256 entries.
 *
 * <p>A notification hands the queue to the device's own thread (its DMA engine), which reads the
 * available ring, the descriptors and the buffers, writes the data, the status byte and the used ring,
 * each access a {@link Dma} through the physical SMMU, then raises INTx (ISR bit 0). Reading the ISR
 * clears it and lowers the line, as virtio-pci's ISR does. A DMA the SMMU terminates stops the device:
 * DEVICE_NEEDS_RESET, a configuration-change interrupt, nothing more done until the driver resets it
 * (QEMU's virtio_error).
 */
final class VirtioPciDevice implements PciBarHandler {
	static final int VENDOR = 0x1af4, DEVICE_BLK = 0x1040 + 2, CLASS_STORAGE_SCSI = 0x010000;
	static final int BAR = 4;
	static final long BAR_SIZE = 0x4000;
	static final int COMMON = 0x0000, ISR = 0x1000, DEVICE_CFG = 0x2000, NOTIFY = 0x3000, NOTIFY_MULTIPLIER = 4;
	static final int CFG_COMMON = 1, CFG_NOTIFY = 2, CFG_ISR = 3, CFG_DEVICE = 4;
	static final int QUEUE_MAX = 256;
	static final int NO_VECTOR = 0xffff;
	// device status
	static final int ACKNOWLEDGE = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8, NEEDS_RESET = 0x40, FAILED = 0x80;
	// features
	static final long F_VERSION_1 = 1L << 32, F_ACCESS_PLATFORM = 1L << 33;
	static final long BLK_F_SEG_MAX = 1L << 2, BLK_F_BLK_SIZE = 1L << 6, BLK_F_FLUSH = 1L << 9;
	static final long FEATURES = F_VERSION_1 | F_ACCESS_PLATFORM | BLK_F_SEG_MAX | BLK_F_BLK_SIZE | BLK_F_FLUSH;
	static final int SEG_MAX = 128;
	// split ring
	static final int DESC_F_NEXT = 1, DESC_F_WRITE = 2, DESC_F_INDIRECT = 4, AVAIL_F_NO_INTERRUPT = 1;
	// virtio-blk requests
	static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
	static final int SECTOR = 512;

	private final String bdf;
	private final Path image;
	private final FileChannel file;
	private final long capacity;
	private final Dma dma;
	private final ExecutorService engine;
	private volatile PciFunction function;

	// register state, guarded by this
	private int deviceFeatureSelect, driverFeatureSelect, queueSelect, status, isr;
	private long driverFeatures;
	private int queueSize = QUEUE_MAX;
	private boolean queueEnabled;
	private long queueDesc, queueDriver, queueDevice;
	private int generation; // bumped by every reset: the engine drops work of an older one
	// ring state, owned by the engine thread
	private int lastAvail, usedIdx;
	// counters
	private long requests, bytesRead, bytesWritten, interrupts;

	VirtioPciDevice(String bdf, Path image, Dma dma) throws IOException {
		this.bdf = bdf;
		this.image = image;
		this.file = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
		this.capacity = file.size() / SECTOR;
		if (capacity == 0) {
			file.close();
			throw new IOException(image + " is smaller than one sector");
		}
		this.dma = dma;
		this.engine = Executors.newSingleThreadExecutor(r -> {
			Thread t = new Thread(r, "virtio-blk " + bdf);
			t.setDaemon(true);
			return t;
		});
	}

	/** The configuration space of a virtio-blk function: IDs, BAR 4, the four virtio capabilities, INTA#. */
	static PciHeader header() {
		List<PciBar> bars = new ArrayList<>(List.of(PciBar.NONE, PciBar.NONE, PciBar.NONE, PciBar.NONE, PciBar.mem64(BAR_SIZE, true), PciBar.NONE));
		List<PciCapability> caps = List.of(cap(CFG_COMMON, COMMON, 0x1000, -1), cap(CFG_ISR, ISR, 0x1000, -1),
				cap(CFG_DEVICE, DEVICE_CFG, 0x1000, -1), cap(CFG_NOTIFY, NOTIFY, 0x1000, NOTIFY_MULTIPLIER));
		return new PciHeader(VENDOR, DEVICE_BLK, VENDOR, 0x1100, 1, CLASS_STORAGE_SCSI, 1, 4096, bars, 0, true, 0, 0, 0, caps);
	}

	/** struct virtio_pci_cap (16 bytes) or virtio_pci_notify_cap (20), less the ID and next bytes. */
	private static PciCapability cap(int type, int offset, int length, int multiplier) {
		ByteBuffer b = ByteBuffer.allocate(multiplier < 0 ? 14 : 18).order(ByteOrder.LITTLE_ENDIAN);
		b.put((byte) (b.capacity() + 2)).put((byte) type).put((byte) BAR).put((byte) 0).putShort((short) 0);
		b.putInt(offset).putInt(length);
		if (multiplier >= 0) {
			b.putInt(multiplier);
		}
		return new PciCapability(PciCapability.VENDOR_SPECIFIC, b.array());
	}

	void connect(PciFunction f) {
		function = f;
		f.setBarHandler(this);
	}

	long capacity() {
		return capacity;
	}

	// ---- BAR 4

	@Override
	public long read(int bar, long offset, int size) {
		if (bar != BAR) {
			return 0;
		}
		if (offset >= ISR && offset < ISR + 0x1000) {
			return readIsr();
		}
		synchronized (this) {
			if (offset < COMMON + 0x1000) {
				return common((int) offset, size);
			}
			if (offset >= DEVICE_CFG && offset < DEVICE_CFG + 0x1000) {
				return deviceConfig((int) (offset - DEVICE_CFG), size);
			}
		}
		return 0;
	}

	@Override
	public void write(int bar, long offset, int size, long value) {
		if (bar != BAR) {
			return;
		}
		if (offset >= NOTIFY && offset < NOTIFY + 0x1000) {
			// queue_notify_off 0 for the only queue: the value is the queue index (no NOTIFICATION_DATA)
			if ((value & 0xffff) == 0) {
				kick();
			}
			return;
		}
		boolean lower = false;
		synchronized (this) {
			if (offset < COMMON + 0x1000) {
				lower = setCommon((int) offset, size, value);
			}
		}
		if (lower) {
			setIntx(false);
		}
	}

	private long common(int off, int size) {
		long v = switch (off) {
		case 0x00 -> deviceFeatureSelect;
		case 0x04 -> deviceFeatureSelect < 2 ? (FEATURES >>> (32 * deviceFeatureSelect)) & 0xffffffffL : 0;
		case 0x08 -> driverFeatureSelect;
		case 0x0c -> driverFeatureSelect < 2 ? (driverFeatures >>> (32 * driverFeatureSelect)) & 0xffffffffL : 0;
		case 0x10 -> NO_VECTOR; // config_msix_vector: no MSI-X
		case 0x12 -> 1; // num_queues
		case 0x14 -> status;
		case 0x15 -> 0; // config_generation: the configuration never changes
		case 0x16 -> queueSelect;
		case 0x18 -> queueSelect == 0 ? queueSize : 0;
		case 0x1a -> NO_VECTOR;
		case 0x1c -> queueSelect == 0 && queueEnabled ? 1 : 0;
		case 0x1e -> 0; // queue_notify_off
		case 0x20 -> queueSelect == 0 ? queueDesc : 0;
		case 0x24 -> queueSelect == 0 ? queueDesc >>> 32 : 0;
		case 0x28 -> queueSelect == 0 ? queueDriver : 0;
		case 0x2c -> queueSelect == 0 ? queueDriver >>> 32 : 0;
		case 0x30 -> queueSelect == 0 ? queueDevice : 0;
		case 0x34 -> queueSelect == 0 ? queueDevice >>> 32 : 0;
		default -> 0;
		};
		return size == 8 && (off == 0x20 || off == 0x28 || off == 0x30) ? v : v & ((1L << (8 * Math.min(size, 4))) - 1);
	}

	/** Returns true when the write reset the device (the line must drop, outside the lock). */
	private boolean setCommon(int off, int size, long v) {
		boolean q = queueSelect == 0 && !queueEnabled; // queue registers are writable until the queue is enabled
		switch (off) {
		case 0x00 -> deviceFeatureSelect = (int) v;
		case 0x08 -> driverFeatureSelect = (int) v;
		case 0x0c -> {
			if (driverFeatureSelect < 2 && (status & FEATURES_OK) == 0) {
				int shift = 32 * driverFeatureSelect;
				driverFeatures = (driverFeatures & ~(0xffffffffL << shift)) | ((v & 0xffffffffL) << shift);
			}
		}
		case 0x14 -> {
			int s = (int) v & 0xff;
			if (s == 0) {
				resetLocked();
				return true;
			}
			// FEATURES_OK only for a subset of what the device offers that includes VERSION_1
			if ((s & FEATURES_OK) != 0 && (status & FEATURES_OK) == 0 && ((driverFeatures & ~FEATURES) != 0 || (driverFeatures & F_VERSION_1) == 0)) {
				s &= ~FEATURES_OK;
			}
			status = s | (status & NEEDS_RESET);
		}
		case 0x16 -> queueSelect = (int) v & 0xffff;
		case 0x18 -> {
			int n = (int) v & 0xffff;
			if (q && n != 0 && n <= QUEUE_MAX && Integer.bitCount(n) == 1) {
				queueSize = n;
			}
		}
		case 0x1c -> {
			if (queueSelect == 0 && (v & 1) != 0) {
				queueEnabled = true;
			}
		}
		case 0x20 -> queueDesc = q ? set(queueDesc, v, size, false) : queueDesc;
		case 0x24 -> queueDesc = q ? set(queueDesc, v, 4, true) : queueDesc;
		case 0x28 -> queueDriver = q ? set(queueDriver, v, size, false) : queueDriver;
		case 0x2c -> queueDriver = q ? set(queueDriver, v, 4, true) : queueDriver;
		case 0x30 -> queueDevice = q ? set(queueDevice, v, size, false) : queueDevice;
		case 0x34 -> queueDevice = q ? set(queueDevice, v, 4, true) : queueDevice;
		default -> {
			// read-only or no MSI-X vector to set
		}
		}
		return false;
	}

	private static long set(long old, long v, int size, boolean high) {
		if (size == 8) {
			return v;
		}
		return high ? (old & 0xffffffffL) | (v & 0xffffffffL) << 32 : (old & ~0xffffffffL) | (v & 0xffffffffL);
	}

	/** struct virtio_blk_config: capacity, size_max, seg_max, geometry, blk_size. */
	private long deviceConfig(int off, int size) {
		ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
		b.putLong(0, capacity).putInt(12, SEG_MAX).putInt(20, SECTOR);
		if (off + size > 64) {
			return 0;
		}
		long v = 0;
		for (int i = 0; i < size; i++) {
			v |= (b.get(off + i) & 0xffL) << (8 * i);
		}
		return v;
	}

	private int readIsr() {
		int v;
		synchronized (this) {
			v = isr;
			isr = 0;
		}
		if (v != 0) {
			setIntx(false);
		}
		return v;
	}

	@Override
	public synchronized void reset() {
		resetLocked(); // the function lowered its pin itself
	}

	private void resetLocked() {
		status = 0;
		isr = 0;
		driverFeatures = 0;
		deviceFeatureSelect = driverFeatureSelect = queueSelect = 0;
		queueSize = QUEUE_MAX;
		queueEnabled = false;
		queueDesc = queueDriver = queueDevice = 0;
		generation++;
		if (!engine.isShutdown()) {
			engine.execute(this::resetRing);
		}
	}

	private void resetRing() {
		lastAvail = 0;
		usedIdx = 0;
	}

	private void setIntx(boolean level) {
		PciFunction f = function;
		if (f != null) {
			f.setIntx(level);
		}
	}

	// ---- the DMA engine (one thread)

	void kick() {
		if (!engine.isShutdown()) {
			engine.execute(this::process);
		}
	}

	private record Ring(int gen, int size, long desc, long avail, long used) {}

	private Ring ring() {
		if (!busMaster()) { // outside our lock: the function's lock is taken before ours (reset)
			return null;
		}
		synchronized (this) {
			if ((status & DRIVER_OK) == 0 || (status & NEEDS_RESET) != 0 || !queueEnabled) {
				return null;
			}
			return new Ring(generation, queueSize, queueDesc, queueDriver, queueDevice);
		}
	}

	private boolean busMaster() {
		PciFunction f = function;
		return f == null || (f.readConfig(PciFunction.COMMAND, 2) & PciFunction.COMMAND_MASTER) != 0;
	}

	private void process() {
		Ring r = ring();
		if (r == null) {
			return;
		}
		boolean notify = false;
		try {
			int availIdx = dma.read16(r.avail + 2);
			int guard = 0;
			while (lastAvail != availIdx && guard++ < r.size) {
				int head = dma.read16(r.avail + 4 + 2L * (lastAvail % r.size));
				int len = request(r, head);
				synchronized (this) {
					if (generation != r.gen) {
						return;
					}
				}
				byte[] e = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(head).putInt(len).array();
				dma.write(r.used + 4 + 8L * (usedIdx % r.size), e, 0, 8);
				usedIdx = (usedIdx + 1) & 0xffff;
				dma.write16(r.used + 2, usedIdx);
				lastAvail = (lastAvail + 1) & 0xffff;
				synchronized (this) {
					requests++;
				}
				notify = true;
				if (lastAvail == availIdx) {
					availIdx = dma.read16(r.avail + 2); // more may have come meanwhile
				}
			}
			if (notify && (dma.read16(r.avail) & AVAIL_F_NO_INTERRUPT) == 0) {
				interrupt(1);
			}
		} catch (Dma.Fault f) {
			needsReset();
		} catch (IOException | RuntimeException e) {
			needsReset();
		}
	}

	private void interrupt(int bit) {
		synchronized (this) {
			isr |= bit;
			interrupts++;
		}
		setIntx(true);
	}

	/** virtio_error: the device stops until the driver resets it, and says so with a configuration interrupt. */
	private void needsReset() {
		synchronized (this) {
			status |= NEEDS_RESET;
		}
		interrupt(2);
	}

	private record Segment(long addr, int len, boolean write) {}

	/** One virtio-blk request from its descriptor chain; returns the bytes written to the driver's buffers. */
	private int request(Ring r, int head) throws Dma.Fault, IOException {
		List<Segment> segs = new ArrayList<>();
		int i = head;
		for (int n = 0; n < r.size; n++) {
			if (i >= r.size) {
				throw new IOException("descriptor index " + i + " past the queue");
			}
			byte[] d = new byte[16];
			dma.read(r.desc + 16L * i, d, 0, 16);
			ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
			long addr = b.getLong(0);
			int len = b.getInt(8), flags = b.getShort(12) & 0xffff, next = b.getShort(14) & 0xffff;
			if ((flags & DESC_F_INDIRECT) != 0) {
				throw new IOException("indirect descriptor: VIRTIO_RING_F_INDIRECT_DESC was not offered");
			}
			segs.add(new Segment(addr, len, (flags & DESC_F_WRITE) != 0));
			if ((flags & DESC_F_NEXT) == 0) {
				break;
			}
			i = next;
		}
		if (segs.size() < 2 || segs.get(0).write() || segs.get(0).len() < 16 || !segs.get(segs.size() - 1).write()) {
			throw new IOException("malformed virtio-blk request");
		}
		byte[] h = new byte[16];
		dma.read(segs.get(0).addr(), h, 0, 16);
		ByteBuffer hb = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
		int type = hb.getInt(0);
		long sector = hb.getLong(8);
		Segment st = segs.get(segs.size() - 1);
		List<Segment> data = segs.subList(1, segs.size());
		long statusAddr = st.addr() + st.len() - 1;
		int written = 0, status = S_OK;
		long pos = sector * SECTOR;
		switch (type) {
		case T_IN -> {
			for (int k = 0; k < data.size(); k++) {
				Segment s = data.get(k);
				int len = k == data.size() - 1 ? s.len() - 1 : s.len();
				if (!s.write() || pos + len > capacity * SECTOR) {
					status = S_IOERR;
					break;
				}
				byte[] buf = new byte[len];
				ByteBuffer bb = ByteBuffer.wrap(buf);
				while (bb.hasRemaining() && file.read(bb, pos + bb.position()) >= 0) {
					// a disk image file shorter than a read is not expected: capacity came from its size
				}
				dma.write(s.addr(), buf, 0, len);
				pos += len;
				written += len;
				synchronized (this) {
					bytesRead += len;
				}
			}
		}
		case T_OUT -> {
			for (int k = 0; k < data.size() - 1; k++) {
				Segment s = data.get(k);
				if (s.write() || pos + s.len() > capacity * SECTOR) {
					status = S_IOERR;
					break;
				}
				byte[] buf = new byte[s.len()];
				dma.read(s.addr(), buf, 0, s.len());
				file.write(ByteBuffer.wrap(buf), pos);
				pos += s.len();
				synchronized (this) {
					bytesWritten += s.len();
				}
			}
		}
		case T_FLUSH -> file.force(false);
		case T_GET_ID -> {
			// the serial (VIRTIO_BLK_ID_BYTES = 20, not NUL-terminated when 20 long) into the first data buffer
			Segment s = data.size() > 1 ? data.get(0) : st;
			int room = s == st ? st.len() - 1 : s.len();
			if (!s.write()) {
				status = S_IOERR;
			} else {
				byte[] id = String.format("smmu-%s", bdf.replace(':', '-')).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
				byte[] out = new byte[Math.min(20, room)];
				System.arraycopy(id, 0, out, 0, Math.min(id.length, out.length));
				dma.write(s.addr(), out, 0, out.length);
				written += out.length;
			}
		}
		default -> status = S_UNSUPP;
		}
		dma.write(statusAddr, new byte[] { (byte) status }, 0, 1);
		return written + 1;
	}

	synchronized VirtioDeviceInfo info() {
		return new VirtioDeviceInfo(bdf, "virtio-blk", image.toString(), capacity, status, driverFeatures, requests, bytesRead, bytesWritten,
				dma.transactions, dma.bytes, dma.faults, interrupts, dma.nanos);
	}

	/** Waits until the engine has done what was handed to it (tests). */
	void drain() throws InterruptedException {
		java.util.concurrent.Future<?> f = engine.submit(() -> {});
		try {
			f.get(30, TimeUnit.SECONDS);
		} catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
			throw new IllegalStateException(e);
		}
	}

	void close() {
		engine.shutdown();
		try {
			engine.awaitTermination(5, TimeUnit.SECONDS);
			file.close();
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		} catch (IOException e) {
			// closing a file we only read and wrote: nothing to do
		}
	}
}
