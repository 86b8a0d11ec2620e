package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import smmu.hw.Smmu;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.arch.Ste;
import smmu.hw.testing.TestHost;
import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.Ioctls;
import smmu.iommufd.ObjectType;
import smmu.iommufd.VmmAddressSpace;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.arm.Master;

/**
 * Randomized raw ioctls from a fixed seed (issue 10, item 6): two VMs, each with its own context
 * over disjoint host memory and two devices (one behind each of two SMMUs, which the VMs share),
 * in both kernel modes. Each call's struct is built from plausible values (live IDs, the other
 * VM's IDs, mapped and unmapped user VAs, aligned and wild IOVAs, random flags, vSTEs and
 * invalidation commands), then possibly mutated (bytes flipped, size changed, placed in read-only
 * or unmapped memory). After every call: no Java exception but {@link IommufdException} escaped;
 * the errno is one Linux can return for that ioctl; a failed call left both VMs' object tables,
 * IOAS mappings and device STEs as they were (except the copy-back EFAULT that Linux also
 * leaves the work of: IOAS_MAP/UNMAP/COPY, OPTION and HWPT_INVALIDATE with a read-only struct); and
 * no device of one VM translates to the other VM's memory. The parallel run makes the same calls
 * from several threads and checks the same per-call rules, then the isolation and the object
 * graph. No call may take 5 s or more (the hangs of issue 10). {@code -Dsmmu.fuzz.iterations=N} and {@code -Dsmmu.fuzz.seed=S} run longer or elsewhere
 * (docs/iommufd.md).
 */
class UapiFuzzTest {
	static final long SEED = Long.getLong("smmu.fuzz.seed", 0x10_6_0001L);
	static final int STEPS = Integer.getInteger("smmu.fuzz.iterations", 1500);
	static final long PAGE = 0x1000;
	/** Per VM: RAM at user VA {@link #VA}, the struct pages at {@link #ARG}, one read-only page after them. */
	static final long VA = 0x7f00_0000_0000L, RAM = 8L << 20, ARG = 0x7e00_0000_0000L, ARG_LEN = 0x10000,
			ARG_RO = ARG + ARG_LEN;
	/** Each VM's host memory window: RAM, then the struct pages. */
	static final long WINDOW = 32L << 20;
	static final long[] WINDOW_BASE = { 0x1_0000_0000L, 0x2_0000_0000L };
	static final int[] CMDS = { Ioctls.IOMMU_DESTROY, Ioctls.IOMMU_IOAS_ALLOC, Ioctls.IOMMU_IOAS_ALLOW_IOVAS, Ioctls.IOMMU_IOAS_COPY,
			Ioctls.IOMMU_IOAS_IOVA_RANGES, Ioctls.IOMMU_IOAS_MAP, Ioctls.IOMMU_IOAS_UNMAP, Ioctls.IOMMU_OPTION, Ioctls.IOMMU_VFIO_IOAS,
			Ioctls.IOMMU_HWPT_ALLOC, Ioctls.IOMMU_GET_HW_INFO, Ioctls.IOMMU_HWPT_INVALIDATE, Ioctls.IOMMU_FAULT_QUEUE_ALLOC,
			Ioctls.IOMMU_VIOMMU_ALLOC, Ioctls.IOMMU_VDEVICE_ALLOC, Ioctls.IOMMU_HW_QUEUE_ALLOC };
	/** Sizes: the kernel's struct and its minimum. */
	static final Map<Integer, int[]> SIZES = new HashMap<>();
	/** The errnos Linux can return per ioctl, beyond EFAULT, EINVAL and E2BIG (size rules, copies). */
	static final Map<Integer, Set<Errno>> ERRNOS = new HashMap<>();
	/** The raw ioctls whose copy-back can fail after their work is done (iommufd_ucmd_respond). */
	static final Set<Integer> KEEP_WORK = Set.of(Ioctls.IOMMU_IOAS_MAP, Ioctls.IOMMU_IOAS_UNMAP, Ioctls.IOMMU_IOAS_COPY, Ioctls.IOMMU_OPTION,
			Ioctls.IOMMU_HWPT_INVALIDATE);
	static final int ATTACH = -1, DETACH = -2, PASID_ATTACH = -3;

