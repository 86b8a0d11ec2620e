package smmu.iommufd;

import java.util.List;

/**
 * One live object of a context, for the object graph: its ID, type, how many other objects hold a
 * reference on it ({@code users}; DESTROY gives EBUSY while it is not 0), the IDs it holds a
 * reference on itself, the page-table bytes a paging HWPT holds, and a one-line description (the
 * domain's stage and IOTLB tags, a device's SMMU and StreamID, a vIOMMU's VMID, ...).
 */
public record IommufdObject(int id, ObjectType type, int users, List<Integer> references, long tableBytes, String detail) {
	public IommufdObject {
		references = List.copyOf(references);
	}

	/** The graph node alone: ID, type, users and references. */
	public IommufdObject(int id, ObjectType type, int users, List<Integer> references) {
		this(id, type, users, references, 0, "");
	}

	/** This object without its table bytes and description, to compare graphs. */
	public IommufdObject node() {
		return new IommufdObject(id, type, users, references);
	}
}
