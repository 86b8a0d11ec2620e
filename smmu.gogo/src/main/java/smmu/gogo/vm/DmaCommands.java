package smmu.gogo.vm;

import smmu.gogo.format.ShellError;
import java.io.ByteArrayOutputStream;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.annotations.GogoCommand;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import smmu.accel.VmManager;
import smmu.gogo.format.Args;
import smmu.gogo.vm.VmViews.DmaRow;

/** The dma:* commands: a VM's device reads or writes through its physical SMMU; a fault prints as the event. */
@Component(service = DmaCommands.class, immediate = true)
@GogoCommand(scope = "dma", function = { "write", "read", "msi" })
public class DmaCommands {
	private final VmManager manager;

	@Activate
	public DmaCommands(@Reference VmManager manager) {
		this.manager = manager;
	}

	@Descriptor("the device writes at an IOVA: hex bytes in order (de:ad:be:ef or deadbeef), or a 0x-number as 8 bytes little-endian")
	public DmaRow write(@Descriptor("VM") String vm, @Descriptor("device id") String device, @Descriptor("IOVA") String iova,
			@Descriptor("the data") String data) {
		long a = Args.number("iova", iova);
		return VmViews.dma(device, a, VmViews.vm(manager, vm).dmaWrite(device, a, bytes(data)), false);
	}

	@Descriptor("the device reads at an IOVA; prints the bytes as hex, or the fault")
	public DmaRow read(@Descriptor("VM") String vm, @Descriptor("device id") String device, @Descriptor("IOVA") String iova,
			@Descriptor("bytes") String length) {
		long a = Args.number("iova", iova), n = Args.range("length", length, 1, 1 << 20);
		return VmViews.dma(device, a, VmViews.vm(manager, vm).dmaRead(device, a, (int) n), true);
	}

	@Descriptor("the device raises an MSI-X vector: the host-programmed write goes through the physical SMMU's nested translation to the host's MSI doorbell and on to the VM's vector, or stops at the fault")
	public VmViews.MsiRow msi(@Descriptor("VM") String vm, @Descriptor("device id") String device, @Descriptor("MSI-X vector (0..2047)") String vector) {
		long v = Args.number("vector", vector);
		if (v < 0 || v > 2047) {
			throw new ShellError("vector: " + vector + " is out of range (0..2047)");
		}
		return VmViews.msi(VmViews.vm(manager, vm).msi(device, (int) v));
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
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		for (int i = 0; i < h.length(); i += 2) {
			out.write(Integer.parseInt(h.substring(i, i + 2), 16));
		}
		return out.toByteArray();
	}
}