	static {
		size(Ioctls.IOMMU_DESTROY, 8, 8, Errno.ENOENT, Errno.EBUSY);
		size(Ioctls.IOMMU_IOAS_ALLOC, 12, 12, Errno.EOPNOTSUPP);
		size(Ioctls.IOMMU_IOAS_ALLOW_IOVAS, 24, 24, Errno.EOPNOTSUPP, Errno.ENOENT, Errno.EADDRINUSE);
		// iopt_insert_area: WRITE on pages pinned read-only is EPERM
		size(Ioctls.IOMMU_IOAS_COPY, 40, 40, Errno.EOPNOTSUPP, Errno.EOVERFLOW, Errno.ENOENT, Errno.EEXIST, Errno.ENOSPC, Errno.EPERM);
		size(Ioctls.IOMMU_IOAS_IOVA_RANGES, 32, 32, Errno.EOPNOTSUPP, Errno.ENOENT, Errno.EMSGSIZE);
		// EPERM: the model pins at MAP time (docs/iommufd.md), where Linux would fault later
		size(Ioctls.IOMMU_IOAS_MAP, 40, 40, Errno.EOPNOTSUPP, Errno.EOVERFLOW, Errno.ENOENT, Errno.EEXIST, Errno.ENOSPC, Errno.EPERM);
		size(Ioctls.IOMMU_IOAS_UNMAP, 24, 24, Errno.ENOENT, Errno.EOVERFLOW, Errno.EBUSY);
		size(Ioctls.IOMMU_OPTION, 24, 24, Errno.EOPNOTSUPP, Errno.ENOENT, Errno.EPERM, Errno.EBUSY, Errno.EADDRINUSE);
		size(Ioctls.IOMMU_VFIO_IOAS, 12, 12, Errno.EOPNOTSUPP, Errno.ENODEV, Errno.ENOENT);
		size(Ioctls.IOMMU_HWPT_ALLOC, 48, 24, Errno.EOPNOTSUPP, Errno.ENOENT, Errno.EIO, Errno.ENOSPC, Errno.EADDRINUSE);
		size(Ioctls.IOMMU_GET_HW_INFO, 40, 32, Errno.EOPNOTSUPP, Errno.ENOENT);
		size(Ioctls.IOMMU_HWPT_INVALIDATE, 32, 32, Errno.EOPNOTSUPP, Errno.ENOENT, Errno.EIO, Errno.ENOMEM);
		size(Ioctls.IOMMU_FAULT_QUEUE_ALLOC, 16, 16, Errno.EOPNOTSUPP);
		size(Ioctls.IOMMU_VIOMMU_ALLOC, 40, 24, Errno.EOPNOTSUPP, Errno.ENOENT, Errno.ENOSPC);
		size(Ioctls.IOMMU_VDEVICE_ALLOC, 24, 24, Errno.ENOENT, Errno.EEXIST, Errno.EOPNOTSUPP);
		size(Ioctls.IOMMU_HW_QUEUE_ALLOC, 40, 40, Errno.EOPNOTSUPP, Errno.EOVERFLOW, Errno.ENOENT);
		ERRNOS.put(ATTACH, EnumSet.of(Errno.ENOENT, Errno.EINVAL, Errno.EBUSY, Errno.EADDRINUSE, Errno.ENOSPC, Errno.EOPNOTSUPP));
		ERRNOS.put(DETACH, EnumSet.of(Errno.ENOENT));
		ERRNOS.put(PASID_ATTACH, EnumSet.of(Errno.ENOENT, Errno.EINVAL, Errno.EBUSY, Errno.EADDRINUSE, Errno.ENOSPC, Errno.EOPNOTSUPP));
	}

	static void size(int cmd, int size, int min, Errno... errnos) {
		SIZES.put(cmd, new int[] { size, min });
		EnumSet<Errno> s = EnumSet.of(Errno.EFAULT, Errno.EINVAL, Errno.E2BIG);
		s.addAll(List.of(errnos));
		ERRNOS.put(cmd, s);
	}

	/** One VM: its context over its own memory, its two devices. */
	static final class Vm {
		final int index;
		final VmmAddressSpace mm;
		final Context ctx;
		final String[] bdfs;
		final int[] sids;
		final int[] devIds = new int[2];

