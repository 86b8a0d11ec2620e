package smmu.virtio.impl;

import smmu.hw.EndpointDma;
import smmu.hw.TranslationResult;

/**
 * The device's bus-master port ({@link EndpointDma}: one transaction per page through the endpoint's
 * physical SMMU), with the device's counters. There is no other way for the device to reach memory.
 */
final class Dma {
	/** The SMMU terminated a transaction (the event, if the SMMU records one, is in its event queue). */
	static final class Fault extends Exception {
		private static final long serialVersionUID = 1L;
		final long iova;
		final transient TranslationResult.Aborted abort;

		Fault(long iova, boolean write, TranslationResult.Aborted abort) {
			super(String.format("DMA %s at IOVA 0x%x: %s", write ? "write" : "read", iova, abort.reason()), null, false, false);
			this.iova = iova;
			this.abort = abort;
		}
	}

	private final EndpointDma port;
	long transactions, bytes, faults, nanos;

	Dma(EndpointDma port) {
		this.port = port;
	}

	void read(long iova, byte[] dst, int offset, int length) throws Fault {
		transfer(iova, dst, offset, length, false);
	}

	void write(long iova, byte[] src, int offset, int length) throws Fault {
		transfer(iova, src, offset, length, true);
	}

	int read16(long iova) throws Fault {
		byte[] b = new byte[2];
		read(iova, b, 0, 2);
		return (b[0] & 0xff) | (b[1] & 0xff) << 8;
	}

	void write16(long iova, int v) throws Fault {
		write(iova, new byte[] { (byte) v, (byte) (v >>> 8) }, 0, 2);
	}

	private void transfer(long iova, byte[] buf, int offset, int length, boolean write) throws Fault {
		long t0 = System.nanoTime();
		EndpointDma.Result r = write ? port.write(iova, buf, offset, length) : port.read(iova, buf, offset, length);
		nanos += System.nanoTime() - t0;
		transactions += r.hostPages().length + (r.ok() ? 0 : 1);
		bytes += r.bytes();
		if (!r.ok()) {
			faults++;
			throw new Fault(r.iova(), write, r.fault());
		}
	}
}
