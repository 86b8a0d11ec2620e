package smmu.hw.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import smmu.hw.CacheStats;
import smmu.hw.Event;
import smmu.hw.SmmuStats;
import smmu.hw.StreamPort;
import smmu.hw.TableEntry;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.Walk;
import smmu.hw.WalkStep;
import smmu.hw.impl.xlate.EventSink;
import smmu.hw.impl.xlate.StreamTable;
import smmu.hw.impl.xlate.TranslationEngine;

/**
 * A fake translation engine that records every call as a string and translates iova -> iova + OFFSET (its
 * "caches" too, while SMMUEN is set).
 */
final class RecordingEngine implements TranslationEngine {
	static final long OFFSET = 0x4000_0000L;

	final EventSink sink;
	final List<String> calls = new ArrayList<>();
	volatile StreamTable lastTable;
	volatile boolean smmuEnabled = true;
	int resets;

	RecordingEngine(EventSink sink) {
		this.sink = sink;
	}

	synchronized List<String> take() {
		List<String> c = new ArrayList<>(calls);
		calls.clear();
		return c;
	}

	private synchronized void log(String s) {
		calls.add(s);
	}

	@Override
	public TranslationResult translate(StreamTable table, TranslationRequest request) {
		lastTable = table;
		return new TranslationResult.Translated(request.iova() + OFFSET, TranslationResult.Path.WALK);
	}

	@Override
	public void setSmmuEnabled(boolean enabled) {
		smmuEnabled = enabled;
	}

	/** Every transaction hits the fake caches while SMMUEN is set. */
	@Override
	public long translateCached(int sid, int ssid, long iova, boolean write) {
		return smmuEnabled ? iova + OFFSET : NOT_CACHED;
	}

	@Override
	public StreamPort port(int sid, int ssid) {
		return (iova, write) -> translateCached(sid, ssid, iova, write);
	}

	@Override
	public Walk walk(StreamTable table, TranslationRequest request) {
		lastTable = table;
		return new Walk(List.of(new WalkStep("STE", -1, table.base(), 0, "fake")), translate(table, request));
	}

	@Override
	public TableEntry readSte(StreamTable table, int sid) {
		lastTable = table;
		return new TableEntry(table.base() + 64L * sid, new long[8], null);
	}

	@Override
	public TableEntry readCd(StreamTable table, int sid, int ssid) {
		lastTable = table;
		return new TableEntry(-1, null, Event.config(smmu.hw.EventType.C_BAD_CD, sid, ssid, 0, 0));
	}

	@Override
	public void invalidateSte(int sid) {
		log("ste " + sid);
	}

	@Override
	public void invalidateSteRange(int sid, int range) {
		log("steRange " + sid + " " + range);
	}

	@Override
	public void invalidateCd(int sid, int ssid) {
		log("cd " + sid + " " + ssid);
	}

	@Override
	public void invalidateCdAll(int sid) {
		log("cdAll " + sid);
	}

	@Override
	public void invalidateAll() {
		log("all");
	}

	@Override
	public void invalidateEl2All() {
		log("el2all");
	}

	@Override
	public void invalidateEl2Asid(int asid) {
		log("el2asid " + asid);
	}

	@Override
	public void invalidateEl2Va(int asid, long addr, long length, boolean leaf) {
		log(String.format("el2va %d 0x%x 0x%x %b", asid, addr, length, leaf));
	}

	@Override
	public void invalidateVmid(int vmid) {
		log("vmid " + vmid);
	}

	@Override
	public void invalidateStage1(int vmid) {
		log("stage1 " + vmid);
	}

	@Override
	public void invalidateAsid(int vmid, int asid) {
		log("asid " + vmid + " " + asid);
	}

	@Override
	public void invalidateVa(int vmid, int asid, long addr, long length, boolean leaf) {
		log(String.format("va %d %d 0x%x 0x%x %b", vmid, asid, addr, length, leaf));
	}

	@Override
	public void invalidateIpa(int vmid, long ipa, long length, boolean leaf) {
		log(String.format("ipa %d 0x%x 0x%x %b", vmid, ipa, length, leaf));
	}

	@Override
	public SmmuStats stats() {
		return new SmmuStats(List.of(new CacheStats("tlb", 1, 1, 0, 0, 0, 0, 16)), 2, 0, 3, 0, new long[2][4], 7, Map.of("F_TRANSLATION", 1L),
				Map.of(), 0, 0);
	}

	@Override
	public void resetStats() {
		resets++;
	}

	@Override
	public List<smmu.hw.StreamStats> streamStats(int... sids) {
		List<smmu.hw.StreamStats> out = new java.util.ArrayList<>();
		for (int sid : sids) {
			out.add(new smmu.hw.StreamStats(sid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, new long[2][4], Map.of(), 0));
		}
		return out;
	}

	@Override
	public void resetStreamStats(int... sids) {
		log("reset streams " + java.util.Arrays.toString(sids));
	}
}
