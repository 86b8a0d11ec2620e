package smmu.hw;

import java.util.HashMap;
import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A host PCI function's live state: its configuration space as the hardware implements it (bytes,
 * built from a {@link PciHeader}, with QEMU pci.c's per-byte write masks: read-only IDs, class and
 * capability fields; BARs that read back their size mask after all-ones are written; a command
 * register with I/O, memory, bus master and INTx-disable bits; a PCI Express capability whose
 * Initiate FLR bit resets the function), its INTx pin, and the device model behind its BARs
 * ({@link PciBarHandler}; by default each BAR is plain memory). Thread-safe.
 */
public final class PciFunction {
	/** Receives the level of the function's INTx line (the pin, unless the command register disables it). */
	@ConsumerType
	@FunctionalInterface
	public interface IntxListener {
		void intx(PciFunction function, boolean asserted);
	}

	public static final int VENDOR_ID = 0x00, COMMAND = 0x04, STATUS = 0x06, REVISION = 0x08, HEADER_TYPE = 0x0e, BAR0 = 0x10,
			SUBSYSTEM_VENDOR_ID = 0x2c, ROM_ADDRESS = 0x30, CAPABILITY_LIST = 0x34, INTERRUPT_LINE = 0x3c, INTERRUPT_PIN = 0x3d;
	public static final int COMMAND_IO = 1, COMMAND_MEMORY = 2, COMMAND_MASTER = 4, COMMAND_INTX_DISABLE = 1 << 10;
	public static final int STATUS_INTERRUPT = 1 << 3, STATUS_CAP_LIST = 1 << 4;
	public static final int CAP_ID_PM = 0x01, CAP_ID_MSI = 0x05, CAP_ID_EXP = 0x10, CAP_ID_MSIX = 0x11;
	/** Offsets of the capabilities the model lays out. */
	public static final int PCIE_CAP = 0x40, MSI_CAP = 0x80, MSIX_CAP = 0x98;
	/** PCI Express capability: Device Capabilities (FLR bit 28), Device Control (Initiate FLR bit 15). */
	private static final int EXP_DEVCAP = 4, EXP_DEVCTL = 8, EXP_DEVCAP_FLR = 1 << 28, EXP_DEVCTL_BCR_FLR = 1 << 15;
	private static final int PCIE_CAP_SIZE = 0x3c;

	private final String bdf;
	private final PciHeader header;
	private final byte[] config, wmask, reset;
	private final Map<Integer, byte[]> barMemory = new HashMap<>();
	private PciBarHandler handler;
	private IntxListener intxListener;
	private boolean pin, line;

	public PciFunction(String bdf, PciHeader header) {
		this.bdf = bdf;
		this.header = header;
		this.config = new byte[header.configSize()];
		this.wmask = new byte[header.configSize()];
		build();
		this.reset = config.clone();
	}

	public String bdf() {
		return bdf;
	}

	public PciHeader header() {
		return header;
	}

	public int configSize() {
		return config.length;
	}

