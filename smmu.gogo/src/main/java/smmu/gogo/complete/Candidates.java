package smmu.gogo.complete;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which kind of value each positional parameter of a command takes, for tab completion: options (and the
 * values of those that take one) come before the positional parameters and are skipped.
 */
public final class Candidates {
	/** A kind of argument with candidates. */
	public enum Kind {
		SMMU, VM, DEVICE, VSMMU, HOST_BDF, SCENARIO, POLICY, QEMU, MSI_DESIGN, NONE
	}

	private static final Set<String> OPTIONS_WITH_VALUE = Set.of("--ssid", "--iova", "--svg", "--pa-bits", "--object", "--timeout", "--vm", "--sid");

	private static final Map<String, List<Kind>> POSITIONAL = Map.ofEntries(
			Map.entry("smmu:regs", List.of(Kind.SMMU)),
			Map.entry("smmu:ste", List.of(Kind.SMMU)),
			Map.entry("smmu:cd", List.of(Kind.SMMU)),
			Map.entry("smmu:walk", List.of(Kind.SMMU)),
			Map.entry("smmu:translate", List.of(Kind.SMMU)),
			Map.entry("smmu:stats", List.of(Kind.SMMU)),
			Map.entry("smmu:cmdq", List.of(Kind.SMMU)),
			Map.entry("smmu:evtq", List.of(Kind.SMMU)),
			Map.entry("smmu:mem", List.of(Kind.SMMU)),
			Map.entry("smmu:detach", List.of(Kind.SMMU)),
			Map.entry("vm:add", List.of(Kind.VM)),
			Map.entry("vm:topology", List.of(Kind.VM)),
			Map.entry("vm:boot", List.of(Kind.VM)),
			Map.entry("vm:map", List.of(Kind.VM, Kind.DEVICE)),
			Map.entry("vm:unmap", List.of(Kind.VM, Kind.DEVICE)),
			Map.entry("vm:events", List.of(Kind.VM, Kind.VSMMU)),
			Map.entry("vm:unplug", List.of(Kind.VM, Kind.DEVICE)),
			Map.entry("vm:destroy", List.of(Kind.VM)),
			Map.entry("vm:msidesign", List.of(Kind.VM, Kind.MSI_DESIGN)),
			Map.entry("dma:write", List.of(Kind.VM, Kind.DEVICE)),
			Map.entry("dma:read", List.of(Kind.VM, Kind.DEVICE)),
			Map.entry("dma:msi", List.of(Kind.VM, Kind.DEVICE)),
			Map.entry("iommufd:bind", List.of(Kind.NONE, Kind.HOST_BDF)),
			Map.entry("host:device", List.of(Kind.HOST_BDF)),
			Map.entry("host:dma", List.of(Kind.HOST_BDF)),
			Map.entry("report:vm", List.of(Kind.VM)),
			Map.entry("report:compare", List.of(Kind.SCENARIO)),
			Map.entry("policy:use", List.of(Kind.POLICY)),
			Map.entry("qemu:console", List.of(Kind.QEMU)),
			Map.entry("qemu:await", List.of(Kind.QEMU)),
			Map.entry("qemu:stats", List.of(Kind.QEMU)),
			Map.entry("qemu:stop", List.of(Kind.QEMU)));

	private Candidates() {}

	/** The commands with completions. */
	public static Set<String> commands() {
		return POSITIONAL.keySet();
	}

	/**
	 * The kind of the word at {@code index} of a command line ({@code words.get(0)} is the command), and the
	 * positional words before it.
	 */
	public record Position(Kind kind, List<String> positional) {}

	public static Position position(List<String> words, int index) {
		if (words.isEmpty() || index <= 0) {
			return new Position(Kind.NONE, List.of());
		}
		String cmd = words.get(0);
		List<Kind> kinds = POSITIONAL.getOrDefault(cmd.contains(":") ? cmd : "", List.of());
		java.util.ArrayList<String> positional = new java.util.ArrayList<>();
		for (int i = 1; i < index && i < words.size(); i++) {
			String w = words.get(i);
			if (positional.isEmpty() && w.startsWith("--")) {
				if (OPTIONS_WITH_VALUE.contains(w)) {
					if (i + 1 == index) {
						// smmu:stats --vm <vm>
						return new Position(w.equals("--vm") ? Kind.VM : Kind.NONE, List.of());
					}
					i++;
				}
				continue;
			}
			positional.add(w);
		}
		if (index < words.size() && positional.isEmpty() && words.get(index).startsWith("-")) {
			return new Position(Kind.NONE, List.of());
		}
		Kind k = positional.size() < kinds.size() ? kinds.get(positional.size()) : Kind.NONE;
		return new Position(k, List.copyOf(positional));
	}
}
