package smmu.vfio.impl;

import smmu.hw.PciBar;
import smmu.hw.PciFunction;
import smmu.hw.PciHeader;

/**
 * The configuration space of a function as vfio-pci shows it to user space (vfio_pci_config.c):
 * a virtual copy ({@code vconfig}, made at open as vfio_config_init does) and per-byte masks of
 * the bits that are virtualized ({@code virt}: read from and written to the copy) and writable
 * ({@code write}); other bits are read from and written to the hardware. Modelled permissions:
 * IDs, capability pointer, interrupt pin read-only and virtual; BARs and ROM virtual and writable,
 * read back through vfio_bar_fixup (size mask and type flags: all-ones reads the size); interrupt
 * line virtual and writable; command register writable to the hardware except INTx disable, which
 * is virtual and emulated with the INTx mask; the MSI capability entirely virtual (its enable bits
 * never reach the hardware: SET_IRQS does); the PCI Express capability's device control writable to
 * the hardware except Initiate FLR, which resets the function, and its FLR capability advertised
 * (vfio-pci emulates FLR with any reset). Everything else reads the hardware and drops writes.
 * Not thread-safe: the device file serializes.
 */
final class VirtConfig {
	private final PciFunction fn;
	private final PciHeader h;
	private final byte[] vconfig, virt, write;
	private boolean barDirty = true;
	private final int msi, exp;

	VirtConfig(PciFunction fn) {
		this.fn = fn;
		this.h = fn.header();
		int n = fn.configSize();
		vconfig = new byte[n];
		virt = new byte[n];
		write = new byte[n];
		for (int i = 0; i < n; i += 4) {
			put(vconfig, i, 4, fn.readConfig(i, 4));
		}
		msi = fn.capability(PciFunction.CAP_ID_MSI);
		exp = fn.capability(PciFunction.CAP_ID_EXP);
		perm(PciFunction.VENDOR_ID, 4, ~0, 0);
		perm(PciFunction.COMMAND, 2, PciFunction.COMMAND_INTX_DISABLE, 0xffff);
		perm(0x0c, 1, 0, 0xff);
		perm(0x0d, 1, 0, 0xff);
		perm(0x0f, 1, 0, 0xff);
		perm(PciFunction.BAR0, 24, ~0, ~0);
		perm(PciFunction.ROM_ADDRESS, 4, ~0, ~0);
		perm(PciFunction.CAPABILITY_LIST, 1, 0xff, 0);
		perm(PciFunction.INTERRUPT_LINE, 1, 0xff, 0xff);
		perm(PciFunction.INTERRUPT_PIN, 1, 0xff, 0);
		if (msi != 0) {
			// vfio_msi_cap_len: flags, address (64-bit), data
			perm(msi, 2, 0xffff, 0);
			perm(msi + 2, 2, 0xffff, 0x71);
			perm(msi + 4, 4, ~0, ~3);
			perm(msi + 8, 4, ~0, ~0);
			perm(msi + 12, 2, 0xffff, 0xffff);
		}
		if (exp != 0) {
			perm(exp, 2, 0xffff, 0);
			perm(exp + 4, 4, 1 << 28, 0);
			perm(exp + 8, 2, 1 << 15, 0x7fff | 1 << 15);
			put(vconfig, exp + 4, 4, get(vconfig, exp + 4, 4) | 1 << 28);
		}
		vconfig[PciFunction.INTERRUPT_LINE] = 0;
	}

	private void perm(int off, int size, int virtBits, int writeBits) {
		for (int i = 0; i < size; i++) {
			int shift = 8 * (i % 4);
			virt[off + i] = (byte) (virtBits >>> shift);
			write[off + i] = (byte) (writeBits >>> shift);
		}
	}

	private static void put(byte[] a, int off, int size, int v) {
		for (int i = 0; i < size; i++) {
			a[off + i] = (byte) (v >>> (8 * i));
		}
	}

	private static int get(byte[] a, int off, int size) {
		int v = 0;
		for (int i = 0; i < size; i++) {
			v |= (a[off + i] & 0xff) << (8 * i);
		}
		return v;
	}

	int size() {
		return vconfig.length;
	}

	/** Bits of the virtual command register (INTx disable, and memory/I/O enable as last written). */
	int virtualCommand() {
		return get(vconfig, PciFunction.COMMAND, 2);
	}

