package smmu.iommufd.impl;

import static smmu.iommufd.impl.IoPagetable.err;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import smmu.iommufd.Errno;
import smmu.iommufd.HwInfo;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.HwptInvalidate;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IoasAllowIovas;
import smmu.iommufd.IoasCopy;
import smmu.iommufd.IoasIovaRanges;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IoasMapFile;
import smmu.iommufd.IoasUnmap;
import smmu.iommufd.Ioctls;
import smmu.iommufd.IommufdException;
import smmu.iommufd.IovaRange;
import smmu.iommufd.Option;
import smmu.iommufd.VdeviceAlloc;
import smmu.iommufd.VeventqAlloc;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.UserProcess;
import smmu.iommufd.VmmAddressSpace;

/**
 * The byte-level uAPI (iommufd_fops_ioctl): decodes the little-endian structs of iommufd.h from user
 * memory with copy_struct_from_user's size rules, runs the typed ioctl and copies the struct back
 * (iommufd_ucmd_respond copies min(user size, struct size) bytes).
 */
final class Ioctl {
	private record Op(int cmd, int minSize, int size) {
	}

	private static final int CMD_BASE = 0x80;
	/**
	 * By nr - 0x80, as far as the kernel's table goes (HW_QUEUE_ALLOC, 0x94); null: not modelled
	 * (VFIO_IOAS, dirty tracking, FAULT_QUEUE, HW_QUEUE): ENOTTY once the size was read.
	 */
	private static final Op[] OPS = { new Op(Ioctls.IOMMU_DESTROY, 8, 8), new Op(Ioctls.IOMMU_IOAS_ALLOC, 12, 12),
			new Op(Ioctls.IOMMU_IOAS_ALLOW_IOVAS, 24, 24), new Op(Ioctls.IOMMU_IOAS_COPY, 40, 40),
			new Op(Ioctls.IOMMU_IOAS_IOVA_RANGES, 32, 32), new Op(Ioctls.IOMMU_IOAS_MAP, 40, 40),
			new Op(Ioctls.IOMMU_IOAS_UNMAP, 24, 24), new Op(Ioctls.IOMMU_OPTION, 24, 24), null,
			new Op(Ioctls.IOMMU_HWPT_ALLOC, 24, 48), new Op(Ioctls.IOMMU_GET_HW_INFO, 32, 40), null, null,
			new Op(Ioctls.IOMMU_HWPT_INVALIDATE, 32, 32), null, new Op(Ioctls.IOMMU_IOAS_MAP_FILE, 40, 40),
			new Op(Ioctls.IOMMU_VIOMMU_ALLOC, 24, 40), new Op(Ioctls.IOMMU_VDEVICE_ALLOC, 24, 24),
			new Op(Ioctls.IOMMU_IOAS_CHANGE_PROCESS, 8, 8), new Op(Ioctls.IOMMU_VEVENTQ_ALLOC, 32, 32), null };
	private static final int RANGE_SIZE = 16;

	private Ioctl() {}