		Vm(int index, TestHost hw, IommufdComponent iommufd) {
			this.index = index;
			long pa = WINDOW_BASE[index];
			mm = new VmmAddressSpace(hw.memory);
			mm.map(VA, RAM, pa, true);
			mm.map(ARG, ARG_LEN, pa + RAM, true);
			mm.map(ARG_RO, PAGE, pa + RAM + ARG_LEN, false);
			ctx = (Context) iommufd.open(mm, true);
			bdfs = new String[] { TestHost.bdf(0, index), TestHost.bdf(1, index) };
			sids = new int[] { TestHost.sid(0, index), TestHost.sid(1, index) };
			for (int i = 0; i < 2; i++) {
				devIds[i] = ctx.bindDevice(bdfs[i]);
			}
		}

		boolean owns(long pa) {
			return Long.compareUnsigned(pa - WINDOW_BASE[index], WINDOW) < 0;
		}
	}

	/** One generated call: an ioctl on a VM, or a typed attach/detach. */
	record Call(int cmd, long arg, byte[] struct, String what) {
	}

	TestHost hw;
	HostKernel host;
	Vm[] vms;

	void boot(KernelMode mode, long seed) {
		hw = new TestHost(2, 2, java.util.function.UnaryOperator.identity());
		host = new HostKernel(hw, mode);
		IommufdComponent iommufd = new IommufdComponent(host);
		vms = new Vm[] { new Vm(0, hw, iommufd), new Vm(1, hw, iommufd) };
		// guest RAM holds garbage: CDs and page tables the vSTEs point at are random
		Random r = new Random(seed ^ 0x7a7a);
		byte[] junk = new byte[1 << 16];
		for (Vm vm : vms) {
			for (long off = 0; off < RAM; off += junk.length * 4L) {
				r.nextBytes(junk);
				vm.mm.write(VA + off, junk);
			}
		}
	}

	@AfterEach
	void shutdown() {
		if (host != null) {
			host.deactivate();
		}
	}

	// ---- generating calls

	static long pick(Random r, long... v) {
		return v[r.nextInt(v.length)];
	}

	/** An object ID: mostly one of this VM's live ones, sometimes the other VM's, 0 or anything. */
	static int id(Random r, Vm vm, Vm other) {
		int k = r.nextInt(10);
		List<IommufdObject> objs = (k < 7 ? vm : other).ctx.objects();
		if (k < 9 && !objs.isEmpty()) {
			return objs.get(r.nextInt(objs.size())).id();
		}
		return (int) pick(r, 0, r.nextInt(16), r.nextInt(), -1);
	}

	static int idOf(Random r, Vm vm, Vm other, ObjectType type) {
		if (r.nextInt(5) > 0) {
			List<IommufdObject> objs = vm.ctx.objects().stream().filter(o -> o.type() == type).toList();
			if (!objs.isEmpty()) {
				return objs.get(r.nextInt(objs.size())).id();
			}
		}
		return id(r, vm, other);
	}

	static long iova(Random r) {
		return switch (r.nextInt(8)) {
			case 0 -> 0;
			case 1 -> -1L;
			case 2 -> r.nextLong();
			case 3 -> 0x800_0000L + PAGE * r.nextInt(512);
			default -> PAGE * r.nextInt(2048);
		};
	}

	static long length(Random r) {
		return switch (r.nextInt(8)) {
			case 0 -> 0;
			case 1 -> -1L;
			case 2 -> r.nextLong();
			case 3 -> 1 + r.nextInt(0x3000);
			default -> PAGE * (1 + r.nextInt(64));
		};
	}

	static long uva(Random r) {
		return switch (r.nextInt(8)) {
			case 0 -> VA + RAM - PAGE * r.nextInt(4);
			case 1 -> ARG_RO;
			case 2 -> r.nextLong();
			case 3 -> VA + r.nextInt((int) RAM);
			default -> VA + PAGE * r.nextInt((int) (RAM / PAGE));
		};
	}

	/** MAP/COPY flags: mostly a valid set. */
	static int mapFlags(Random r) {
		return r.nextInt(10) < 7 ? (int) pick(r, 2, 3, 4, 5, 6, 7, 6, 7) : flags(r);
	}

