/** The workload:* commands (DMA workload generators of the device models) and the sweep:* commands. */
package smmu.gogo.workload;
