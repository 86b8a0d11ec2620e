package smmu.hw;

import java.util.Arrays;

/**
 * A host endpoint's bus-master port: a DMA is one transaction per page through the endpoint's physical
 * SMMU (its StreamID, no SubstreamID; through the calling thread's {@link StreamPort}, taken once per DMA),
 * then the memory access at the output address. This is the only way device models reach memory; a
 * transaction the SMMU terminates stops the DMA there (the SMMU has recorded its event, if the architecture
 * records one).
 */
public final class EndpointDma {
	private static final long PAGE = 4096;

	/**
	 * What a DMA did.
	 *
	 * @param bytes bytes moved before it stopped (all of them when {@link #ok()})
	 * @param hostPages the output address of each page moved
	 * @param fault the terminated transaction, or null
	 * @param iova the IOVA of the terminated transaction (when {@code fault != null})
	 */
	public record Result(int bytes, long[] hostPages, TranslationResult.Aborted fault, long iova) {
		public Result {
			hostPages = hostPages.clone();
		}

		@Override
		public long[] hostPages() {
			return hostPages.clone();
		}

		public boolean ok() {
			return fault == null;
		}
	}

	private final Smmu smmu;
	private final int sid;
	private final PhysicalMemory memory;

	public EndpointDma(Smmu smmu, int sid, PhysicalMemory memory) {
		this.smmu = smmu;
		this.sid = sid;
		this.memory = memory;
	}

	/**
	 * The port of endpoint {@code bdf} of {@code host}.
	 *
	 * @throws IllegalArgumentException for a BDF the host does not have
	 */
	public static EndpointDma of(HostPlatform host, String bdf) {
		PciEndpoint ep = host.endpoints().stream().filter(e -> e.bdf().equals(bdf)).findFirst()
				.orElseThrow(() -> new IllegalArgumentException("the host has no endpoint " + bdf));
		Smmu s = host.smmu(ep.smmu()).orElseThrow(() -> new IllegalArgumentException("no SMMU " + ep.smmu()));
		return new EndpointDma(s, ep.sid(), host.memory());
	}

	public Smmu smmu() {
		return smmu;
	}

	public int sid() {
		return sid;
	}

	public Result read(long iova, byte[] dst, int offset, int length) {
		return transfer(iova, dst, offset, length, false);
	}

	public Result write(long iova, byte[] src, int offset, int length) {
		return transfer(iova, src, offset, length, true);
	}

	private Result transfer(long iova, byte[] buf, int offset, int length, boolean write) {
		long[] pas = new long[(int) ((length + 2 * PAGE) / PAGE)];
		int k = 0;
		StreamPort port = smmu.port(sid, Event.NO_SSID);
		for (int done = 0; done < length;) {
			long a = iova + done;
			int n = (int) Math.min(length - done, PAGE - (a & (PAGE - 1)));
			// a TLB hit costs no request and no result object; a miss takes the full path
			long pa = port.translateCached(a, write);
			if (pa == Smmu.NOT_CACHED) {
				TranslationResult r = smmu.translate(new TranslationRequest(sid, Event.NO_SSID, a, write));
				if (r instanceof TranslationResult.Aborted ab) {
					return new Result(done, Arrays.copyOf(pas, k), ab, a);
				}
				pa = ((TranslationResult.Translated) r).pa();
			}
			try {
				if (write) {
					memory.write(pa, buf, offset + done, n);
				} else {
					memory.read(pa, buf, offset + done, n);
				}
			} catch (MemoryAbort e) {
				return new Result(done, Arrays.copyOf(pas, k), new TranslationResult.Aborted(null, e.getMessage()), a);
			}
			pas[k++] = pa;
			done += n;
		}
		return new Result(length, Arrays.copyOf(pas, k), null, 0);
	}
}