	/** The IOVA of an area the VM mapped, or any IOVA. */
	static long areaIova(Random r, Vm vm) {
		if (r.nextInt(3) > 0) {
			List<Long> iovas = new ArrayList<>();
			synchronized (vm.ctx) {
				for (Obj o : vm.ctx.table().all()) {
					if (o instanceof Ioas i) {
						for (Area a : i.iopt().areas()) {
							iovas.add(a.iova());
						}
					}
				}
			}
			if (!iovas.isEmpty()) {
				return iovas.get(r.nextInt(iovas.size()));
			}
		}
		return iova(r);
	}

	static int flags(Random r) {
		return r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(16);
	}

	/** A user pointer for an array or driver data: into the struct pages (filled by the caller), or wild. */
	static long ptr(Random r, long data) {
		return switch (r.nextInt(10)) {
			case 0 -> 0;
			case 1 -> r.nextLong();
			case 2 -> ARG_RO;
			case 3 -> ARG_RO + PAGE - 8;
			default -> data;
		};
	}

	static ByteBuffer le(int n) {
		return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
	}

	/** Builds one call on {@code vm}; writes the arrays and driver data it points to into the struct pages. */
	static Call generate(Random r, Vm vm, Vm other) {
		if (r.nextInt(100) < 8) {
			int dev = r.nextInt(4) == 0 ? id(r, vm, other) : vm.devIds[r.nextInt(2)];
			if (r.nextInt(3) == 0) {
				return new Call(DETACH, dev, null, "detach " + dev);
			}
			int pt = id(r, vm, other);
			if (r.nextInt(4) == 0) {
				int pasid = r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(3);
				return new Call(PASID_ATTACH, ((long) dev << 32) | (pt & 0xffffffffL), new byte[] { (byte) pasid, (byte) (pasid >> 8),
						(byte) (pasid >> 16), (byte) (pasid >> 24) }, "attach " + dev + " pasid " + pasid + " -> " + pt);
			}
			return new Call(ATTACH, ((long) dev << 32) | (pt & 0xffffffffL), null, "attach " + dev + " -> " + pt);
		}
		int cmd = r.nextInt(40) == 0 ? (int) pick(r, 0x3b7f, 0x3b8b, 0x3b95, 0x4b80, r.nextInt())
				: r.nextInt(6) == 0 ? Ioctls.IOMMU_IOAS_MAP : CMDS[r.nextInt(CMDS.length)];
		int[] sz = SIZES.getOrDefault(cmd, new int[] { 16, 8 });
		ByteBuffer b = le(Math.max(sz[0], 48));
		long data = ARG + 0x1000 + PAGE * r.nextInt(8);
		switch (cmd) {
			case Ioctls.IOMMU_DESTROY -> b.putInt(4, id(r, vm, other));
			case Ioctls.IOMMU_IOAS_ALLOC -> b.putInt(4, r.nextInt(8) == 0 ? 1 : 0);
			case Ioctls.IOMMU_IOAS_ALLOW_IOVAS -> {
				int n = r.nextInt(6) == 0 ? r.nextInt() : r.nextInt(5);
				ByteBuffer ranges = le(16 * 8);
				long start = iova(r);
				for (int i = 0; i < 8; i++) {
					long s = r.nextInt(5) == 0 ? iova(r) : start;
					long l = s + (r.nextInt(6) == 0 ? -1 : PAGE * (1 + r.nextInt(64)) - 1);
					ranges.putLong(16 * i, s).putLong(16 * i + 8, l);
					start = l + 1 + PAGE * r.nextInt(4);
				}
				vm.mm.write(data, ranges.array());
				b.putInt(4, idOf(r, vm, other, ObjectType.IOAS)).putInt(8, n).putInt(12, r.nextInt(10) == 0 ? 1 : 0).putLong(16, ptr(r, data));
			}
			case Ioctls.IOMMU_IOAS_COPY -> b.putInt(4, mapFlags(r)).putInt(8, idOf(r, vm, other, ObjectType.IOAS))
					.putInt(12, idOf(r, vm, other, ObjectType.IOAS)).putLong(16, length(r)).putLong(24, iova(r)).putLong(32, areaIova(r, vm));
			case Ioctls.IOMMU_IOAS_IOVA_RANGES -> b.putInt(4, idOf(r, vm, other, ObjectType.IOAS)).putInt(8, r.nextInt(4))
					.putInt(12, r.nextInt(10) == 0 ? 1 : 0).putLong(16, ptr(r, data));
			case Ioctls.IOMMU_IOAS_MAP -> b.putInt(4, mapFlags(r)).putInt(8, idOf(r, vm, other, ObjectType.IOAS))
					.putInt(12, r.nextInt(10) == 0 ? 1 : 0).putLong(16, uva(r)).putLong(24, length(r)).putLong(32, iova(r));
			case Ioctls.IOMMU_IOAS_UNMAP -> {
				boolean all = r.nextInt(8) == 0;
				b.putInt(4, idOf(r, vm, other, ObjectType.IOAS)).putLong(8, all ? 0 : areaIova(r, vm)).putLong(16, all ? -1L : length(r));
			}
			case Ioctls.IOMMU_OPTION -> b.putInt(4, r.nextInt(4)).putShort(8, (short) r.nextInt(3)).putShort(10, (short) (r.nextInt(10) == 0 ? 1 : 0))
					.putInt(12, r.nextBoolean() ? 0 : idOf(r, vm, other, ObjectType.IOAS)).putLong(16, r.nextInt(4) == 0 ? r.nextLong() : r.nextInt(2));
			case Ioctls.IOMMU_VFIO_IOAS -> b.putInt(4, idOf(r, vm, other, ObjectType.IOAS)).putShort(8, (short) r.nextInt(4))
					.putShort(10, (short) (r.nextInt(10) == 0 ? 1 : 0));
			case Ioctls.IOMMU_HWPT_ALLOC -> {
				boolean nested = r.nextBoolean();
				long cfg = pick(r, Ste.CFG_S1_TRANS, Ste.CFG_S1_TRANS, Ste.CFG_BYPASS, Ste.CFG_ABORT, r.nextInt(8));
				long ste0 = (r.nextInt(8) == 0 ? 0 : Ste.V.mask()) | cfg << 1 | (PAGE * r.nextInt((int) (RAM / PAGE)) & ~0x3fL)
						| (r.nextInt(4) == 0 ? (long) r.nextInt(32) << 59 : 0) | (r.nextInt(10) == 0 ? r.nextLong() : 0);
				long ste1 = r.nextInt(3) == 0 ? r.nextLong() & (r.nextBoolean() ? 0x3800_00FFL : -1L) : 0;
				vm.mm.write(data, le(16).putLong(0, ste0).putLong(8, ste1).array());
				int flags = r.nextInt(3) == 0 ? flags(r) : (int) pick(r, 0, 1, 0, 8, 4);
				b.putInt(4, flags).putInt(8, r.nextInt(6) == 0 ? id(r, vm, other) : vm.devIds[r.nextInt(2)])
						.putInt(12, nested ? idOf(r, vm, other, ObjectType.VIOMMU) : idOf(r, vm, other, ObjectType.IOAS))
						.putInt(20, r.nextInt(10) == 0 ? 1 : 0).putInt(24, nested ? (r.nextInt(6) == 0 ? r.nextInt(5) : 2) : (r.nextInt(6) == 0 ? 2 : 0))
						.putInt(28, nested ? (int) pick(r, 16, 16, 16, 0, 8, 24, r.nextInt()) : (r.nextInt(6) == 0 ? 16 : 0))
						.putLong(32, ptr(r, data)).putInt(40, idOf(r, vm, other, ObjectType.FAULT));
			}
			case Ioctls.IOMMU_GET_HW_INFO -> b.putInt(4, r.nextInt(4)).putInt(8, r.nextInt(6) == 0 ? id(r, vm, other) : vm.devIds[r.nextInt(2)])
					.putInt(12, (int) pick(r, 0, 8, 40, 64, r.nextInt(0x3000))).putLong(16, ptr(r, data)).putInt(24, r.nextInt(4))
					.put(29, (byte) (r.nextInt(10) == 0 ? 1 : 0));
			case Ioctls.IOMMU_HWPT_INVALIDATE -> {
				int n = r.nextInt(8) == 0 ? r.nextInt() : r.nextInt(6);
				ByteBuffer cmds = le(16 * 6);
				for (int i = 0; i < 6; i++) {
					long op = pick(r, 0x10, 0x11, 0x12, 0x13, 0x30, 0x28, 0x46, r.nextInt(256));
					cmds.putLong(16 * i, op | (r.nextInt(3) == 0 ? r.nextLong() & ~0xffL : (long) r.nextInt(4) << 48))
							.putLong(16 * i + 8, r.nextInt(3) == 0 ? r.nextLong() : PAGE * r.nextInt(64));
				}
				vm.mm.write(data, cmds.array());
				b.putInt(4, r.nextInt(4) == 0 ? id(r, vm, other) : idOf(r, vm, other, ObjectType.VIOMMU)).putLong(8, ptr(r, data))
						.putInt(16, r.nextInt(6) == 0 ? r.nextInt(3) : 1).putInt(20, (int) pick(r, 16, 16, 16, 0, 8, 32))
						.putInt(24, n).putInt(28, r.nextInt(10) == 0 ? 1 : 0);
			}
			case Ioctls.IOMMU_FAULT_QUEUE_ALLOC -> b.putInt(4, r.nextInt(6) == 0 ? 1 : 0);
			case Ioctls.IOMMU_VIOMMU_ALLOC -> b.putInt(4, r.nextInt(8) == 0 ? 1 : 0).putInt(8, r.nextInt(5) == 0 ? r.nextInt(3) : 1)
					.putInt(12, r.nextInt(6) == 0 ? id(r, vm, other) : vm.devIds[r.nextInt(2)])
					.putInt(16, idOf(r, vm, other, ObjectType.HWPT_PAGING));
			case Ioctls.IOMMU_VDEVICE_ALLOC -> b.putInt(4, idOf(r, vm, other, ObjectType.VIOMMU))
					.putInt(8, r.nextInt(6) == 0 ? id(r, vm, other) : vm.devIds[r.nextInt(2)])
					.putLong(16, r.nextInt(6) == 0 ? r.nextLong() : r.nextInt(4));
			case Ioctls.IOMMU_HW_QUEUE_ALLOC -> b.putInt(4, r.nextInt(6) == 0 ? 1 : 0).putInt(8, idOf(r, vm, other, ObjectType.VIOMMU))
					.putInt(12, r.nextInt(3)).putInt(16, r.nextInt(3)).putLong(24, iova(r)).putLong(32, length(r));
			default -> {
				// an unknown request: only its size is read
			}
		}
		// the size: mostly the kernel's, sometimes the minimum, longer (zero or not) or too short
		int size = sz[0];
		byte[] struct;
		int k = r.nextInt(20);
		if (k == 0) {
			size = r.nextInt(sz[1]);
		} else if (k == 1) {
			size = sz[1];
		} else if (k <= 3) {
			size = sz[0] + 1 + r.nextInt(64);
		}
		struct = new byte[Math.max(size, 4)];
		System.arraycopy(b.array(), 0, struct, 0, Math.min(struct.length, Math.min(sz[0], b.capacity())));
		ByteBuffer.wrap(struct).order(ByteOrder.LITTLE_ENDIAN).putInt(0, size);
		if (k == 3) {
			struct[struct.length - 1 - r.nextInt(struct.length - sz[0])] = (byte) (1 + r.nextInt(255));
		}
		// mutation: a few random bytes flipped, the size field included
		if (r.nextInt(5) == 0) {
			for (int m = 1 + r.nextInt(3); m > 0; m--) {
				struct[r.nextInt(struct.length)] ^= (byte) (1 << r.nextInt(8));
			}
		}
		long arg = switch (r.nextInt(20)) {
			case 0, 1 -> ARG_RO;
			case 2 -> ARG_RO + PAGE - 2;
			case 3 -> r.nextBoolean() ? 0 : r.nextLong();
			default -> ARG;
		};
		return new Call(cmd, arg, struct, String.format("ioctl 0x%x at 0x%x: %s", cmd, arg, hex(struct)));
	}

