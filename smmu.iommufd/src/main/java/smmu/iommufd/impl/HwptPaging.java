package smmu.iommufd.impl;

import java.util.ArrayList;
import java.util.List;

import smmu.iommufd.IommufdException;
import smmu.iommufd.ObjectType;
import smmu.iommufd.arm.ArmDomain;
import smmu.iommufd.arm.ArmSmmuV3Kernel;

/**
 * A HWPT_PAGING object: an arm-smmu-v3 paging domain attached to its IOAS ({@code
 * iopt_table_add_domain}), which mirrors every area of the IOAS into the domain's page table.
 */
final class HwptPaging extends Obj implements AreaListener {
	final Ioas ioas;
	final ArmDomain domain;
	final boolean autoDomain;
	/** hwpt->pasid_compat: allocated with IOMMU_HWPT_ALLOC_PASID. */
	boolean pasidCompat;
	private final ArmSmmuV3Kernel kernel;

	@Override
	protected long tableBytes() {
		return domain.tableBytes();
	}

	@Override
	protected String detail() {
		StringBuilder sb = new StringBuilder(domain.stage() + (domain.nestParent() ? " nest-parent" : "") + (autoDomain ? " auto" : ""));
		for (smmu.iommufd.arm.Invs.Inv inv : domain.invs().live()) {
			if (inv.type().tag()) {
				sb.append(' ').append(kernel.smmus().get(inv.smmu()).id()).append(':').append(inv.type().name()).append('=').append(inv.id());
			}
		}
		return sb.toString();
	}

	HwptPaging(Ioas ioas, ArmDomain domain, ArmSmmuV3Kernel kernel, boolean autoDomain) {
		super(ObjectType.HWPT_PAGING, List.of(ioas));
		this.ioas = ioas;
		this.domain = domain;
		this.kernel = kernel;
		this.autoDomain = autoDomain;
	}

	boolean nestParent() {
		return domain.nestParent();
	}

	/** Adds the domain to the IOAS: aperture [0, 2^ias - 1], alignment its smallest page. */
	void addToIoas() {
		long last = domain.ias() >= 64 ? -1L : (1L << domain.ias()) - 1;
		ioas.iopt().attachDomain(this, 0, last, Long.lowestOneBit(domain.pgsizeBitmap()), this);
	}

	@Override
	public void mapped(Area area) {
		List<long[]> done = new ArrayList<>();
		try {
			area.forEachSegment((iova, pa, len) -> {
				domain.map(iova, pa, len, area.prot());
				done.add(new long[] { iova, len });
			});
		} catch (IommufdException e) {
			for (long[] d : done) {
				domain.unmap(d[0], d[1]);
			}
			throw e;
		}
	}

	@Override
	public void unmapped(Area area) {
		domain.unmap(area.iova(), area.length());
	}

	@Override
	protected void destroyed() {
		ioas.iopt().detachDomain(this);
		kernel.domainFree(domain);
	}
}
