package smmu.gogo.iommufd;

import smmu.gogo.format.ShellError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import smmu.gogo.format.Args;
import smmu.gogo.format.Hex;
import smmu.hw.HostPlatform;
import smmu.gogo.format.Formatter;
import smmu.hw.Event;
import smmu.iommufd.HwInfo;
import smmu.iommufd.HwptAlloc;
import smmu.iommufd.HwptInvalidate;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IoasAllowIovas;
import smmu.iommufd.IoasCopy;
import smmu.iommufd.IoasIovaRanges;
import smmu.iommufd.IoasMap;
import smmu.iommufd.IoasUnmap;
import smmu.iommufd.Iommufd;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;
import smmu.iommufd.IommufdObject;
import smmu.iommufd.IovaRange;
import smmu.iommufd.Option;
import smmu.iommufd.VdeviceAlloc;
import smmu.iommufd.Vevent;
import smmu.iommufd.VeventqAlloc;
import smmu.iommufd.ViommuAlloc;
import smmu.iommufd.VmmAddressSpace;
import smmu.qemu.RealQemu;
import smmu.qemu.RealQemus;

/**
 * The iommufd:* commands: open /dev/iommu as a process of the shell's own (its memory backed by host
 * pages), then issue the uAPI's ioctls. Failures print as {@code errno NAME (number): message}.
 */
@Component(service = IommufdCommands.class, immediate = true)
@GogoCommand(scope = "iommufd", function = { "open", "close", "fds", "mmap", "objects", "destroy", "ioasalloc", "map", "unmap",
		"copy", "ranges", "allow", "option", "bind", "attach", "detach", "unbind", "hwptalloc", "nested", "hwinfo", "viommu", "vdevice",
		"veventq", "events", "invalidate" })
public class IommufdCommands {
	private final Iommufd iommufd;
	private final HostPlatform host;
	private final Map<Integer, Fd> fds = new TreeMap<>();
	/** The real QEMUs, whose iommufds iommufd:objects also shows (by name). */
	@Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
	volatile RealQemus qemus;

	private record Fd(IommufdContext context, VmmAddressSpace mm, List<long[]> pages, long scratch, boolean cap) {}

	/** A page of each process's memory the commands use to pass struct payloads (user data pointers). */
	private static final long SCRATCH_VA = 0x7fff_f000_0000L, SCRATCH_SIZE = 0x10000;

	public record FdRow(int fd, int objects, int mappings, boolean capSysResource) {}

	public record MappingRow(@Hex long userVa, @Hex long length, @Hex long hostPa, boolean writable) {}

	public record ObjectRow(int id, String type, int users, String references, long tableBytes, String detail) {}

	public record Ranges(int ioasId, @Hex long iovaAlignment, List<RangeRow> ranges) {}

	public record RangeRow(@Hex long start, @Hex long last) {}

	public record MapResult(int ioasId, @Hex long iova, @Hex long length, @Hex long userVa) {}

	/** What IOMMU_IOAS_COPY mapped: the destination IOAS and IOVA, from the source IOAS and IOVA. */
	public record CopyResult(int ioasId, @Hex long iova, @Hex long length, int srcIoasId, @Hex long srcIova) {}

	@Activate
	public IommufdCommands(@Reference Iommufd iommufd, @Reference HostPlatform host) {
		this.iommufd = iommufd;
		this.host = host;
	}

	@Deactivate
	synchronized void closeAll() {
		fds.values().forEach(f -> f.context().close());
		fds.clear();
	}

	@Descriptor("open /dev/iommu for a process of the shell's; prints its file descriptor number")
	public synchronized FdRow open(
			@Descriptor("the process holds CAP_SYS_RESOURCE") @Parameter(names = "--cap-sys-resource", presentValue = "true", absentValue = "false") boolean cap) {
		VmmAddressSpace mm = new VmmAddressSpace(host.memory());
		long scratch = host.allocator().allocate(SCRATCH_SIZE, 4096);
		mm.map(SCRATCH_VA, SCRATCH_SIZE, scratch, true);
		List<long[]> pages = new ArrayList<>();
		pages.add(new long[] { scratch, SCRATCH_SIZE });
		// as open(2): the lowest free descriptor (0-2 are the shell's stdin, stdout and stderr)
		int fd = 3;
		while (fds.containsKey(fd)) {
			fd++;
		}
		fds.put(fd, new Fd(iommufd.open(mm, cap), mm, pages, SCRATCH_VA, cap));
		return new FdRow(fd, 0, mm.mappings().size(), cap);
	}

