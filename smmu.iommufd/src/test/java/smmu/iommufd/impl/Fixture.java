package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.function.Executable;

import smmu.hw.SparseMemory;
import smmu.iommufd.Errno;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IommufdException;
import smmu.iommufd.VmmAddressSpace;

/**
 * A VMM with 64 MiB of writable RAM at {@link #VA} (host PA {@link #PA}), 1 MiB read-only at
 * {@link #RO_VA}, nothing mapped after the RAM, and one open context.
 */
abstract class Fixture {
	static final long PAGE = 0x1000;
	static final long ULONG_MAX = -1L;
	static final long VA = 0x7f0000000000L, PA = 0x100000000L, RAM = 64L << 20;
	static final long RO_VA = 0x7f1000000000L, RO_PA = 0x200000000L;
	static final int RW = IoasMap.READABLE | IoasMap.WRITEABLE;
	static final int FIXED_RW = IoasMap.FIXED_IOVA | RW;

	SparseMemory memory;
	VmmAddressSpace mm;
	IommufdComponent iommufd;
	Context ctx;

	@BeforeEach
	void open() {
		memory = new SparseMemory(48);
		mm = new VmmAddressSpace(memory);
		mm.map(VA, RAM, PA, true);
		mm.map(RO_VA, 1L << 20, RO_PA, false);
		iommufd = new IommufdComponent();
		ctx = (Context) iommufd.open(mm, true);
	}

	int ioas() {
		return ctx.ioasAlloc(IoasAlloc.request()).outIoasId();
	}

	IoPagetable iopt(int ioas) {
		return ctx.ioas(ioas).iopt();
	}

	long mapFixed(int ioas, long uva, long length, long iova) {
		return ctx.ioasMap(new IoasMap(FIXED_RW, ioas, uva, length, iova)).iova();
	}

	long mapAuto(int ioas, long uva, long length) {
		return ctx.ioasMap(new IoasMap(RW, ioas, uva, length, 0)).iova();
	}

	/** Everything user space or a domain could observe: objects, every IOAS's state, pinned pages. */
	String state() {
		StringBuilder b = new StringBuilder(ctx.objects().toString());
		for (Obj o : ctx.table().all()) {
			if (o instanceof Ioas i) {
				b.append('\n').append(o.id()).append(": ").append(i.iopt()).append(" usable ").append(i.iopt().usableRanges());
				for (Area a : i.iopt().areas()) {
					b.append("\n  ").append(a).append(segments(a));
				}
			}
		}
		return b.append("\npinned ").append(ctx.pinnedPages()).toString();
	}

	static List<String> segments(Area a) {
		List<String> out = new ArrayList<>();
		a.forEachSegment((iova, pa, len) -> out.add(String.format("0x%x->0x%x+0x%x", iova, pa, len)));
		return out;
	}

	/** Asserts the call fails with {@code errno} and changes nothing. */
	IommufdException fails(Errno errno, Executable call) {
		String before = state();
		IommufdException e = assertThrows(IommufdException.class, call);
		assertEquals(errno, e.errno(), e.getMessage());
		assertEquals(before, state(), "a failed call must change nothing");
		return e;
	}
}