	static String hex(byte[] b) {
		StringBuilder s = new StringBuilder();
		for (byte x : b) {
			s.append(String.format("%02x", x));
		}
		return s.toString();
	}

	/** Runs a call; returns its errno, or null when it succeeded. */
	static Errno run(Vm vm, Call c, TestHost hw) {
		if (c.cmd() >= 0 && c.struct() != null && c.arg() != 0 && Long.compareUnsigned(c.arg() - ARG, ARG_LEN + PAGE) < 0) {
			// the VMM wrote its struct before the call (through its own mapping, read-only page included)
			for (int done = 0; done < c.struct().length;) {
				long va = c.arg() + done;
				VmmAddressSpace.Mapping m = vm.mm.lookup(va);
				if (m == null) {
					break;
				}
				int n = (int) Math.min(c.struct().length - done, m.last() - va + 1);
				hw.memory.write(m.hostPa(va), c.struct(), done, n);
				done += n;
			}
		}
		try {
			switch (c.cmd()) {
				case ATTACH -> vm.ctx.attachDevice((int) (c.arg() >>> 32), (int) c.arg());
				case DETACH -> vm.ctx.detachDevice((int) c.arg());
				case PASID_ATTACH -> vm.ctx.attachDevicePasid((int) (c.arg() >>> 32), ByteBuffer.wrap(c.struct()).order(ByteOrder.LITTLE_ENDIAN).getInt(0),
						(int) c.arg());
				default -> vm.ctx.ioctl(c.cmd(), c.arg());
			}
			return null;
		} catch (IommufdException e) {
			return e.errno();
		}
	}

