package smmu.iommufd.impl;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import smmu.hw.driver.Prot;
import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;

/**
 * The SW MSI window of one iommufd context ({@code iommufd_sw_msi}, {@code iommufd_sw_msi_install},
 * {@code iommufd_group_setup_msi}). arm-smmu-v3 reserves IOMMU_RESV_SW_MSI at 0x8000000 (1 MiB) for
 * every device; when a device's MSI is set up (the host's ITS driver calls {@code iommu_dma_prepare_msi}
 * with the doorbell's physical address) the doorbell's 4 KiB page gets the next page of the window
 * (sw_msi_start + pgoff * 4 KiB, one pgoff per doorbell page for the whole context) and is mapped there,
 * IOMMU_READ | IOMMU_WRITE | IOMMU_MMIO, in the paging domain the device is attached to (the nest parent
 * for a nested HWPT). The device's physical MSI address becomes that IOVA plus the doorbell's offset in
 * its page. Attaching a device to another HWPT installs the pages the device needs there first.
 */
final class SwMsi {
	static final long PAGE = 4096;

	/** doorbell page -> pgoff, in the order first used (iommufd_sw_msi_get_map). */
	private final Map<Long, Integer> maps = new LinkedHashMap<>();
	/** which pgoffs each device requires (igroup->required_sw_msi). */
	private final Map<Device, Set<Integer>> required = new IdentityHashMap<>();
	/** which pgoffs each paging HWPT has mapped (hwpt_paging->present_sw_msi). */
	private final Map<HwptPaging, Set<Integer>> present = new IdentityHashMap<>();
	private long pagesMapped;

	/**
	 * iommufd_sw_msi for {@code d}'s MSI at physical {@code msiAddr}: returns the IOVA to program as the
	 * device's MSI address.
	 *
	 * @throws IommufdException EINVAL when the device is attached to nothing; ENOSPC when the window is full
	 */
	long prepare(Device d, HwptPaging paging, long msiAddr) {
		if (paging == null) {
			throw new IommufdException(Errno.EINVAL, d.master.name() + " is attached to no HWPT");
		}
		long page = msiAddr & ~(PAGE - 1);
		Integer pgoff = maps.get(page);
		if (pgoff == null) {
			if ((maps.size() + 1) * PAGE > IoPagetable.SW_MSI_LENGTH) {
				throw new IommufdException(Errno.ENOSPC, "SW MSI window full");
			}
			pgoff = maps.size();
			maps.put(page, pgoff);
		}
		required.computeIfAbsent(d, k -> new HashSet<>()).add(pgoff);
		install(paging, pgoff, page);
		return IoPagetable.SW_MSI_BASE + pgoff * PAGE + (msiAddr & (PAGE - 1));
	}

	/** iommufd_group_setup_msi: before {@code d} attaches to {@code paging}, map what it requires there. */
	void setup(Device d, HwptPaging paging) {
		Set<Integer> need = required.get(d);
		if (need == null) {
			return;
		}
		for (Map.Entry<Long, Integer> e : maps.entrySet()) {
			if (need.contains(e.getValue())) {
				install(paging, e.getValue(), e.getKey());
			}
		}
	}

	/** The device is gone: it requires nothing any more (mapped pages stay until their HWPT goes). */
	void forget(Device d) {
		required.remove(d);
	}

	/** The HWPT was destroyed with its domain. */
	void forget(HwptPaging p) {
		present.remove(p);
	}

	private void install(HwptPaging paging, int pgoff, long page) {
		Set<Integer> have = present.computeIfAbsent(paging, k -> new HashSet<>());
		if (have.contains(pgoff)) {
			return;
		}
		paging.domain.map(IoPagetable.SW_MSI_BASE + pgoff * PAGE, page, PAGE, Prot.READ | Prot.WRITE | Prot.MMIO);
		have.add(pgoff);
		pagesMapped++;
	}

	/** Doorbell pages mapped into paging domains so far (one per doorbell per domain). */
	long pagesMapped() {
		return pagesMapped;
	}

	/** The doorbell pages in use, in pgoff order. */
	List<Long> doorbellPages() {
		return new ArrayList<>(maps.keySet());
	}
}
