package smmu.iommufd.impl;

import java.util.ArrayList;
import java.util.List;

import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;

/** A domain that records what it is told, and can fail a map with ENOMEM after {@code budget} maps. */
final class Recorder implements AreaListener {
	final List<String> events = new ArrayList<>();
	int budget = Integer.MAX_VALUE;

	@Override
	public void mapped(Area area) {
		if (budget-- <= 0) {
			throw new IommufdException(Errno.ENOMEM, "page table full");
		}
		events.add("map " + Fixture.segments(area) + " prot " + area.prot());
	}

	@Override
	public void unmapped(Area area) {
		events.add(String.format("unmap 0x%x+0x%x", area.iova(), area.length()));
	}
}
