package smmu.iommufd.arm;

import java.util.BitSet;

import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;

/**
 * Lowest-free identifier allocation in [1, limit], as the kernel's IDA ({@code smmu->vmid_map}) and the
 * ASID xarray ({@code arm_smmu_asid_xa}, one for all SMMUs) hand them out. Thread-safe.
 */
public final class IdAllocator {
	private final String name;
	private final Errno exhausted;
	private final BitSet used = new BitSet();

	/**
	 * @param name what is allocated, for messages
	 * @param exhausted the errno when the range is full: EBUSY for the ASID xarray ({@code xa_alloc}),
	 *        ENOSPC for an IDA
	 */
	public IdAllocator(String name, Errno exhausted) {
		this.name = name;
		this.exhausted = exhausted;
	}

	/**
	 * The lowest free id in [1, {@code max}].
	 *
	 * @throws IommufdException EBUSY or ENOSPC (see the constructor) when the range is exhausted
	 */
	public synchronized int allocate(int max) {
		int id = used.nextClearBit(1);
		if (id > max) {
			throw new IommufdException(exhausted, "no free " + name + " in [1, " + max + "]");
		}
		used.set(id);
		return id;
	}

	public synchronized void free(int id) {
		if (id <= 0 || !used.get(id)) {
			throw new IllegalStateException(name + " " + id + " is not allocated");
		}
		used.clear(id);
	}

	public synchronized boolean isAllocated(int id) {
		return id > 0 && used.get(id);
	}

	public synchronized int inUse() {
		return used.cardinality();
	}
}
