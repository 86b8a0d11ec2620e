package smmu.hw.snapshot;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import smmu.hw.Event;
import smmu.hw.Smmu;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.snapshot.QemuTranslations.Translation;

/**
 * Replays QEMU's translations through an SMMU model and compares. Each translation is looked up as a
 * debug walk ({@link Smmu#walk}: no cache, queue or counter changes), once per access QEMU's
 * {@code perm} speaks for: a read when it is readable and a write when it is writable must give
 * QEMU's output address; an access it does not allow must fault (QEMU traces only the permissions
 * the entry granted, so a model that allows more disagrees).
 */
public final class Replay {
	private Replay() {}

	/**
	 * One access on which the model and QEMU differ.
	 *
	 * @param sid StreamID
	 * @param iova input address
	 * @param write whether the access was a write
	 * @param qemu QEMU's output address, or -1 when QEMU's {@code perm} did not allow the access
	 * @param model the model's output address, or -1 when it faulted
	 * @param fault the model's event (or abort reason) when it faulted, otherwise null
	 */
	public record Disagreement(int sid, long iova, boolean write, long qemu, long model, String fault) {}

	/**
	 * The outcome.
	 *
	 * @param translations trace lines replayed
	 * @param accesses accesses compared (one or two per line)
	 * @param agreed accesses on which the model gave QEMU's result
	 * @param disagreements the others, in trace order
	 */
	public record Result(int translations, int accesses, int agreed, List<Disagreement> disagreements) {}

	public static Result run(Smmu smmu, List<Translation> translations) {
		List<Disagreement> out = new ArrayList<>();
		int accesses = 0;
		for (Translation t : translations) {
			for (boolean write : new boolean[] { false, true }) {
				boolean allowed = write ? t.writable() : t.readable();
				if (!allowed && !(write && t.readable())) {
					continue; // perm=0x2 (write-only) says nothing about reads
				}
				accesses++;
				TranslationResult r = smmu.walk(new TranslationRequest(t.sid(), Event.NO_SSID, t.iova(), write)).result();
				if (r instanceof TranslationResult.Translated tr) {
					if (!allowed || tr.pa() != t.translated()) {
						out.add(new Disagreement(t.sid(), t.iova(), write, allowed ? t.translated() : -1, tr.pa(), null));
					}
				} else if (allowed) {
					TranslationResult.Aborted a = (TranslationResult.Aborted) r;
					out.add(new Disagreement(t.sid(), t.iova(), write, t.translated(), -1,
							a.event() != null ? a.event().type().name() : a.reason()));
				}
			}
		}
		return new Result(translations.size(), accesses, accesses - out.size(), Collections.unmodifiableList(out));
	}
}
