/**
 * The {@link smmu.accel.VmManager} component and its VMs: a VM description parsed by
 * {@link smmu.accel.config.VmConfigParser} is applied device by device to a {@link smmu.accel.vm.Vm}.
 * Private to the bundle.
 */
package smmu.accel.service;