	static Set<Errno> allowed(int cmd) {
		return ERRNOS.getOrDefault(cmd, EnumSet.of(Errno.ENOTTY, Errno.EFAULT));
	}

	// ---- invariants

	/** What a failed call must not change: both VMs' objects, IOASes, pins, and every master's STEs. */
	String digest() {
		StringBuilder b = new StringBuilder();
		for (Vm vm : vms) {
			b.append(vm.ctx.objects());
			synchronized (vm.ctx) {
				for (Obj o : vm.ctx.table().all()) {
					if (o instanceof Ioas i) {
						b.append('\n').append(o.id()).append(": ").append(i.iopt());
						for (Area a : i.iopt().areas()) {
							b.append(Fixture.segments(a));
						}
					}
				}
			}
			b.append("\npinned ").append(vm.ctx.pinnedPages()).append('\n');
		}
		for (Master m : host.kernel().masters()) {
			b.append(m).append(' ');
			for (int sid : m.sids()) {
				b.append(java.util.Arrays.toString(m.smmu().driver().readSte(sid)));
			}
		}
		return b.toString();
	}

	/**
	 * No VM reaches the other's memory: every page an IOAS pinned is the VM's own, and each of its
	 * devices translates the IOVAs both VMs mapped (and a few others) only into its own window.
	 */
	void isolated(Random r, String where) {
		List<Long> iovas = new ArrayList<>();
		for (Vm vm : vms) {
			synchronized (vm.ctx) {
				for (Obj o : vm.ctx.table().all()) {
					if (o instanceof Ioas i) {
						for (Area a : i.iopt().areas()) {
							a.forEachSegment((iova, pa, len) -> {
								assertTrue(vm.owns(pa) && vm.owns(pa + len - 1),
										where + ": VM " + vm.index + " pinned host PA 0x" + Long.toHexString(pa) + " outside its memory");
								iovas.add(iova);
								iovas.add(iova + len - 1);
							});
						}
					}
				}
			}
		}
		for (int i = 0; i < 4; i++) {
			iovas.add(PAGE * r.nextInt(4096));
		}
		for (Vm vm : vms) {
			for (int d = 0; d < 2; d++) {
				Smmu smmu = hw.smmus().get(d);
				for (long iova : iovas) {
					TranslationResult t = smmu.translate(TranslationRequest.read(vm.sids[d], iova));
					if (t instanceof TranslationResult.Translated tr) {
						assertTrue(vm.owns(tr.pa()), where + ": VM " + vm.index + " device " + vm.bdfs[d] + " IOVA 0x" + Long.toHexString(iova)
								+ " -> host PA 0x" + Long.toHexString(tr.pa()) + " outside its memory");
					}
				}
			}
		}
	}

