package smmu.gogo.virtio;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import smmu.gogo.format.Args;
import smmu.gogo.format.Formatter;
import smmu.gogo.format.Hex;
import smmu.gogo.format.ShellError;
import smmu.hw.EndpointDma;
import smmu.hw.HostPlatform;
import smmu.hw.TranslationResult;
import smmu.qemu.RealQemus;
import smmu.virtio.VirtioDeviceInfo;
import smmu.virtio.VirtioDevices;

/**
 * host:device puts a virtio device model into a host endpoint's function slot; host:devices lists them
 * with their counters; host:dma makes a host function DMA at an IOVA through its physical SMMU (any
 * function, including one a real QEMU's guest drives), printing the event when the SMMU terminates it;
 * host:kernel shows or switches the host kernel's mode (Config Admin PID smmu.kernel) and waits until the
 * services above it are back.
 */
@Component(service = HostDeviceCommands.class, immediate = true)
@GogoCommand(scope = "host", function = { "device", "devices", "dma", "kernel" })
public class HostDeviceCommands {
	/** One device: what it is and what it moved. */
	public record DeviceRow(String bdf, String kind, String image, long sectors, String status, long requests, long readBytes,
			long writtenBytes, long dmas, long dmaFaults, long interrupts, String nsPerDma) {}

	/** One host-function DMA. */
	public record DmaRow(String bdf, @Hex long iova, int bytes, String data, String hostPages, String result) {}

	private final HostPlatform host;
	private final VirtioDevices devices;
	private final BundleContext context;

	@Activate
	public HostDeviceCommands(BundleContext context, @Reference HostPlatform host, @Reference VirtioDevices devices) {
		this.context = context;
		this.host = host;
		this.devices = devices;
	}

	@Descriptor("the host kernel's mode: shared (a stage-2 domain may span physical SMMUs) or per-smmu (mainline)")
	public String kernel() {
		Object v = current();
		return "kernel " + (v == null ? "shared" : v);
	}

	@Descriptor("switch the host kernel's mode (shared or per-smmu); every iommufd object and real QEMU of the old kernel is gone")
	public String kernel(@Descriptor("shared or per-smmu") String mode) throws IOException, InterruptedException {
		if (!mode.equals("shared") && !mode.equals("per-smmu")) {
			throw new ShellError("mode: '" + mode + "' is neither shared nor per-smmu");
		}
		ServiceReference<ConfigurationAdmin> ref = context.getServiceReference(ConfigurationAdmin.class);
		if (ref == null) {
			throw new ShellError("no Config Admin: the kernel's mode cannot change");
		}
		Object was = current();
		if (mode.equals(was == null ? "shared" : was)) {
			return "kernel " + mode + " (unchanged)";
		}
		long before = newest(RealQemus.class);
		ConfigurationAdmin cm = context.getService(ref);
		try {
			Configuration c = cm.getConfiguration("smmu.kernel", "?");
			Dictionary<String, Object> p = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
			p.put("mode", mode);
			c.update(p);
		} finally {
			context.ungetService(ref);
		}
		long deadline = System.nanoTime() + 10_000_000_000L;
		while (newest(RealQemus.class) <= before) {
			if (System.nanoTime() > deadline) {
				throw new ShellError("the services did not come back on kernel " + mode + " within 10 s");
			}
			Thread.sleep(20);
		}
		return "kernel " + mode;
	}

	private Object current() {
		ServiceReference<ConfigurationAdmin> ref = context.getServiceReference(ConfigurationAdmin.class);
		if (ref == null) {
			return null;
		}
		try {
			Configuration[] cs = context.getService(ref).listConfigurations("(service.pid=smmu.kernel)");
			return cs == null || cs.length == 0 || cs[0].getProperties() == null ? null : cs[0].getProperties().get("mode");
		} catch (IOException | InvalidSyntaxException e) {
			return null;
		} finally {
			context.ungetService(ref);
		}
	}

	private long newest(Class<?> type) {
		long max = 0;
		try {
			ServiceReference<?>[] refs = context.getServiceReferences(type.getName(), null);
			for (ServiceReference<?> r : refs == null ? new ServiceReference<?>[0] : refs) {
				max = Math.max(max, (Long) r.getProperty("service.id"));
			}
		} catch (InvalidSyntaxException e) {
			throw new IllegalStateException(e);
		}
		return max;
	}

