package smmu.hw;

import java.util.List;

/**
 * A translation traced step by step, bypassing the TLB and configuration cache.
 *
 * @param steps every read, in order
 * @param result what the translation produced
 */
public record Walk(List<WalkStep> steps, TranslationResult result) {}