	@ParameterizedTest
	@EnumSource(KernelMode.class)
	void randomCallsKeepTheUapiRules(KernelMode mode) {
		long seed = SEED ^ mode.ordinal();
		boot(mode, seed);
		Random r = new Random(seed);
		Map<Errno, Integer> seen = new java.util.TreeMap<>();
		Map<String, Integer> succeeded = new java.util.TreeMap<>();
		int ok = 0;
		for (int step = 0; step < STEPS; step++) {
			Vm vm = vms[r.nextInt(2)], other = vms[1 - vm.index];
			Call c = generate(r, vm, other);
			String where = mode + " seed " + seed + " step " + step + " VM " + vm.index + " " + c.what();
			String before = digest();
			Errno errno;
			long t0 = System.nanoTime();
			try {
				errno = run(vm, c, hw);
			} catch (Throwable e) {
				throw new AssertionError(where + ": a Java exception escaped: " + e, e);
			}
			long ms = (System.nanoTime() - t0) / 1_000_000;
			assertTrue(ms < 5000, where + ": the call took " + ms + " ms");
			if (errno == null) {
				ok++;
				succeeded.merge(String.format("0x%x", c.cmd() & 0xffff), 1, Integer::sum);
			} else {
				seen.merge(errno, 1, Integer::sum);
				assertTrue(allowed(c.cmd()).contains(errno), where + ": errno " + errno + " is not one Linux returns here");
				boolean keepsWork = errno == Errno.EFAULT && KEEP_WORK.contains(c.cmd())
						&& Long.compareUnsigned(c.arg() - ARG_RO, PAGE) < 0;
				if (!keepsWork) {
					assertEquals(before, digest(), where + ": the failed call (" + errno + ") changed state");
				}
			}
			isolated(r, where);
		}
		System.out.printf("uapi fuzz %s seed %d: %d calls, %d succeeded %s, errnos %s, objects at the end %s%n", mode, seed, STEPS, ok, succeeded,
				seen, java.util.Arrays.stream(vms).map(v -> v.ctx.objects().stream()
						.collect(java.util.stream.Collectors.groupingBy(IommufdObject::type, java.util.TreeMap::new, java.util.stream.Collectors.counting())))
						.toList());
		assertTrue(ok > STEPS / 20, "too few calls succeed to exercise anything: " + ok);
	}

