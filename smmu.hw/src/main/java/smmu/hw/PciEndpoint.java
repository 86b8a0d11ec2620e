package smmu.hw;

/**
 * A host PCI function behind a physical SMMU: where it sits. Its live state (configuration space,
 * BARs, INTx) is {@link HostPlatform#function(String)}.
 *
 * @param bdf segment:bus:device.function, e.g. "0000:01:00.0"
 * @param smmu id of the SMMU its transactions go to
 * @param sid its StreamID on that SMMU
 */
public record PciEndpoint(String bdf, String smmu, int sid) {}