	static void execute(Context ctx, int cmd, long arg, UserProcess mm) {
		int nr = cmd & 0xff;
		// nr outside iommufd's table goes to the VFIO compat ioctls, not modelled
		if (nr < CMD_BASE || nr >= CMD_BASE + OPS.length) {
			throw err(Errno.ENOTTY, "ioctl 0x%x", cmd);
		}
		ByteBuffer size = read(mm, arg, 4);
		long userSize = Integer.toUnsignedLong(size.getInt(0));
		Op op = OPS[nr - CMD_BASE];
		if (op == null || op.cmd() != cmd) {
			throw err(Errno.ENOTTY, "ioctl 0x%x", cmd);
		}
		if (userSize < op.minSize()) {
			throw err(Errno.EINVAL, "size %d below the minimum %d", userSize, op.minSize());
		}
		ByteBuffer b = copyStructFromUser(mm, arg, op.size(), userSize);
		switch (cmd) {
		case Ioctls.IOMMU_DESTROY -> ctx.destroy(b.getInt(4));
		case Ioctls.IOMMU_IOAS_ALLOC -> {
			IoasAlloc r = ctx.ioasAlloc(new IoasAlloc(b.getInt(4), 0));
			b.putInt(8, r.outIoasId());
			try {
				respond(mm, arg, b, userSize);
			} catch (IommufdException e) {
				ctx.destroy(r.outIoasId());
				throw e;
			}
		}
		case Ioctls.IOMMU_IOAS_ALLOW_IOVAS -> {
			reserved(b.getInt(12));
			int ioasId = b.getInt(4);
			ctx.ioas(ioasId);
			ctx.ioasAllowIovas(new IoasAllowIovas(ioasId, readRanges(mm, b.getLong(16), b.getInt(8))));
		}
		case Ioctls.IOMMU_IOAS_COPY -> {
			IoasCopy r = ctx.ioasCopy(new IoasCopy(b.getInt(4), b.getInt(8), b.getInt(12), b.getLong(16), b.getLong(24), b.getLong(32)));
			b.putLong(24, r.dstIova());
			respond(mm, arg, b, userSize);
		}
		case Ioctls.IOMMU_IOAS_IOVA_RANGES -> iovaRanges(ctx, mm, arg, b, userSize);
		case Ioctls.IOMMU_IOAS_MAP -> {
			reserved(b.getInt(12));
			IoasMap r = ctx.ioasMap(new IoasMap(b.getInt(4), b.getInt(8), b.getLong(16), b.getLong(24), b.getLong(32)));
			b.putLong(32, r.iova());
			respond(mm, arg, b, userSize);
		}
		case Ioctls.IOMMU_IOAS_UNMAP -> {
			IoasUnmap r = ctx.ioasUnmap(new IoasUnmap(b.getInt(4), b.getLong(8), b.getLong(16)));
			b.putLong(16, r.length());
			respond(mm, arg, b, userSize);
		}
		case Ioctls.IOMMU_OPTION -> {
			reserved(b.getShort(10));
			Option r = ctx.option(new Option(b.getInt(4), b.getShort(8) & 0xffff, b.getInt(12), b.getLong(16)));
			// only val64 is copied back
			write(mm, arg + 16, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, r.val64()));
		}
		case Ioctls.IOMMU_HWPT_ALLOC -> {
			reserved(b.getInt(20));
			HwptAlloc r = ctx.hwptAlloc(new HwptAlloc(b.getInt(4), b.getInt(8), b.getInt(12), 0, b.getInt(24), b.getInt(28), b.getLong(32),
					b.getInt(40)));
			b.putInt(16, r.outHwptId());
			respondOrDestroy(ctx, mm, arg, b, userSize, r.outHwptId());
		}
		case Ioctls.IOMMU_GET_HW_INFO -> {
			reserved(b.get(29) | b.get(30) | b.get(31));
			HwInfo r = ctx.getHwInfo(new HwInfo(b.getInt(4), b.getInt(8), b.getInt(12), b.getLong(16), b.getInt(24), 0, 0));
			b.putInt(12, r.dataLen()).putInt(24, r.dataType()).put(28, (byte) r.outMaxPasidLog2()).putLong(32, r.outCapabilities());
			respond(mm, arg, b, userSize);
		}
		case Ioctls.IOMMU_HWPT_INVALIDATE -> invalidate(ctx, mm, arg, b, userSize);
		case Ioctls.IOMMU_VIOMMU_ALLOC -> {
			reserved(b.getInt(28));
			ViommuAlloc r = ctx.viommuAlloc(new ViommuAlloc(b.getInt(4), b.getInt(8), b.getInt(12), b.getInt(16), 0, b.getInt(24),
					b.getLong(32)));
			b.putInt(20, r.outViommuId());
			respondOrDestroy(ctx, mm, arg, b, userSize, r.outViommuId());
		}
		case Ioctls.IOMMU_VDEVICE_ALLOC -> {
			VdeviceAlloc r = ctx.vdeviceAlloc(new VdeviceAlloc(b.getInt(4), b.getInt(8), 0, b.getLong(16)));
			b.putInt(12, r.outVdeviceId());
			respondOrDestroy(ctx, mm, arg, b, userSize, r.outVdeviceId());
		}
		case Ioctls.IOMMU_IOAS_MAP_FILE -> {
			IoasMapFile r = ctx.ioasMapFile(new IoasMapFile(b.getInt(4), b.getInt(8), b.getInt(12), b.getLong(16), b.getLong(24), b.getLong(32)), mm);
			b.putLong(32, r.iova());
			respond(mm, arg, b, userSize);
		}
		case Ioctls.IOMMU_IOAS_CHANGE_PROCESS -> {
			reserved(b.getInt(4));
			ctx.ioasChangeProcess(mm);
		}
		case Ioctls.IOMMU_VEVENTQ_ALLOC -> veventqAlloc(ctx, mm, arg, b, userSize);
		default -> throw new IllegalStateException();
		}
	}

	/**
	 * iommufd_veventq_alloc: the queue, then its file installed at a new fd of the process, both
	 * written back. The struct is written back (with fd -1) before the fd is installed, so that a
	 * struct the process cannot take back fails with nothing installed.
	 */
	private static void veventqAlloc(Context ctx, UserProcess mm, long arg, ByteBuffer b, long userSize) {
		reserved(b.getInt(28));
		VeventqAlloc r = ctx.veventqAlloc(new VeventqAlloc(b.getInt(4), b.getInt(8), b.getInt(12), b.getInt(16), 0));
		b.putInt(20, r.outVeventqId()).putInt(24, -1);
		respondOrDestroy(ctx, mm, arg, b, userSize, r.outVeventqId());
		VeventqFile file = ctx.openVeventq(r.outVeventqId());
		int fd;
		try {
			fd = mm.installFile(file);
		} catch (RuntimeException e) {
			file.release();
			ctx.destroy(r.outVeventqId());
			throw e;
		}
		write(mm, arg + 24, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, fd));
	}

	/** iommufd_ucmd_respond of a new object: if the struct cannot be copied back the object is destroyed. */
	private static void respondOrDestroy(Context ctx, UserProcess mm, long arg, ByteBuffer b, long userSize, int id) {
		try {
			respond(mm, arg, b, userSize);
		} catch (IommufdException e) {
			ctx.destroy(id);
			throw e;
		}
	}

	/** HWPT_INVALIDATE copies entry_num back on every return. */
	private static void invalidate(Context ctx, UserProcess mm, long arg, ByteBuffer b, long userSize) {
		HwptInvalidate cmd = new HwptInvalidate(b.getInt(4), b.getLong(8), b.getInt(16), b.getInt(20), b.getInt(24));
		IommufdException failed = null;
		int done;
		try {
			if (b.getInt(28) != 0) {
				throw new IommufdException(Errno.EOPNOTSUPP, "__reserved is 0x" + Integer.toHexString(b.getInt(28)), cmd.withEntryNum(0));
			}
			done = ctx.hwptInvalidate(cmd).entryNum();
		} catch (IommufdException e) {
			failed = e;
			done = ((HwptInvalidate) e.response()).entryNum();
		}
		b.putInt(24, done);
		respond(mm, arg, b, userSize);
		if (failed != null) {
			throw failed;
		}
	}

	private static void iovaRanges(Context ctx, UserProcess mm, long arg, ByteBuffer b, long userSize) {
		reserved(b.getInt(12));
		IoasIovaRanges r;
		IommufdException tooSmall = null;
		try {
			r = ctx.ioasIovaRanges(new IoasIovaRanges(b.getInt(4), b.getInt(8), List.of(), 0));
		} catch (IommufdException e) {
			if (e.errno() != Errno.EMSGSIZE) {
				throw e;
			}
			tooSmall = e;
			r = (IoasIovaRanges) e.response();
		}
		long ptr = b.getLong(16);
		for (IovaRange range : r.allowedIovas()) {
			ByteBuffer e = ByteBuffer.allocate(RANGE_SIZE).order(ByteOrder.LITTLE_ENDIAN).putLong(0, range.start()).putLong(8, range.last());
			write(mm, ptr, e);
			ptr += RANGE_SIZE;
		}
		b.putInt(8, r.numIovas());
		b.putLong(24, r.outIovaAlignment());
		respond(mm, arg, b, userSize);
		if (tooSmall != null) {
			throw tooSmall;
		}
	}

	/** Loads the ranges one by one: a fault after an invalid range still reports EINVAL first. */
	private static List<IovaRange> readRanges(UserProcess mm, long ptr, int num) {
		List<IovaRange> out = new ArrayList<>();
		for (long i = 0; i < Integer.toUnsignedLong(num); i++) {
			byte[] e = new byte[RANGE_SIZE];
			if (!mm.read(ptr + i * RANGE_SIZE, e)) {
				IoPagetable.loadAllowed(out);
				throw err(Errno.EFAULT, "allowed_iovas[%d] at 0x%x unreadable", i, ptr + i * RANGE_SIZE);
			}
			ByteBuffer bb = ByteBuffer.wrap(e).order(ByteOrder.LITTLE_ENDIAN);
			out.add(new IovaRange(bb.getLong(0), bb.getLong(8)));
		}
		return out;
	}

	/** copy_struct_from_user: a longer user struct needs a zero tail (else E2BIG); a shorter one is zero-extended. */
	private static ByteBuffer copyStructFromUser(UserProcess mm, long arg, int ksize, long usize) {
		if (usize > ksize) {
			long va = arg + ksize, end = arg + usize;
			while (Long.compareUnsigned(va, end) < 0) {
				long pageEnd = (va | (VmmAddressSpace.PAGE_SIZE - 1)) + 1;
				int n = (int) Math.min(end - va, pageEnd - va);
				byte[] chunk = new byte[n];
				if (!mm.read(va, chunk)) {
					throw err(Errno.EFAULT, "struct tail at 0x%x unreadable", va);
				}
				for (byte x : chunk) {
					if (x != 0) {
						throw err(Errno.E2BIG, "struct of %d bytes has non-zero bytes past the kernel's %d", usize, ksize);
					}
				}
				va += n;
			}
		}
		ByteBuffer b = ByteBuffer.allocate(ksize).order(ByteOrder.LITTLE_ENDIAN);
		byte[] in = read(mm, arg, (int) Math.min(usize, ksize)).array();
		b.put(0, in);
		return b;
	}

	private static void respond(UserProcess mm, long arg, ByteBuffer b, long userSize) {
		int n = (int) Math.min(userSize, b.capacity());
		write(mm, arg, ByteBuffer.wrap(b.array(), 0, n).slice());
	}

	private static ByteBuffer read(UserProcess mm, long va, int length) {
		byte[] buf = new byte[length];
		if (!mm.read(va, buf)) {
			throw err(Errno.EFAULT, "0x%x bytes at user VA 0x%x unreadable", length, va);
		}
		return ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
	}

	private static void write(UserProcess mm, long va, ByteBuffer b) {
		byte[] out = new byte[b.remaining()];
		b.duplicate().get(out);
		if (!mm.write(va, out)) {
			throw err(Errno.EFAULT, "0x%x bytes at user VA 0x%x not writable", out.length, va);
		}
	}

	private static void reserved(int value) {
		if (value != 0) {
			throw err(Errno.EOPNOTSUPP, "__reserved is 0x%x", value);
		}
	}
}
