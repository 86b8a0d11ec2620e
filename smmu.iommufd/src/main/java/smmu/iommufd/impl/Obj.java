package smmu.iommufd.impl;

import java.util.List;

import smmu.iommufd.ObjectType;

/**
 * An object of a context's table (the kernel's {@code iommufd_object}). {@code users} counts the
 * other objects holding a reference on it; the references it holds are fixed at creation (plus
 * {@link #dynamicReferences()}).
 */
public abstract class Obj {
	private final ObjectType type;
	private List<Obj> references;
	int id;
	int users;

	protected Obj(ObjectType type, List<Obj> references) {
		this.type = type;
		this.references = List.copyOf(references);
	}

	public final ObjectType type() {
		return type;
	}

	public final int id() {
		return id;
	}

	public final int users() {
		return users;
	}

	public final List<Obj> references() {
		return references;
	}

	/**
	 * Takes a reference after creation that is held until this object is destroyed (a HWPT's FAULT
	 * object, {@code refcount_inc(&fault->common.obj.users)}).
	 */
	final void holdReference(Obj r) {
		List<Obj> l = new java.util.ArrayList<>(references);
		l.add(r);
		references = List.copyOf(l);
		r.users++;
	}

	/** References taken after creation (a device's attached HWPT), shown in the object graph. */
	protected List<Obj> dynamicReferences() {
		return List.of();
	}

	/** Page-table bytes the object holds (paging HWPTs). */
	protected long tableBytes() {
		return 0;
	}

	/** A one-line description for the object graph. */
	protected String detail() {
		return "";
	}

	/** Releases what the object owns once it has left the table (its references are already dropped). */
	protected abstract void destroyed();
}