	@Descriptor("close an iommufd: destroys its objects and unpins its pages")
	public synchronized String close(@Descriptor("iommufd fd") int fd) {
		Fd f = fd(fd);
		f.context().close();
		for (long[] p : f.pages()) {
			host.allocator().free(p[0], p[1]);
		}
		fds.remove(fd);
		return "closed " + fd;
	}

	@Descriptor("list the open iommufds")
	public synchronized List<FdRow> fds() {
		List<FdRow> rows = new ArrayList<>();
		fds.forEach((n, f) -> rows.add(new FdRow(n, f.context().objects().size(), f.mm().mappings().size(), f.cap())));
		return rows;
	}

	@Descriptor("mmap anonymous memory into the fd's process: host pages back [va, va + length)")
	public synchronized MappingRow mmap(
			@Descriptor("map read-only") @Parameter(names = "--readonly", presentValue = "true", absentValue = "false") boolean readonly,
			@Descriptor("iommufd fd") int fd, @Descriptor("user VA (page aligned)") String va, @Descriptor("length (page aligned)") String length) {
		Fd f = fd(fd);
		long v = Args.number("va", va), len = Args.size("length", length);
		if (len <= 0 || (len & 0xfff) != 0 || (v & 0xfff) != 0) {
			throw new ShellError("va and length must be page aligned and length > 0");
		}
		long pa = host.allocator().allocate(len, Math.min(Long.highestOneBit(len), 1L << 21));
		f.mm().map(v, len, pa, !readonly);
		f.pages().add(new long[] { pa, len });
		return new MappingRow(v, len, pa, !readonly);
	}

	@Descriptor("the object graph of an iommufd: users, references, page-table bytes of each paging HWPT, details")
	public List<ObjectRow> objects(@Descriptor("iommufd fd, or the name of a real QEMU (qemu:list)") String fd) {
		IommufdContext ctx;
		if (fd.matches("\\d{1,9}")) {
			ctx = fd(Integer.parseInt(fd)).context();
		} else {
			RealQemus q = qemus;
			RealQemu qemu = q == null ? null : q.get(fd).orElse(null);
			if (qemu == null) {
				throw new ShellError("no iommufd " + fd + " (an fd of iommufd:fds or a QEMU of qemu:list)");
			}
			ctx = qemu.iommufd();
			if (ctx == null) {
				throw new ShellError("QEMU " + fd + " has no iommufd now (" + qemu.state().name().toLowerCase() + ")");
			}
		}
		List<ObjectRow> rows = new ArrayList<>();
		for (IommufdObject o : ctx.objects()) {
			rows.add(new ObjectRow(o.id(), o.type().name(), o.users(), o.references().toString(), o.tableBytes(), o.detail()));
		}
		return rows;
	}

	@Descriptor("IOMMU_DESTROY")
	public String destroy(@Descriptor("iommufd fd") int fd, @Descriptor("object id") int id) {
		fd(fd).context().destroy(id);
		return "destroyed " + id;
	}

	@Descriptor("IOMMU_IOAS_ALLOC: prints the new IOAS id")
	public int ioasalloc(@Descriptor("iommufd fd") int fd) {
		return fd(fd).context().ioasAlloc(IoasAlloc.request()).outIoasId();
	}

