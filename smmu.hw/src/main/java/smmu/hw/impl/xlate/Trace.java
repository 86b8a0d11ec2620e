package smmu.hw.impl.xlate;

import java.util.ArrayList;
import java.util.List;

import smmu.hw.WalkStep;
import smmu.hw.arch.Cd;
import smmu.hw.arch.Pte;
import smmu.hw.arch.Ste;
import smmu.hw.impl.config.FetchListener;

/** Records every read of a traced walk as a {@link WalkStep}. */
final class Trace implements FetchListener {
	final List<WalkStep> steps = new ArrayList<>();

	@Override
	public void fetched(Kind kind, long address, long value) {
		String note = switch (kind) {
			case L1STD -> {
				long span = Ste.L1_SPAN.get(value);
				yield span == 0 ? "invalid" : String.format("span %d, L2 0x%x", span, value & Ste.L1_L2PTR_MASK);
			}
			case STE -> (value & 1) == 0 ? "invalid" : Ste.configName((int) Ste.CONFIG.get(value));
			case L1CD -> (value & Cd.L1_V) == 0 ? "invalid" : String.format("L2 0x%x", value & Cd.L1_L2PTR_MASK);
			case CD -> Cd.V.get(value) == 0 ? "invalid" : "asid " + Cd.ASID.get(value);
		};
		steps.add(new WalkStep(kind.name(), -1, address, value, note));
	}

	@Override
	public void descriptorRead(int stage, int level, long address, long descriptor) {
		String note;
		if ((descriptor & Pte.VALID) == 0) {
			note = "invalid";
		} else if ((descriptor & Pte.TYPE_MASK) == Pte.TYPE_BLOCK) {
			note = level < 3 ? "block" : "invalid";
		} else {
			note = level < 3 ? "table" : "page";
		}
		steps.add(new WalkStep(stage == 1 ? "S1" : "S2", level, address, descriptor, note));
	}
}
