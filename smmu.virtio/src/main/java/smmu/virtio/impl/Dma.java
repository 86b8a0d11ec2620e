package smmu.virtio.impl;

import smmu.hw.Event;
import smmu.hw.MemoryAbort;
import smmu.hw.PhysicalMemory;
import smmu.hw.Smmu;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;

/**
 * The device's bus-master port: every access is one transaction per page through the endpoint's
 * physical SMMU (StreamID {@code sid}, no SubstreamID), then the memory access at the output address.
 * There is no other way for the device to reach memory.
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

	private static final long PAGE = 4096;
	private final Smmu smmu;
	private final int sid;
	private final PhysicalMemory memory;
	long transactions, bytes, faults, nanos;

	Dma(Smmu smmu, int sid, PhysicalMemory memory) {
		this.smmu = smmu;
		this.sid = sid;
		this.memory = memory;
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
		try {
			for (int done = 0; done < length;) {
				long a = iova + done;
				int n = (int) Math.min(length - done, PAGE - (a & (PAGE - 1)));
				transactions++;
				TranslationResult r = smmu.translate(new TranslationRequest(sid, Event.NO_SSID, a, write));
				if (r instanceof TranslationResult.Aborted ab) {
					faults++;
					throw new Fault(a, write, ab);
				}
				long pa = ((TranslationResult.Translated) r).pa();
				try {
					if (write) {
						memory.write(pa, buf, offset + done, n);
					} else {
						memory.read(pa, buf, offset + done, n);
					}
				} catch (MemoryAbort e) {
					faults++;
					throw new Fault(a, write, new TranslationResult.Aborted(null, "external abort at PA 0x" + Long.toHexString(pa)));
				}
				bytes += n;
				done += n;
			}
		} finally {
			nanos += System.nanoTime() - t0;
		}
	}
}