	@Descriptor("IOMMU_IOAS_MAP: map [va, va + length) of the process at an IOVA (chosen by the kernel unless --iova)")
	public MapResult map(@Descriptor("fixed IOVA") @Parameter(names = "--iova", absentValue = "") String iova,
			@Descriptor("map read-only") @Parameter(names = "--readonly", presentValue = "true", absentValue = "false") boolean readonly,
			@Descriptor("iommufd fd") int fd, @Descriptor("IOAS id") int ioas, @Descriptor("user VA") String va,
			@Descriptor("length") String length) {
		int flags = IoasMap.READABLE | (readonly ? 0 : IoasMap.WRITEABLE) | (iova.isEmpty() ? 0 : IoasMap.FIXED_IOVA);
		IoasMap r = fd(fd).context().ioasMap(new IoasMap(flags, ioas, Args.number("va", va), Args.number("length", length),
				iova.isEmpty() ? 0 : Args.number("iova", iova)));
		return new MapResult(r.ioasId(), r.iova(), r.length(), r.userVa());
	}

	@Descriptor("IOMMU_IOAS_UNMAP: every area inside [iova, iova + length) ('all' unmaps everything); prints bytes unmapped")
	public String unmap(@Descriptor("iommufd fd") int fd, @Descriptor("IOAS id") int ioas, @Descriptor("IOVA or 'all'") String iova,
			@Descriptor("length (omit with 'all')") String... length) {
		boolean all = iova.equals("all");
		if (!all && length.length != 1) {
			throw new ShellError("usage: iommufd:unmap <fd> <ioas> <iova> <length> | iommufd:unmap <fd> <ioas> all");
		}
		IoasUnmap r = fd(fd).context().ioasUnmap(all ? new IoasUnmap(ioas, 0, IoasUnmap.ALL)
				: new IoasUnmap(ioas, Args.number("iova", iova), Args.number("length", length[0])));
		return String.format("unmapped 0x%x bytes", r.length());
	}

	@Descriptor("IOMMU_IOAS_COPY: map in dst what src maps at [src-iova, +length)")
	public CopyResult copy(@Descriptor("fixed destination IOVA") @Parameter(names = "--iova", absentValue = "") String iova,
			@Descriptor("iommufd fd") int fd, @Descriptor("destination IOAS") int dst, @Descriptor("source IOAS") int src,
			@Descriptor("source IOVA") String srcIova, @Descriptor("length") String length) {
		int flags = IoasMap.READABLE | IoasMap.WRITEABLE | (iova.isEmpty() ? 0 : IoasMap.FIXED_IOVA);
		IoasCopy r = fd(fd).context().ioasCopy(new IoasCopy(flags, dst, src, Args.number("length", length),
				iova.isEmpty() ? 0 : Args.number("iova", iova), Args.number("src-iova", srcIova)));
		return new CopyResult(dst, r.dstIova(), r.length(), src, r.srcIova());
	}

	@Descriptor("IOMMU_IOAS_IOVA_RANGES: the usable IOVA ranges and the IOVA alignment")
	public Ranges ranges(@Descriptor("iommufd fd") int fd, @Descriptor("IOAS id") int ioas) {
		IommufdContext c = fd(fd).context();
		IoasIovaRanges r;
		try {
			r = c.ioasIovaRanges(IoasIovaRanges.request(ioas, 64));
		} catch (IommufdException e) {
			if (!(e.response() instanceof IoasIovaRanges needed)) {
				throw e;
			}
			r = c.ioasIovaRanges(IoasIovaRanges.request(ioas, needed.numIovas()));
		}
		return new Ranges(ioas, r.outIovaAlignment(), r.allowedIovas().stream().map(x -> new RangeRow(x.start(), x.last())).toList());
	}

	@Descriptor("IOMMU_IOAS_ALLOW_IOVAS: restrict automatic IOVAs to these ranges (start-last, comma-separated; none clears)")
	public String allow(@Descriptor("iommufd fd") int fd, @Descriptor("IOAS id") int ioas, @Descriptor("ranges or 'none'") String ranges) {
		List<IovaRange> list = new ArrayList<>();
		if (!ranges.equals("none")) {
			for (String r : ranges.split(",")) {
				String[] p = r.split("-");
				if (p.length != 2) {
					throw new ShellError("range '" + r + "': expected start-last");
				}
				list.add(new IovaRange(Args.number("start", p[0]), Args.number("last", p[1])));
			}
		}
		fd(fd).context().ioasAllowIovas(new IoasAllowIovas(ioas, list));
		return list.size() + " allowed ranges";
	}

