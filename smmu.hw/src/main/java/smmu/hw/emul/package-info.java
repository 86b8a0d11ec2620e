/**
 * The emulated SMMUv3 front end a VMM presents to a guest, as QEMU's {@code arm-smmuv3} device
 * ({@code hw/arm/smmuv3.c}): the guest programs an {@link smmu.hw.emul.EmulatedSmmu} through its
 * registers and structures in guest memory; the VMM sees every consumed command raw, in order, and
 * every GBPA and CR0 write through {@link smmu.hw.emul.FrontEndHooks}, and propagates events into the
 * guest's event queue with {@link smmu.hw.emul.EmulatedSmmu#inject}. With {@code accel=on} the hooks
 * forward CFGI_STE, TLBI and CFGI_CD commands and GBPA changes to the host's iommufd; the device's own
 * translation (config cache, TLB, walks of the guest's tables) stays available as local emulation.
 * {@link smmu.hw.emul.EmulatedSmmus#create} builds one.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package smmu.hw.emul;
