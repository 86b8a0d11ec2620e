/**
 * The host's arm-smmu-v3 driver model under iommufd (private to the module): {@link
 * smmu.iommufd.arm.ArmSmmuV3Kernel} (SMMUs, masters, ASIDs, paging-domain allocation and attach),
 * {@link smmu.iommufd.arm.ArmDomain} (io-pgtable domains with their {@link smmu.iommufd.arm.Invs}
 * invalidation arrays), {@link smmu.iommufd.arm.ArmVsmmu} and {@link smmu.iommufd.arm.ArmNestedDomain}
 * (the vIOMMU's driver side), all programming the SMMU models through {@link smmu.hw.driver.SmmuDriver}.
 */
package smmu.iommufd.arm;
