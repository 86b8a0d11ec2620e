package smmu.iommufd.impl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;
import smmu.iommufd.ObjectType;
import smmu.iommufd.PageFault;
import smmu.iommufd.PageResponse;

/**
 * A FAULT object ({@code struct iommufd_fault}, eventq.c): groups of I/O page faults waiting to be
 * read ({@code deliver}), and the groups read but not yet answered by cookie ({@code response},
 * an xarray allocating from 1). The fault handler ({@link #deliver}) is what
 * {@code iommufd_fault_iopf_handler} does; in this model no device raises I/O page faults (neither
 * PRI nor stall is modelled), so only tests feed it. A group's response and the groups still
 * pending when the object is destroyed (answered INVALID) are recorded in {@link #answered()}.
 * Its own lock: a fault handler runs outside the context's.
 */
final class Fault extends Obj {
	/** One {@code iopf_group}: the faults of one PRI group of one device, and its cookie once read. */
	record Group(int devId, List<PageFault> faults) {
	}

	/** A group's answer as it would go to the hardware ({@code iopf_group_response}). */
	record Answer(Group group, int code) {
	}

	private final ArrayDeque<Group> deliver = new ArrayDeque<>();
	private final TreeMap<Integer, Group> response = new TreeMap<>();
	private final List<Answer> answered = new ArrayList<>();

	Fault() {
		super(ObjectType.FAULT, List.of());
	}

	@Override
	protected synchronized String detail() {
		return deliver.size() + " group(s) to read, " + response.size() + " awaiting a response";
	}

	/** iommufd_fault_iopf_handler: queues a group at the tail. */
	synchronized void deliver(Group group) {
		deliver.addLast(group);
	}

	/** iommufd_fault_fops_read: whole groups that fit in {@code count} bytes, each given a cookie. */
	synchronized List<PageFault> read(long count) {
		if (count % PageFault.BYTES != 0) {
			throw new IommufdException(Errno.ESPIPE, "read of " + count + " bytes, not a multiple of " + PageFault.BYTES);
		}
		List<PageFault> out = new ArrayList<>();
		long done = 0;
		while (!deliver.isEmpty()) {
			Group g = deliver.peekFirst();
			if (done >= count || (long) g.faults().size() * PageFault.BYTES > count - done) {
				break;
			}
			deliver.removeFirst();
			int cookie = 1;
			while (response.containsKey(cookie)) {
				cookie++;
			}
			response.put(cookie, g);
			for (PageFault f : g.faults()) {
				out.add(new PageFault(f.flags(), g.devId(), f.pasid(), f.grpid(), f.perm(), f.addr(), 0, cookie));
				done += PageFault.BYTES;
			}
		}
		return out;
	}

	/** iommufd_fault_fops_write: answers by cookie until the first bad response. */
	synchronized int respond(List<PageResponse> responses) {
		int done = 0;
		for (PageResponse r : responses) {
			if (r.code() != PageResponse.SUCCESS && r.code() != PageResponse.INVALID) {
				return fail(done, "response code " + r.code());
			}
			Group g = response.remove(r.cookie());
			if (g == null) {
				return fail(done, "no group awaits cookie " + Integer.toUnsignedString(r.cookie()));
			}
			answered.add(new Answer(g, r.code()));
			done++;
		}
		return done;
	}

	private static int fail(int done, String why) {
		if (done == 0) {
			throw new IommufdException(Errno.EINVAL, why);
		}
		return done;
	}

	synchronized List<Answer> answered() {
		return List.copyOf(answered);
	}

	/** iommufd_fault_destroy: every group not yet answered gets IOMMU_PAGE_RESP_INVALID. */
	@Override
	protected synchronized void destroyed() {
		for (Group g : deliver) {
			answered.add(new Answer(g, PageResponse.INVALID));
		}
		for (Group g : response.values()) {
			answered.add(new Answer(g, PageResponse.INVALID));
		}
		deliver.clear();
		response.clear();
	}
}
