package smmu.iommufd.impl;

import java.util.List;

import smmu.iommufd.ObjectType;

/** An IOAS object: an {@link IoPagetable}. Its users are paging HWPTs and accesses. */
public final class Ioas extends Obj {
	private final IoPagetable iopt = new IoPagetable();

	Ioas() {
		super(ObjectType.IOAS, List.of());
	}

	public IoPagetable iopt() {
		return iopt;
	}

	@Override
	protected void destroyed() {
		iopt.destroy();
	}
}
