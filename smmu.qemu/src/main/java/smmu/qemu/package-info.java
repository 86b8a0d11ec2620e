/**
 * Real QEMU processes whose iommufd and VFIO calls the host kernel model serves: {@link smmu.qemu.RealQemus}
 * starts one from a VM description (the options {@code vm:create} takes), lists and stops them;
 * each {@link smmu.qemu.RealQemu} gives its state, its console, the {@link smmu.iommufd.IommufdContext}
 * its calls act on, and the cost of the bridge ({@link smmu.qemu.BridgeStats}: round trips per call
 * type, and their time). Failures are {@link smmu.qemu.QemuException}s whose message is one line.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package smmu.qemu;
