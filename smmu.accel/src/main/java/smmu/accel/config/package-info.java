/**
 * A QEMU {@code virt} VM description written like QEMU's command line, parsed and validated with QEMU's
 * own error messages ({@link smmu.accel.config.VmConfigParser}) into a
 * {@link smmu.accel.config.VmDescription}: machine, accelerator, memory, iommufd objects, the PCIe bus
 * tree with guest bus numbers, the user-created {@code arm-smmuv3} devices with their platform-bus
 * MMIO slot and SPIs, and the PCI devices with the vSMMU they sit behind and their guest BDF.
 *
 * <p>Modelling choices:
 * <ul>
 * <li>{@code arm-smmuv3} properties follow the newer upstream ("N"): {@code ril} and {@code ats} are
 * On/Off/Auto, {@code ssidsize} is 0..20 or auto, {@code oas} an OasMode ({@code auto} and the
 * architectural sizes 32, 36, 40, 42, 44, 48, 52 are assumed spellings; only 44 and 48 pass validation),
 * with N's messages. {@code auto} is kept as auto, to be finalised from the host at the first
 * cold-plugged device; with accel=off only the emulated defaults (or auto) pass, and auto resolves to them.</li>
 * <li>Guest bus numbers are those firmware assigns by depth-first enumeration: each root bus (pcie.0
 * is 0, a pxb-pcie is its {@code bus_nr}) numbers the bridges below it in devfn order, depth first,
 * from its own number + 1. QEMU itself does not check overlaps; the model notes them as warnings.</li>
 * <li>Checks run in QEMU's order: the argv lookup pass, QemuOpts parsing (ids), -m, the machine and the
 * accelerator, objects, GIC finalisation, then each {@code -device} in order (properties, virt pre-plug,
 * realize, plug), then the machine-done notifier. Properties of one option are checked in command-line
 * order (QEMU walks a hash table).</li>
 * <li>The vSMMU of a PCI device is decided when the device is created, as in QEMU: a device created
 * before the SMMU of its bus is neither checked nor attached.</li>
 * <li>Host: the in-kernel vGIC emulates GICv2 and GICv3 (not GICv4), so an unset gic-version with up to 8
 * CPUs is GICv2 (GICv2m doorbell), {@code host}/{@code max} is GICv3 (ITS doorbell).</li>
 * <li>Firmware counts as loaded (ACPI usable) unless {@code -kernel} is given without {@code -bios} or a
 * pflash drive.</li>
 * <li>Not modelled: virt's default NIC (as with {@code -nodefaults}), virtio-iommu-pci, switches,
 * pci-bridge, pxb/pxb-cxl, hotplug, host-side failures (VFIO open, ATS/RIL compatibility with the host).</li>
 * </ul>
 * Private to the bundle.
 */
package smmu.accel.config;