	@Descriptor("make the function on a host BDF a device model: virtio-blk over a disk image file (before QEMU opens it)")
	public List<DeviceRow> device(@Descriptor("host BDF") String bdf, @Descriptor("kind (virtio-blk)") String kind,
			@Descriptor("disk image file") String image) {
		try {
			return List.of(row(devices.attach(bdf, kind, Path.of(image))));
		} catch (IllegalArgumentException e) {
			throw new ShellError(e.getMessage());
		}
	}

	@Descriptor("the host's device models and their counters")
	public List<DeviceRow> devices() {
		List<DeviceRow> rows = new ArrayList<>();
		for (VirtioDeviceInfo d : devices.devices()) {
			rows.add(row(d));
		}
		return rows;
	}

	@Descriptor("a host function writes at an IOVA through its physical SMMU: hex bytes (de:ad:be:ef) or a 0x-number as 8 bytes")
	public DmaRow dma(@Descriptor("host BDF") String bdf, @Descriptor("write or read") String op, @Descriptor("IOVA") String iova,
			@Descriptor("data (write) or length (read)") String data) {
		long a = Args.number("iova", iova);
		EndpointDma port;
		try {
			port = EndpointDma.of(host, bdf);
		} catch (IllegalArgumentException e) {
			throw new ShellError(e.getMessage());
		}
		byte[] buf;
		EndpointDma.Result r;
		if (op.equals("write")) {
			buf = bytes(data);
			r = port.write(a, buf, 0, buf.length);
		} else if (op.equals("read")) {
			long n = Args.number("length", data);
			if (n <= 0 || n > 1 << 20) {
				throw new ShellError("length: " + data + " is out of range (1..0x100000)");
			}
			buf = new byte[(int) n];
			r = port.read(a, buf, 0, buf.length);
		} else {
			throw new ShellError("op: '" + op + "' is neither write nor read");
		}
		StringBuilder hex = new StringBuilder();
		if (op.equals("read")) {
			for (int i = 0; i < r.bytes(); i++) {
				hex.append(i == 0 ? "" : " ").append(String.format("%02x", buf[i] & 0xff));
			}
		}
		StringBuilder pages = new StringBuilder();
		for (long pa : r.hostPages()) {
			pages.append(pages.length() == 0 ? "" : ", ").append(String.format("0x%x", pa));
		}
		return new DmaRow(bdf, a, r.bytes(), op.equals("read") ? (hex.length() == 0 ? "-" : hex.toString()) : null,
				pages.length() == 0 ? "-" : pages.toString(), result(r.fault()));
	}

	private static String result(TranslationResult.Aborted f) {
		if (f == null) {
			return "ok";
		}
		if (f.event() == null) {
			return "abort (" + f.reason() + ")";
		}
		// the event as every other command prints one (dma:read, smmu:translate)
		return Formatter.eventLine(f.event());
	}

	private static DeviceRow row(VirtioDeviceInfo d) {
		return new DeviceRow(d.bdf(), d.kind(), d.image(), d.capacity(), status(d.status()), d.requests(), d.bytesRead(), d.bytesWritten(),
				d.dmas(), d.dmaFaults(), d.interrupts(), d.dmas() == 0 ? "-" : String.format("%.0f", (double) d.dmaNanos() / d.dmas()));
	}

	static String status(int s) {
		if (s == 0) {
			return "reset";
		}
		List<String> l = new ArrayList<>();
		String[] names = { "ACKNOWLEDGE", "DRIVER", "DRIVER_OK", "FEATURES_OK", "", "", "NEEDS_RESET", "FAILED" };
		for (int i = 0; i < 8; i++) {
			if ((s & 1 << i) != 0 && !names[i].isEmpty()) {
				l.add(names[i]);
			}
		}
		return String.join("|", l);
	}

	static byte[] bytes(String s) {
		if (s.startsWith("0x") || s.startsWith("0X")) {
			long v = Args.number("data", s);
			byte[] b = new byte[8];
			for (int i = 0; i < 8; i++) {
				b[i] = (byte) (v >>> 8 * i);
			}
			return b;
		}
		String h = s.replace(":", "").replace("_", "");
		if (h.isEmpty() || h.length() % 2 != 0 || !h.matches("[0-9a-fA-F]+")) {
			throw new ShellError("data: '" + s + "' is neither hex bytes (an even number of hex digits) nor a 0x-number");
		}
		byte[] out = new byte[h.length() / 2];
		for (int i = 0; i < out.length; i++) {
			out[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
		}
		return out;
	}
}
