package smmu.hw.emul;

import smmu.hw.PhysicalMemory;
import smmu.hw.SmmuSpec;
import smmu.hw.arch.Regs;
import smmu.hw.impl.EmulatedDevice;
import smmu.hw.impl.SmmuDevice;

/** Builds {@link EmulatedSmmu}s. */
public final class EmulatedSmmus {
	private EmulatedSmmus() {}

	/**
	 * An emulated SMMUv3 with the full local emulation (config cache, TLB, table walks) over the guest's
	 * physical memory, calling {@code hooks} for commands and GBPA/CR0 writes.
	 *
	 * @param spec the ID registers the guest reads, and cache sizes
	 * @param guestMemory guest physical memory: where the guest's stream table, CDs, page tables and queues are
	 * @param hooks the VMM's front end, or {@link FrontEndHooks#NONE}
	 */
	public static EmulatedSmmu create(SmmuSpec spec, PhysicalMemory guestMemory, FrontEndHooks hooks) {
		SmmuDevice device = SmmuDevice.create(spec, guestMemory);
		return new EmulatedDevice(device, hooks == null ? FrontEndHooks.NONE : hooks);
	}

	/**
	 * The ID registers of QEMU's {@code arm-smmuv3,accel=on} with default properties (stage 1, 44-bit
	 * OAS, no SSIDs, RIL on, ATS off): IDR0 0x0D44101A, IDR1 0x02730010, IDR3 0x1404, IDR5 0x74, IIDR 0,
	 * AIDR 1 (SMMUv3.1); QEMU's IOTLB holds 256 entries.
	 *
	 * @param id instance name (e.g. "smmuv3.0")
	 * @param mmioBase its slot on the virt machine's platform bus
	 */
	public static SmmuSpec qemuAccelSpec(String id, long mmioBase) {
		int[] idr = { 0x0D44101A, 0x02730010, 0, 0x1404, 0, 0x74 };
		return new SmmuSpec(id, mmioBase, idr, 0, 1, 256, 256);
	}

	/** The ID register values of {@link #qemuAccelSpec} with IDR5.OAS for {@code oasBits} (44 or 48) and ATS. */
	public static SmmuSpec qemuAccelSpec(String id, long mmioBase, int oasBits, boolean ats) {
		if (oasBits != 44 && oasBits != 48) {
			throw new IllegalArgumentException("oas must be 44 or 48: " + oasBits);
		}
		SmmuSpec s = qemuAccelSpec(id, mmioBase);
		int[] idr = new int[6];
		for (int i = 0; i < 6; i++) {
			idr[i] = s.idr(i);
		}
		idr[0] = (int) Regs.IDR0_ATS.with(idr[0], ats ? 1 : 0);
		idr[5] = (int) Regs.IDR5_OAS.with(idr[5], Regs.oasEncoding(oasBits));
		return s.withIdr(idr);
	}
}