	@ParameterizedTest
	@EnumSource(KernelMode.class)
	void parallelCallsKeepTheUapiRules(KernelMode mode) throws Exception {
		long seed = SEED ^ 0x9a7a ^ mode.ordinal();
		boot(mode, seed);
		ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
		List<Thread> threads = new ArrayList<>();
		for (int t = 0; t < 4; t++) {
			long tseed = seed + t;
			threads.add(new Thread(() -> {
				Random r = new Random(tseed);
				for (int step = 0; step < STEPS / 4 && errors.isEmpty(); step++) {
					// two threads per VM share its struct pages: a thread may find another's struct, still input to survive
					Vm vm = vms[(int) (tseed - seed) % 2], other = vms[1 - vm.index];
					Call c = generate(r, vm, other);
					String where = mode + " thread seed " + tseed + " step " + step + " " + c.what();
					try {
						Errno errno = run(vm, c, hw);
						if (errno != null && !allowed(c.cmd()).contains(errno)) {
							errors.add(where + ": errno " + errno);
						}
					} catch (Throwable e) {
						errors.add(where + ": " + e);
					}
				}
			}));
		}
		threads.forEach(Thread::start);
		for (Thread t : threads) {
			t.join();
		}
		assertTrue(errors.isEmpty(), String.join("\n", errors));
		isolated(new Random(seed), mode + " after the parallel run");
		for (Vm vm : vms) {
			// the object graph is consistent: each object's users are the objects referencing it
			List<IommufdObject> objs = vm.ctx.objects();
			for (IommufdObject o : objs) {
				if (o.type() == ObjectType.DEVICE) {
					continue;
				}
				long refs = objs.stream().filter(x -> x.references().contains(o.id())).count();
				assertTrue(o.users() >= refs, mode + ": " + o + " has fewer users than referencing objects " + objs);
			}
			vm.ctx.close();
			assertEquals(0, vm.ctx.pinnedPages());
		}
	}
}
