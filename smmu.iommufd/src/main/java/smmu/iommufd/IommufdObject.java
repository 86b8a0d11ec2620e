package smmu.iommufd;

import java.util.List;

/**
 * One live object of a context, for the object graph: its ID, type, how many other objects hold a
 * reference on it ({@code users}; DESTROY gives EBUSY while it is not 0) and the IDs it holds a
 * reference on itself.
 */
public record IommufdObject(int id, ObjectType type, int users, List<Integer> references) {
	public IommufdObject {
		references = List.copyOf(references);
	}
}