	@Descriptor("IOMMU_OPTION: get (no value) or set rlimit-mode (object 0) or huge-pages (an IOAS)")
	public long option(@Descriptor("object id (0 for rlimit-mode)") @Parameter(names = "--object", absentValue = "0") int object,
			@Descriptor("iommufd fd") int fd, @Descriptor("rlimit-mode or huge-pages") String name, @Descriptor("value to set") String... value) {
		int id = switch (name) {
			case "rlimit-mode" -> Option.RLIMIT_MODE;
			case "huge-pages" -> Option.HUGE_PAGES;
			default -> throw new ShellError("option '" + name + "': expected rlimit-mode or huge-pages");
		};
		IommufdContext c = fd(fd).context();
		return (value.length == 0 ? c.option(Option.get(id, object)) : c.option(Option.set(id, object, Args.number("value", value[0])))).val64();
	}

	public record HwInfoView(int devId, int dataType, @Hex long idr0, @Hex long idr1, @Hex long idr2, @Hex long idr3, @Hex long idr4,
			@Hex long idr5, @Hex long iidr, @Hex long aidr, int maxPasidLog2, @Hex long capabilities) {}

	public record EventRow(int sequence, String flags, String event) {}

	@Descriptor("VFIO_DEVICE_BIND_IOMMUFD: bind a host PCI device (see smmu:devices) to the iommufd; prints its devid")
	public int bind(@Descriptor("iommufd fd") int fd, @Descriptor("host BDF, e.g. 0000:01:00.0") String bdf) {
		return fd(fd).context().bindDevice(bdf);
	}

	@Descriptor("VFIO_DEVICE_ATTACH_IOMMUFD_PT: attach (or replace) a device to a HWPT, or to an IOAS (automatic domain); prints the HWPT id")
	public int attach(@Descriptor("iommufd fd") int fd, @Descriptor("devid") int dev, @Descriptor("HWPT or IOAS id") int pt) {
		return fd(fd).context().attachDevice(dev, pt);
	}

	@Descriptor("VFIO_DEVICE_DETACH_IOMMUFD_PT: block the device's DMA again")
	public String detach(@Descriptor("iommufd fd") int fd, @Descriptor("devid") int dev) {
		fd(fd).context().detachDevice(dev);
		return "detached " + dev;
	}

	@Descriptor("close the device's VFIO cdev: detach, force-destroy its vDEVICE, destroy the DEVICE object")
	public String unbind(@Descriptor("iommufd fd") int fd, @Descriptor("devid") int dev) {
		fd(fd).context().unbindDevice(dev);
		return "unbound " + dev;
	}

	@Descriptor("IOMMU_HWPT_ALLOC of a paging HWPT on an IOAS; prints its id")
	public int hwptalloc(@Descriptor("a nesting parent (stage 2)") @Parameter(names = "--nest-parent", presentValue = "true", absentValue = "false") boolean nestParent,
			@Descriptor("iommufd fd") int fd, @Descriptor("devid") int dev, @Descriptor("IOAS id") int ioas) {
		return fd(fd).context().hwptAlloc(HwptAlloc.paging(nestParent ? HwptAlloc.NEST_PARENT : 0, dev, ioas)).outHwptId();
	}

	@Descriptor("IOMMU_HWPT_ALLOC of a nested HWPT on a vIOMMU from a guest STE's two words (IOMMU_HWPT_DATA_ARM_SMMUV3); prints its id")
	public int nested(@Descriptor("iommufd fd") int fd, @Descriptor("devid") int dev, @Descriptor("vIOMMU id") int viommu,
			@Descriptor("ste[0]") String ste0, @Descriptor("ste[1]") String ste1) {
		Fd f = fd(fd);
		put(f, Args.number("ste0", ste0), Args.number("ste1", ste1));
		return f.context().hwptAlloc(HwptAlloc.nestedArm(dev, viommu, f.scratch())).outHwptId();
	}