	private void build() {
		put(VENDOR_ID, 2, header.vendorId());
		put(VENDOR_ID + 2, 2, header.deviceId());
		mask(COMMAND, 2, COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER | (1 << 6) | (1 << 8) | COMMAND_INTX_DISABLE);
		put(REVISION, 1, header.revision());
		put(REVISION + 1, 3, header.classCode());
		mask(0x0c, 1, 0xff);
		for (int i = 0; i < 6; i++) {
			PciBar b = header.bars().get(i);
			if (!b.implemented()) {
				continue;
			}
			int reg = BAR0 + 4 * i;
			put(reg, 4, b.flags());
			mask(reg, 4, (int) ~(b.size() - 1) & (b.kind() == PciBar.Kind.IO ? ~3 : ~0xf));
			if (b.kind() == PciBar.Kind.MEM64) {
				mask(reg + 4, 4, (int) (~(b.size() - 1) >>> 32));
			}
		}
		put(SUBSYSTEM_VENDOR_ID, 2, header.subsystemVendorId());
		put(SUBSYSTEM_VENDOR_ID + 2, 2, header.subsystemId());
		if (header.romSize() != 0) {
			mask(ROM_ADDRESS, 4, (int) ~(header.romSize() - 1) | 1);
		}
		put(INTERRUPT_PIN, 1, header.interruptPin());
		mask(INTERRUPT_LINE, 1, 0xff);
		int next = 0;
		// built from the last capability to the first, so each knows its successor
		int[] at = new int[header.capabilities().size()];
		for (int i = 0, p = PciHeader.DEVICE_CAPS; i < at.length; i++) {
			at[i] = p;
			p += (header.capabilities().get(i).size() + 3) & ~3;
		}
		if (header.msixVectors() > 0) {
			put(MSIX_CAP, 1, CAP_ID_MSIX);
			put(MSIX_CAP + 2, 2, header.msixVectors() - 1);
			mask(MSIX_CAP + 2, 2, 0xc000);
			long pba = (16L * header.msixVectors() + 4095) & ~4095L;
			put(MSIX_CAP + 4, 4, header.msixBar());
			put(MSIX_CAP + 8, 4, (int) pba | header.msixBar());
			next = link(MSIX_CAP, next);
		}
		if (header.msiVectors() > 0) {
			put(MSI_CAP, 1, CAP_ID_MSI);
			put(MSI_CAP + 2, 2, 1 << 7 | Integer.numberOfTrailingZeros(header.msiVectors()) << 1);
			mask(MSI_CAP + 2, 2, 0x71);
			mask(MSI_CAP + 4, 4, ~3);
			mask(MSI_CAP + 8, 4, ~0);
			mask(MSI_CAP + 12, 2, 0xffff);
			next = link(MSI_CAP, next);
		}
		if (header.pcie()) {
			put(PCIE_CAP, 1, CAP_ID_EXP);
			put(PCIE_CAP + 2, 2, 2); // version 2, type 0: PCI Express endpoint
			put(PCIE_CAP + EXP_DEVCAP, 4, EXP_DEVCAP_FLR | 1); // 256-byte max payload, FLR
			mask(PCIE_CAP + EXP_DEVCTL, 2, 0x7fff | EXP_DEVCTL_BCR_FLR);
			put(PCIE_CAP + 0x0c, 4, 1 << 4 | 1); // link: x1, 2.5 GT/s
			put(PCIE_CAP + 0x12, 2, 1 << 4 | 1);
			next = link(PCIE_CAP, next);
		}
		for (int i = at.length - 1; i >= 0; i--) {
			PciCapability c = header.capabilities().get(i);
			put(at[i], 1, c.id());
			byte[] body = c.body();
			System.arraycopy(body, 0, config, at[i] + 2, body.length);
			next = link(at[i], next);
		}
		if (next != 0) {
			put(CAPABILITY_LIST, 1, next);
			put(STATUS, 2, STATUS_CAP_LIST);
		}
	}

	private int link(int cap, int next) {
		put(cap + 1, 1, next);
		return cap;
	}

	private void put(int offset, int size, int value) {
		for (int i = 0; i < size; i++) {
			config[offset + i] = (byte) (value >>> (8 * i));
		}
	}

	private void mask(int offset, int size, int value) {
		for (int i = 0; i < size; i++) {
			wmask[offset + i] = (byte) (value >>> (8 * i));
		}
	}

	/** The offset of the first capability with {@code id}, or 0. */
	public synchronized int capability(int id) {
		int seen = 0;
		for (int p = config[CAPABILITY_LIST] & 0xfc; p != 0 && seen++ < 48; p = config[p + 1] & 0xfc) {
			if ((config[p] & 0xff) == id) {
				return p;
			}
		}
		return 0;
	}

	/**
	 * A configuration read of {@code size} bytes (1, 2 or 4) at {@code offset}, little-endian.
	 *
	 * @throws IllegalArgumentException outside the configuration space
	 */
	public synchronized int readConfig(int offset, int size) {
		check(offset, size);
		int v = 0;
		for (int i = 0; i < size; i++) {
			v |= (config[offset + i] & 0xff) << (8 * i);
		}
		if (offset <= STATUS && STATUS < offset + size && pin) {
			v |= STATUS_INTERRUPT << (8 * (STATUS - offset));
		}
		return v;
	}

	/** A configuration write: only the bits the hardware implements as writable change. */
	public void writeConfig(int offset, int size, int value) {
		boolean flr;
		IntxListener notify = null;
		boolean level;
		synchronized (this) {
			check(offset, size);
			for (int i = 0; i < size; i++) {
				int m = wmask[offset + i] & 0xff;
				config[offset + i] = (byte) ((config[offset + i] & ~m) | ((value >>> (8 * i)) & m));
			}
			int devctl = PCIE_CAP + EXP_DEVCTL;
			flr = header.pcie() && offset <= devctl + 1 && devctl < offset + size && (readConfig(devctl, 2) & EXP_DEVCTL_BCR_FLR) != 0;
			if (flr) {
				resetLocked();
			}
			level = updateLine();
			if (level != line) {
				line = level;
				notify = intxListener;
			}
		}
		if (notify != null) {
			notify.intx(this, level);
		}
	}

