package smmu.iommufd.impl;

import smmu.iommufd.IommufdException;

/**
 * A domain attached to an IOAS (a paging HWPT's page table): told of every area mapped into and
 * unmapped from the IOAS, as iopt_area_fill_domains / iopt_area_unfill_domains do. Called with the
 * context's lock held.
 */
public interface AreaListener {
	/** Maps the area; a failure (e.g. ENOMEM) fails the IOAS_MAP/COPY that created it, which is undone. */
	void mapped(Area area) throws IommufdException;

	/** Unmaps the area; cannot fail. */
	void unmapped(Area area);
}
