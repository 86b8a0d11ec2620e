package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.function.Executable;

import smmu.hw.testing.TestHost;
import smmu.hw.Smmu;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.TranslationResult.Aborted;
import smmu.hw.TranslationResult.Translated;
import smmu.iommufd.Errno;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IommufdException;
import smmu.iommufd.VmmAddressSpace;
import smmu.iommufd.arm.ArmSmmuV3Kernel;
import smmu.iommufd.arm.KernelMode;
import smmu.iommufd.arm.Master;

/**
 * A host of two (or more) SMMUs with one PCI endpoint each ({@link TestHost}), the host kernel in
 * a mode, its iommufd and one context of a VMM whose RAM is {@link #RAM} bytes at user VA
 * {@link #VA} (host PA {@link #PA}), with a scratch page for the structs user space passes by
 * pointer at {@link #SCRATCH}.
 */
abstract class DeviceFixture {
	static final long VA = 0x7f00_0000_0000L, PA = 0x1_0000_0000L, RAM = 16L << 20;
	static final long SCRATCH = 0x7e00_0000_0000L, SCRATCH_PA = 0x2_0000_0000L;
	static final long RO = 0x7d00_0000_0000L, RO_PA = 0x3_0000_0000L;
	static final int RW = IoasMap.READABLE | IoasMap.WRITEABLE;
	static final String BDF0 = TestHost.bdf(0), BDF1 = TestHost.bdf(1);
	static final int SID0 = TestHost.sid(0), SID1 = TestHost.sid(1);

	TestHost hw;
	HostKernel host;
	ArmSmmuV3Kernel kernel;
	IommufdComponent iommufd;
	VmmAddressSpace mm;
	Context ctx;

	void boot(KernelMode mode) {
		boot(mode, 2, UnaryOperator.identity());
	}

	void boot(KernelMode mode, int smmus, UnaryOperator<int[]> idr) {
		hw = new TestHost(smmus, idr);
		host = new HostKernel(hw, mode);
		kernel = host.kernel();
		iommufd = new IommufdComponent(host);
		mm = new VmmAddressSpace(hw.memory);
		mm.map(VA, RAM, PA, true);
		mm.map(SCRATCH, 0x10000, SCRATCH_PA, true);
		mm.map(RO, 0x1000, RO_PA, false);
		ctx = (Context) iommufd.open(mm, true);
	}

	@AfterEach
	void shutdown() {
		if (host != null) {
			host.deactivate();
		}
	}

	Master master(String bdf) {
		return kernel.master(bdf);
	}

	int ioas() {
		return ctx.ioasAlloc(IoasAlloc.request()).outIoasId();
	}

	long map(int ioas, long uva, long length, long iova) {
		return ctx.ioasMap(new IoasMap(IoasMap.FIXED_IOVA | RW, ioas, uva, length, iova)).iova();
	}

	int paging(int flags, int dev, int ioas) {
		return ctx.hwptAlloc(HwptAlloc.paging(flags, dev, ioas)).outHwptId();
	}

	<T> T obj(int id, Class<T> cls) {
		return cls.cast(ctx.table().find(id));
	}

	/** Writes little-endian words at a scratch user VA; returns the VA. */
	long put(long va, long... words) {
		ByteBuffer b = ByteBuffer.allocate(8 * words.length).order(ByteOrder.LITTLE_ENDIAN);
		for (long w : words) {
			b.putLong(w);
		}
		if (!mm.write(va, b.array())) {
			throw new IllegalStateException("cannot write 0x" + Long.toHexString(va));
		}
		return va;
	}

	byte[] get(long va, int n) {
		byte[] b = new byte[n];
		if (!mm.read(va, b)) {
			throw new IllegalStateException();
		}
		return b;
	}

	/** Everything user space, the driver or the hardware could observe of the context and the masters. */
	String state() {
		StringBuilder b = new StringBuilder(ctx.objects().toString());
		for (Obj o : ctx.table().all()) {
			if (o instanceof Ioas i) {
				b.append('\n').append(o.id()).append(": ").append(i.iopt()).append(" usable ").append(i.iopt().usableRanges());
			} else if (o instanceof Viommu v) {
				b.append('\n').append(o.id()).append(": vdevs ").append(v.vdevs.keySet()).append(" veventqs ").append(v.veventqs.keySet());
			}
		}
		for (Master m : kernel.masters()) {
			b.append('\n').append(m).append(' ').append(m.pagingDomain()).append(' ').append(m.nestedDomain()).append(' ').append(m.vmaster());
			for (int sid : m.sids()) {
				b.append(' ').append(java.util.Arrays.toString(m.smmu().driver().readSte(sid)));
			}
		}
		b.append("\nASIDs ").append(kernel.asids().inUse());
		for (smmu.iommufd.arm.ArmSmmuV3 s : kernel.smmus()) {
			b.append(' ').append(s.id()).append(" VMIDs ").append(s.vmids().inUse());
		}
		return b.append("\npinned ").append(ctx.pinnedPages()).toString();
	}

	/** Asserts the call fails with {@code errno} and changes nothing. */
	IommufdException fails(Errno errno, Executable call) {
		String before = state();
		IommufdException e = assertThrows(IommufdException.class, call);
		assertEquals(errno, e.errno(), e.getMessage());
		assertEquals(before, state(), "a failed call must change nothing");
		return e;
	}

	static long translate(Smmu s, int sid, long iova) {
		TranslationResult r = s.translate(TranslationRequest.read(sid, iova));
		return assertInstanceOf(Translated.class, r, () -> r.toString()).pa();
	}

	static Aborted aborts(Smmu s, int sid, long iova) {
		TranslationResult r = s.translate(TranslationRequest.read(sid, iova));
		return assertInstanceOf(Aborted.class, r, () -> r.toString());
	}

	Smmu smmu(int i) {
		return hw.smmus().get(i);
	}
}