	private void check(int offset, int size) {
		if (offset < 0 || (size != 1 && size != 2 && size != 4) || offset > config.length - size) {
			throw new IllegalArgumentException(String.format("config access 0x%x/%d outside %d bytes", offset, size, config.length));
		}
	}

	public synchronized boolean memoryEnabled() {
		return (config[COMMAND] & COMMAND_MEMORY) != 0;
	}

	public synchronized boolean ioEnabled() {
		return (config[COMMAND] & COMMAND_IO) != 0;
	}

	/** A read of BAR {@code bar} by the device model behind it. */
	public long barRead(int bar, long offset, int size) {
		PciBarHandler h;
		synchronized (this) {
			checkBar(bar, offset, size);
			h = handler;
			if (h == null) {
				byte[] m = barMemory.computeIfAbsent(bar, k -> new byte[(int) header.bars().get(k).size()]);
				long v = 0;
				for (int i = 0; i < size; i++) {
					v |= (m[(int) offset + i] & 0xffL) << (8 * i);
				}
				return v;
			}
		}
		return h.read(bar, offset, size);
	}

	/** A write of BAR {@code bar} to the device model behind it. */
	public void barWrite(int bar, long offset, int size, long value) {
		PciBarHandler h;
		synchronized (this) {
			checkBar(bar, offset, size);
			h = handler;
			if (h == null) {
				byte[] m = barMemory.computeIfAbsent(bar, k -> new byte[(int) header.bars().get(k).size()]);
				for (int i = 0; i < size; i++) {
					m[(int) offset + i] = (byte) (value >>> (8 * i));
				}
				return;
			}
		}
		h.write(bar, offset, size, value);
	}

	private void checkBar(int bar, long offset, int size) {
		if (bar < 0 || bar > 5 || !header.bars().get(bar).implemented()) {
			throw new IllegalArgumentException("BAR " + bar + " is not implemented");
		}
		long bs = header.bars().get(bar).size();
		if ((size != 1 && size != 2 && size != 4 && size != 8) || (offset & (size - 1)) != 0 || offset < 0 || offset > bs - size) {
			throw new IllegalArgumentException(String.format("BAR %d access 0x%x/%d outside 0x%x bytes", bar, offset, size, bs));
		}
		if (bs > 1L << 24 && handler == null) {
			throw new IllegalArgumentException("BAR " + bar + " has no device model behind it");
		}
	}

	/** The device model behind the BARs; null: plain memory. */
	public synchronized void setBarHandler(PciBarHandler h) {
		handler = h;
	}

	/** Connects the INTx line (one listener; null disconnects). */
	public synchronized void connectIntx(IntxListener l) {
		intxListener = l;
	}

	/** The device drives its INTx pin (level-triggered). */
	public void setIntx(boolean asserted) {
		IntxListener notify = null;
		boolean level;
		synchronized (this) {
			if (header.interruptPin() == 0) {
				return;
			}
			pin = asserted;
			level = updateLine();
			if (level != line) {
				line = level;
				notify = intxListener;
			}
		}
		if (notify != null) {
			notify.intx(this, level);
		}
	}

	private boolean updateLine() {
		return pin && (readConfig(COMMAND, 2) & COMMAND_INTX_DISABLE) == 0;
	}

	/** Whether the INTx line is asserted now (pin asserted and not disabled). */
	public synchronized boolean intxAsserted() {
		return line;
	}

	/** A function level reset: configuration space as at power-on, INTx deasserted, BAR memory cleared. */
	public void reset() {
		IntxListener notify = null;
		synchronized (this) {
			resetLocked();
			if (line) {
				line = false;
				notify = intxListener;
			}
		}
		if (notify != null) {
			notify.intx(this, false);
		}
	}

	private void resetLocked() {
		System.arraycopy(reset, 0, config, 0, config.length);
		pin = false;
		barMemory.clear();
		if (handler != null) {
			handler.reset();
		}
	}

	/** Whether the function can be reset on its own (FLR in its PCI Express capability). */
	public boolean flrCapable() {
		return header.pcie();
	}

	@Override
	public String toString() {
		return String.format("%s [%04x:%04x] class %06x", bdf, header.vendorId(), header.deviceId(), header.classCode());
	}
}
