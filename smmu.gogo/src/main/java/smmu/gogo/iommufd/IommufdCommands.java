package smmu.gogo.iommufd;

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

import smmu.gogo.format.Args;
import smmu.gogo.format.Hex;
import smmu.hw.HostPlatform;
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
import smmu.iommufd.VmmAddressSpace;

/**
 * The iommufd:* commands: open /dev/iommu as a process of the shell's own (its memory backed by host
 * pages), then issue the uAPI's ioctls. Failures print as {@code errno NAME (number): message}.
 */
@Component(service = IommufdCommands.class, immediate = true)
@GogoCommand(scope = "iommufd", function = { "open", "close", "fds", "mmap", "objects", "destroy", "ioasalloc", "map", "unmap",
		"copy", "ranges", "allow", "option" })
public class IommufdCommands {
	private final Iommufd iommufd;
	private final HostPlatform host;
	private final Map<Integer, Fd> fds = new TreeMap<>();
	private int nextFd = 3;

	private record Fd(IommufdContext context, VmmAddressSpace mm, List<long[]> pages) {}

	public record FdRow(int fd, int objects, int mappings, boolean capSysResource) {}

	public record MappingRow(@Hex long userVa, @Hex long length, @Hex long hostPa, boolean writable) {}

	public record ObjectRow(int id, String type, int users, String references) {}

	public record Ranges(int ioasId, @Hex long iovaAlignment, List<RangeRow> ranges) {}

	public record RangeRow(@Hex long start, @Hex long last) {}

	public record MapResult(int ioasId, @Hex long iova, @Hex long length, @Hex long userVa) {}

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
		int fd = nextFd++;
		fds.put(fd, new Fd(iommufd.open(mm, cap), mm, new ArrayList<>()));
		return new FdRow(fd, 0, 0, cap);
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
		fds.forEach((n, f) -> rows.add(new FdRow(n, f.context().objects().size(), f.mm().mappings().size(), false)));
		return rows;
	}

	@Descriptor("mmap anonymous memory into the fd's process: host pages back [va, va + length)")
	public synchronized MappingRow mmap(
			@Descriptor("map read-only") @Parameter(names = "--readonly", presentValue = "true", absentValue = "false") boolean readonly,
			@Descriptor("iommufd fd") int fd, @Descriptor("user VA (page aligned)") String va, @Descriptor("length (page aligned)") String length) {
		Fd f = fd(fd);
		long v = Args.number("va", va), len = Args.number("length", length);
		if (len <= 0 || (len & 0xfff) != 0 || (v & 0xfff) != 0) {
			throw new IllegalArgumentException("va and length must be page aligned and length > 0");
		}
		long pa = host.allocator().allocate(len, Math.min(Long.highestOneBit(len), 1L << 21));
		f.mm().map(v, len, pa, !readonly);
		f.pages().add(new long[] { pa, len });
		return new MappingRow(v, len, pa, !readonly);
	}

	@Descriptor("list the objects of an iommufd with their users and references")
	public List<ObjectRow> objects(@Descriptor("iommufd fd") int fd) {
		List<ObjectRow> rows = new ArrayList<>();
		for (IommufdObject o : fd(fd).context().objects()) {
			rows.add(new ObjectRow(o.id(), o.type().name(), o.users(), o.references().toString()));
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
			throw new IllegalArgumentException("usage: iommufd:unmap <fd> <ioas> <iova> <length> | iommufd:unmap <fd> <ioas> all");
		}
		IoasUnmap r = fd(fd).context().ioasUnmap(all ? new IoasUnmap(ioas, 0, IoasUnmap.ALL)
				: new IoasUnmap(ioas, Args.number("iova", iova), Args.number("length", length[0])));
		return String.format("unmapped 0x%x bytes", r.length());
	}

	@Descriptor("IOMMU_IOAS_COPY: map in dst what src maps at [src-iova, +length)")
	public MapResult copy(@Descriptor("fixed destination IOVA") @Parameter(names = "--iova", absentValue = "") String iova,
			@Descriptor("iommufd fd") int fd, @Descriptor("destination IOAS") int dst, @Descriptor("source IOAS") int src,
			@Descriptor("source IOVA") String srcIova, @Descriptor("length") String length) {
		int flags = IoasMap.READABLE | IoasMap.WRITEABLE | (iova.isEmpty() ? 0 : IoasMap.FIXED_IOVA);
		IoasCopy r = fd(fd).context().ioasCopy(new IoasCopy(flags, dst, src, Args.number("length", length),
				iova.isEmpty() ? 0 : Args.number("iova", iova), Args.number("src-iova", srcIova)));
		return new MapResult(dst, r.dstIova(), r.length(), r.srcIova());
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
					throw new IllegalArgumentException("range '" + r + "': expected start-last");
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
			default -> throw new IllegalArgumentException("option '" + name + "': expected rlimit-mode or huge-pages");
		};
		IommufdContext c = fd(fd).context();
		return (value.length == 0 ? c.option(Option.get(id, object)) : c.option(Option.set(id, object, Args.number("value", value[0])))).val64();
	}

	private synchronized Fd fd(int fd) {
		Fd f = fds.get(fd);
		if (f == null) {
			throw new IllegalArgumentException("no iommufd " + fd + " (open one with iommufd:open; have: " + fds.keySet() + ")");
		}
		return f;
	}
}