	@Descriptor("IOMMU_GET_HW_INFO: the device's SMMU ID registers as the VMM reads them")
	public HwInfoView hwinfo(@Descriptor("iommufd fd") int fd, @Descriptor("devid") int dev) {
		Fd f = fd(fd);
		HwInfo r = f.context().getHwInfo(HwInfo.request(dev, 40, f.scratch()));
		byte[] b = new byte[40];
		f.mm().read(f.scratch(), b);
		java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
		long[] w = new long[10];
		for (int i = 0; i < 10; i++) {
			w[i] = bb.getInt(4 * i) & 0xffffffffL;
		}
		return new HwInfoView(dev, r.dataType(), w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], r.outMaxPasidLog2(), r.outCapabilities());
	}

	@Descriptor("IOMMU_VIOMMU_ALLOC (ARM_SMMUV3) on a nest-parent HWPT; prints its id")
	public int viommu(@Descriptor("iommufd fd") int fd, @Descriptor("devid") int dev, @Descriptor("nest-parent HWPT id") int hwpt) {
		return fd(fd).context().viommuAlloc(ViommuAlloc.arm(dev, hwpt)).outViommuId();
	}

	@Descriptor("IOMMU_VDEVICE_ALLOC: the device's virtual StreamID on a vIOMMU; prints its id")
	public int vdevice(@Descriptor("iommufd fd") int fd, @Descriptor("vIOMMU id") int viommu, @Descriptor("devid") int dev,
			@Descriptor("virtual StreamID") String vsid) {
		return fd(fd).context().vdeviceAlloc(VdeviceAlloc.request(viommu, dev, Args.number("vsid", vsid))).outVdeviceId();
	}

	@Descriptor("IOMMU_VEVENTQ_ALLOC (ARM_SMMUV3) on a vIOMMU; prints its id")
	public int veventq(@Descriptor("iommufd fd") int fd, @Descriptor("vIOMMU id") int viommu, @Descriptor("depth (records)") int depth) {
		return fd(fd).context().veventqAlloc(VeventqAlloc.arm(viommu, depth)).outVeventqId();
	}

	@Descriptor("read() a vEVENTQ: the pending records (they leave the queue)")
	public List<EventRow> events(@Descriptor("iommufd fd") int fd, @Descriptor("vEVENTQ id") int veventq) {
		List<EventRow> rows = new ArrayList<>();
		Fd f = fd(fd);
		// events recorded before this command reach the vEVENTQ on the host kernel's event thread: wait for it
		iommufd.awaitEvents();
		for (Vevent v : f.context().veventqRead(veventq, 1 << 20)) {
			Event e = v.evt() == null ? null : Event.decode(v.evt());
			String ev = e != null ? Formatter.eventLine(e) : "-";
			rows.add(new EventRow(v.sequence(), (v.flags() & Vevent.FLAG_LOST_EVENTS) != 0 ? "LOST_EVENTS" : "-", ev));
		}
		return rows;
	}

	@Descriptor("IOMMU_HWPT_INVALIDATE on a vIOMMU with guest commands (pairs of words, ARM_SMMUV3); prints entry_num")
	public String invalidate(@Descriptor("iommufd fd") int fd, @Descriptor("vIOMMU id") int viommu,
			@Descriptor("command words: cmd[0] cmd[1] [cmd[0] cmd[1] ...]") String... words) {
		if (words.length == 0 || words.length % 2 != 0) {
			throw new ShellError("give each command as two 64-bit words");
		}
		Fd f = fd(fd);
		long[] w = new long[words.length];
		for (int i = 0; i < w.length; i++) {
			w[i] = Args.number("command word", words[i]);
		}
		put(f, w);
		HwptInvalidate r = f.context().hwptInvalidate(new HwptInvalidate(viommu, f.scratch(), HwptInvalidate.DATA_ARM_SMMUV3, 16, w.length / 2));
		return "entry_num " + r.entryNum();
	}

	private static void put(Fd f, long... words) {
		java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(8 * words.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
		for (long w : words) {
			bb.putLong(w);
		}
		if (!f.mm().write(f.scratch(), bb.array())) {
			throw new IllegalStateException("cannot write the command payload to the process's scratch page");
		}
	}

	private synchronized Fd fd(int fd) {
		Fd f = fds.get(fd);
		if (f == null) {
			throw new ShellError("no iommufd " + fd + " (open one with iommufd:open; have: " + fds.keySet() + ")");
		}
		return f;
	}
}
