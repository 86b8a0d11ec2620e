/** The vm:* and dma:* commands over the {@link smmu.accel.VmManager} service. Private to the bundle. */
package smmu.gogo.vm;