	/** vfio_default_config_read of an aligned 1, 2 or 4 byte chunk. */
	int read(int off, int size) {
		if (off < PciFunction.ROM_ADDRESS + 4 && off + size > PciFunction.BAR0) {
			barFixup();
		}
		int v = get(vconfig, off, size), vm = get(virt, off, size);
		int all = size == 4 ? ~0 : (1 << (8 * size)) - 1;
		if (vm != all) {
			v = (fn.readConfig(off, size) & ~vm) | (v & vm);
		}
		return v & all;
	}

	/**
	 * vfio_default_config_write of an aligned chunk, with vfio_basic_config_write's and the
	 * capabilities' hooks. Returns what the device file must do next: {@link #FLR} or
	 * {@link #INTX_CHANGED} bits.
	 */
	int write(int off, int size, int val) {
		int wm = get(write, off, size), vm = get(virt, off, size);
		if (wm == 0) {
			return 0;
		}
		int before = virtualCommand();
		if ((wm & vm) != 0) {
			int cur = get(vconfig, off, size);
			put(vconfig, off, size, (cur & ~(wm & vm)) | (val & wm & vm));
		}
		if ((wm & ~vm) != 0) {
			int phys = fn.readConfig(off, size);
			fn.writeConfig(off, size, (phys & ~(wm & ~vm)) | (val & wm & ~vm));
		}
		int out = 0;
		if (off < PciFunction.ROM_ADDRESS + 4 && off + size > PciFunction.BAR0) {
			barDirty = true;
		}
		if (off <= PciFunction.COMMAND && PciFunction.COMMAND < off + size) {
			// keep memory/I/O enable as last written, for __vfio_pci_memory_enabled
			int mask = PciFunction.COMMAND_MEMORY | PciFunction.COMMAND_IO;
			int phys = fn.readConfig(PciFunction.COMMAND, 2);
			put(vconfig, PciFunction.COMMAND, 2, (virtualCommand() & ~mask) | (phys & mask));
			if (((before ^ virtualCommand()) & PciFunction.COMMAND_INTX_DISABLE) != 0) {
				out |= INTX_CHANGED;
			}
		}
		if (exp != 0 && off <= exp + 9 && exp + 8 < off + size && (get(vconfig, exp + 8, 2) & 1 << 15) != 0) {
			put(vconfig, exp + 8, 2, get(vconfig, exp + 8, 2) & ~(1 << 15));
			out |= FLR;
		}
		return out;
	}

	static final int FLR = 1, INTX_CHANGED = 2;

	/** vfio_bar_fixup: each BAR reads back its address bits under the size mask, with its type flags. */
	private void barFixup() {
		if (!barDirty) {
			return;
		}
		for (int i = 0; i < 6; i++) {
			PciBar b = h.bars().get(i);
			int reg = PciFunction.BAR0 + 4 * i;
			if (!b.implemented()) {
				put(vconfig, reg, 4, 0);
				continue;
			}
			long mask = ~(b.size() - 1);
			int v = get(vconfig, reg, 4) & (int) mask & (b.kind() == PciBar.Kind.IO ? ~3 : ~0xf);
			put(vconfig, reg, 4, v | b.flags());
			if (b.kind() == PciBar.Kind.MEM64) {
				i++;
				put(vconfig, reg + 4, 4, get(vconfig, reg + 4, 4) & (int) (mask >>> 32));
			}
		}
		if (h.romSize() != 0) {
			put(vconfig, PciFunction.ROM_ADDRESS, 4, get(vconfig, PciFunction.ROM_ADDRESS, 4) & ((int) ~(h.romSize() - 1) | 1));
		} else {
			put(vconfig, PciFunction.ROM_ADDRESS, 4, 0);
		}
		barDirty = false;
	}

	/** The largest chunk at {@code off} that stays inside one capability's dword (vfio_pci_cap_remaining_dword, simplified to the dword). */
	static int chunk(int off, int count) {
		int rem = 4 - (off & 3);
		count = Math.min(count, rem);
		if (count >= 4 && (off & 3) == 0) {
			return 4;
		}
		if (count >= 2 && (off & 1) == 0) {
			return 2;
		}
		return 1;
	}
}
