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
 * architectural sizes 32, 36, 40, 42, 44, 48, 52; only 44 and 48 pass validation), with N's messages.
 * {@code auto} is kept as auto, to be finalised from the host at the first cold-plugged device.</li>
 * <li>Guest bus numbers are those firmware assigns by depth-first enumeration: each root bus (pcie.0
 * is 0, a pxb-pcie is its {@code bus_nr}) numbers the bridges below it in devfn order, depth first,
 * from its own number + 1.</li>
 * <li>Checks run in QEMU's order: option scan (ids), machine and accelerator, objects, machine init,
 * then each {@code -device} in order (properties, pre-plug, realize, plug).</li>
 * </ul>
 * Private to the bundle.
 */
package smmu.accel.config;
