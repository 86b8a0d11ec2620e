package smmu.iommufd.arm;

import java.util.ArrayList;
import java.util.List;

import smmu.hw.PhysicalMemory;
import smmu.hw.driver.Commands;
import smmu.hw.driver.SmmuDriver;

/** Reads the commands a driver wrote to its command queue in memory since a mark. */
final class CmdRing {
	private final SmmuDriver d;
	private int mark;

	CmdRing(SmmuDriver d) {
		this.d = d;
		this.mark = d.cmdqProd();
	}

	/** The commands written since the last call (or creation), in order; moves the mark. */
	List<long[]> take() {
		int log2 = d.cmdqLog2();
		int size = 1 << log2, mask = (1 << (log2 + 1)) - 1;
		int prod = d.cmdqProd();
		int n = (prod - mark) & mask;
		List<long[]> out = new ArrayList<>();
		PhysicalMemory m = d.memory();
		for (int i = 0; i < n; i++) {
			int idx = (mark + i) & (size - 1);
			long a = d.cmdqBase() + 16L * idx;
			out.add(new long[] { m.read64(a), m.read64(a + 8) });
		}
		mark = prod;
		return out;
	}

	/** Opcode names of {@link #take()} without PREFETCH_CFG. */
	List<String> names() {
		List<String> s = new ArrayList<>();
		for (long[] c : take()) {
			if (Commands.opcode(c) != smmu.hw.arch.Cmd.PREFETCH_CFG) {
				s.add(Commands.describe(c));
			}
		}
		return s;
	}
}
