package smmu.accel;

/**
 * What a VM's MSI routes cost its VMM so far.
 *
 * @param design    the VM's MSI design now
 * @param routes    KVM MSI routes set up (one per device and vector the guest requested)
 * @param vmmWalks  software stage-1 walks of the guest's tables the VMM did for them (TRANSLATE_STAGE1 only)
 * @param vmmReads  the descriptors those walks read from guest RAM (STE, CD, stage-1 table entries)
 */
public record MsiRouteCost(MsiDesign design, long routes, long vmmWalks, long vmmReads) {}
