package smmu.iommufd;

/**
 * {@code struct iommu_vdevice_alloc}: IOMMU_VDEVICE_ALLOC (0x91). Names device {@code dev_id} inside
 * vIOMMU {@code viommu_id} by {@code virt_id} (u64; the vSID for ARM_SMMUV3). The kernel writes back
 * {@code out_vdevice_id}.
 */
public record VdeviceAlloc(int viommuId, int devId, int outVdeviceId, long virtId) {
	public static VdeviceAlloc request(int viommuId, int devId, long virtId) {
		return new VdeviceAlloc(viommuId, devId, 0, virtId);
	}
}
