package smmu.iommufd.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;
import smmu.iommufd.ObjectType;

/**
 * A context's objects by ID (the kernel's {@code ictx->objects} xarray): IDs are allocated lowest
 * free first in [1, INT_MAX] (xa_alloc with XA_FLAGS_ALLOC1 and xa_limit_31b), so a destroyed ID is
 * reused. Not thread-safe: the context serializes calls.
 */
public final class ObjectTable {
	private static final int ID_MAX = Integer.MAX_VALUE;
	private final TreeMap<Integer, Obj> objects = new TreeMap<>();
	private final java.util.Set<Integer> tombstones = new java.util.HashSet<>();

	/** Inserts {@code obj}, taking a reference on each object it references; returns its new ID. */
	public int add(Obj obj) {
		int id = 1;
		while (objects.containsKey(id) || tombstones.contains(id)) {
			if (id == ID_MAX) {
				throw new IommufdException(Errno.EBUSY, "no free object ID");
			}
			id++;
		}
		obj.id = id;
		objects.put(id, obj);
		for (Obj r : obj.references()) {
			r.users++;
		}
		return id;
	}

	/** iommufd_get_object: ENOENT for an unknown ID and for an object of another type. */
	public <T extends Obj> T get(int id, ObjectType type, Class<T> cls) {
		Obj o = objects.get(id);
		if (o == null || o.type() != type) {
			throw new IommufdException(Errno.ENOENT, "no " + type + " with ID " + Integer.toUnsignedString(id));
		}
		return cls.cast(o);
	}

	/** Any object by ID, or null. */
	public Obj find(int id) {
		return objects.get(id);
	}

	/** iommufd_object_remove: ENOENT for an unknown ID, EBUSY while other objects reference it. */
	public void destroy(int id) {
		Obj o = objects.get(id);
		if (o == null) {
			throw new IommufdException(Errno.ENOENT, "no object with ID " + Integer.toUnsignedString(id));
		}
		if (o.users != 0) {
			throw new IommufdException(Errno.EBUSY, o.type() + " " + id + " is referenced by " + o.users + " object(s)");
		}
		objects.remove(id);
		for (Obj r : o.references()) {
			r.users--;
		}
		o.destroyed();
	}

	/**
	 * iommufd_object_tombstone_user: destroys an object nothing references and keeps its ID reserved
	 * until the context is released; DESTROY of it then gives ENOENT.
	 */
	public void tombstone(int id) {
		destroy(id);
		tombstones.add(id);
	}

	/** Destroys every object, users before what they use (iommufd_fops_release). */
	public void destroyAll() {
		while (!objects.isEmpty()) {
			for (Obj o : new ArrayList<>(objects.descendingMap().values())) {
				if (o.users == 0) {
					destroy(o.id);
				}
			}
		}
	}

	public boolean isEmpty() {
		return objects.isEmpty();
	}

	public List<Obj> all() {
		return new ArrayList<>(objects.values());
	}
}
